/**
 * Fashion-MNIST (Xiao, Rasul and Vollgraf, 2017): 60000 training and 10000
 * test images of clothing, 28 x 28 grey, ten classes, in the same IDX layout
 * as MNIST. Read from the folder that Debian's `dataset-fashion-mnist`
 * package installs; nothing is downloaded.
 *
 * @module
 */
import { join } from "node:path";
import { type ImageSet, loadIdxImageSet } from "./image_set.ts";

/** The training and test splits, never mixed. */
export interface FashionMnist {
  train: ImageSet;
  test: ImageSet;
}

/** Where `apt-get install dataset-fashion-mnist` puts the files. */
export const FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist";

/** Environment variable that, when set, replaces {@link FASHION_MNIST_DIR}. */
export const FASHION_MNIST_DIR_VARIABLE = "GENWASM_FASHION_DIR";

/** Side length of a Fashion-MNIST image in pixels. */
export const FASHION_MNIST_SIZE = 28;

/** Class names, indexed by label (0 = "T-shirt/top" ... 9 = "Ankle boot"). */
export const FASHION_MNIST_CLASSES: readonly string[] = [
  "T-shirt/top",
  "Trouser",
  "Pullover",
  "Dress",
  "Coat",
  "Sandal",
  "Shirt",
  "Sneaker",
  "Bag",
  "Ankle boot",
];

/** File names as Debian ships them; a plain (un-gzipped) copy also works. */
const FILES = {
  trainImages: "train-images-idx3-ubyte.gz",
  trainLabels: "train-labels-idx1-ubyte.gz",
  testImages: "t10k-images-idx3-ubyte.gz",
  testLabels: "t10k-labels-idx1-ubyte.gz",
} as const;

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/**
 * The folder to read Fashion-MNIST from: `$GENWASM_FASHION_DIR` when set and
 * not empty, else {@link FASHION_MNIST_DIR}.
 *
 * @returns An absolute or relative folder path.
 *
 * @example
 * ```ts
 * import { fashionMnistFolder } from "./fashion_mnist.ts";
 * console.log(fashionMnistFolder()); // /usr/share/datasets/fashion-mnist
 * ```
 */
export function fashionMnistFolder(): string {
  return Deno.env.get(FASHION_MNIST_DIR_VARIABLE) || FASHION_MNIST_DIR;
}

/**
 * Paths of the four Fashion-MNIST IDX files in `folder`. Each file may be
 * gzipped (`train-images-idx3-ubyte.gz`, as Debian ships it) or plain
 * (`train-images-idx3-ubyte`); the gzipped one wins when both exist.
 *
 * @param folder Where the files are; default {@link fashionMnistFolder}.
 * @returns One path per file, keyed by split and kind.
 * @throws Error saying how to install the package when the folder is
 * missing, and naming the file when one of the four is missing.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fashionMnistPaths } from "./fashion_mnist.ts";
 * import { mnistPaths } from "./mnist.ts";
 * import { dirname } from "node:path";
 * // By default: /usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz
 * // and so on. Any folder of the four files will do, such as MNIST's (plain):
 * const paths = await fashionMnistPaths(dirname(mnistPaths().testLabels));
 * assert.equal(paths.testLabels, mnistPaths().testLabels);
 * ```
 */
export async function fashionMnistPaths(
  folder: string = fashionMnistFolder(),
): Promise<Record<keyof typeof FILES, string>> {
  let found: Deno.FileInfo | undefined;
  try {
    found = await Deno.stat(folder);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  if (!found?.isDirectory) {
    throw new Error(
      `Fashion-MNIST not found: ${folder} is ${
        found ? "not a folder" : "missing"
      }. Install it with "apt-get install dataset-fashion-mnist" (Debian/Ubuntu, as root), ` +
        `or set ${FASHION_MNIST_DIR_VARIABLE} to a folder holding ${
          Object.values(FILES).join(", ")
        }`,
    );
  }
  const paths = {} as Record<keyof typeof FILES, string>;
  for (const [key, file] of Object.entries(FILES)) {
    const gzipped = join(folder, file);
    const plain = gzipped.slice(0, -".gz".length);
    if (await isFile(gzipped)) paths[key as keyof typeof FILES] = gzipped;
    else if (await isFile(plain)) paths[key as keyof typeof FILES] = plain;
    else {
      throw new Error(
        `${gzipped}: no such file (nor ${plain}); the Fashion-MNIST folder ${folder} is incomplete`,
      );
    }
  }
  return paths;
}

/**
 * Loads Fashion-MNIST: pixels as floats in [0, 1] of shape
 * (count, 28, 28, 1) and labels 0..9 (see {@link FASHION_MNIST_CLASSES}),
 * training and test splits apart.
 *
 * @param folder Where the IDX files are; default `$GENWASM_FASHION_DIR` or
 * `/usr/share/datasets/fashion-mnist`.
 * @returns Both splits.
 * @throws Error saying how to install the data when the folder is missing,
 * and naming the file at fault when a file is missing or malformed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fashionMnistFolder, loadFashionMnist } from "./fashion_mnist.ts";
 * import { existsSync } from "node:fs";
 * // Needs `apt-get install dataset-fashion-mnist` (or GENWASM_FASHION_DIR).
 * if (existsSync(fashionMnistFolder())) {
 *   const { train, test } = await loadFashionMnist();
 *   assert.deepEqual(train.shape, [60000, 28, 28, 1]);
 *   assert.deepEqual(test.shape, [10000, 28, 28, 1]);
 * }
 * ```
 */
export async function loadFashionMnist(
  folder: string = fashionMnistFolder(),
): Promise<FashionMnist> {
  const paths = await fashionMnistPaths(folder);
  const [train, test] = await Promise.all([
    loadIdxImageSet(paths.trainImages, paths.trainLabels, FASHION_MNIST_SIZE),
    loadIdxImageSet(paths.testImages, paths.testLabels, FASHION_MNIST_SIZE),
  ]);
  return { train, test };
}
