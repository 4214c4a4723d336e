/**
 * Latent codes of a whole image set, for use outside the model (plots,
 * nearest neighbours, classifiers on codes).
 *
 * @module
 */
import { tf } from "@genwasm/backend/tf";
import type { ImageSet } from "@genwasm/data/image_set";

/** Anything with an encoder from images to one code per image. */
export interface Encoder {
  /** (batch, size, size, channels) pixels in [0, 1] -> (batch, codeSize). */
  encode(images: tf.Tensor4D): tf.Tensor2D;
}

/** Codes of every image of a set, row-major. */
export interface EncodedSet {
  /** (count, codeSize) values. */
  codes: Float32Array;
  /** (count, codeSize) */
  shape: [number, number];
  /** The images' labels, in the same order. */
  labels: Uint8Array;
}

/**
 * Encodes every image of a set, in chunks so that memory stays bounded; no
 * weights change.
 *
 * @param encoder E.g. a {@link ConvAutoencoder} or `createAutoencoder("ae")`.
 * @param set Images with pixels in [0, 1].
 * @param batchSize Images per forward pass; default 500.
 * @returns One code per image, with the labels alongside.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeImageSet } from "./encode_set.ts";
 * import { ConvAutoencoder } from "./model.ts";
 * import { loadMnist } from "../../data/mnist.ts";
 * const { test } = await loadMnist(); // encodeImageSet(model, test): 10000 codes
 * const first100 = { ...test, images: test.images.subarray(0, 100 * 784), shape: [100, 28, 28, 1] as [number, number, number, number] };
 * const model = new ConvAutoencoder();
 * assert.deepEqual(encodeImageSet(model, first100).shape, [100, 16]);
 * model.dispose();
 * ```
 */
export function encodeImageSet(
  encoder: Encoder,
  set: ImageSet,
  batchSize = 500,
): EncodedSet {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new Error(`batchSize must be a whole number >= 1, got ${batchSize}`);
  }
  const [count, height, width, channels] = set.shape;
  const imageLength = height * width * channels;
  let codes = new Float32Array(0);
  let codeSize = 0;
  for (let start = 0; start < count; start += batchSize) {
    const size = Math.min(batchSize, count - start);
    const pixels = set.images.subarray(
      start * imageLength,
      (start + size) * imageLength,
    );
    const chunk = tf.tidy(() => {
      const images = tf.tensor4d(pixels, [size, height, width, channels]);
      const code = encoder.encode(images);
      codeSize = code.shape[1];
      return code.dataSync() as Float32Array;
    });
    if (start === 0) codes = new Float32Array(count * codeSize);
    codes.set(chunk, start * codeSize);
  }
  return { codes, shape: [count, codeSize], labels: set.labels };
}
