/**
 * Binarisation of grey images, the standard protocol for likelihoods on
 * MNIST: each pixel becomes 1 with its grey level as probability.
 *
 * @module
 */
import { tf } from "@genwasm/backend/tf";
import type { ImageSet } from "./image_set.ts";
import { mulberry32 } from "./random.ts";

/**
 * A copy of `set` with every pixel drawn as 0 or 1 (1 with probability the
 * pixel's value), seeded: the fixed binarisation of a test set.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { binarizeSet } from "./binarize.ts";
 * const set = { images: Float32Array.of(0, 0.5, 1), labels: Uint8Array.of(0), shape: [1, 1, 3, 1] as [number, number, number, number] };
 * const { images } = binarizeSet(set, 0); // e.g. Float32Array [0, 1, 1]
 * assert.equal(images[0], 0); // 0 stays 0, 1 stays 1, 0.5 is a coin flip
 * assert.equal(images[2], 1);
 * ```
 */
export function binarizeSet(set: ImageSet, seed: number): ImageSet {
  const random = mulberry32(seed);
  return {
    ...set,
    images: set.images.map((value) => random() < value ? 1 : 0),
  };
}

/** The same draw on a batch inside a graph (dynamic binarisation in training). */
export function binarizeTensor<T extends tf.Tensor>(
  images: T,
  seed: number,
): T {
  return tf.cast(
    tf.less(tf.randomUniform(images.shape, 0, 1, "float32", seed), images),
    "float32",
  ) as T;
}
