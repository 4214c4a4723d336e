/**
 * From measured numbers to words: which attributes each data set's captions
 * speak of, the three classes of each ("thin" / "regular" / "thick", ...),
 * the thresholds between them as measured on the training sets, and
 * {@link describeImage}, which does it all for one image.
 *
 * @module
 */
import type { ImageSet } from "../image_set.ts";
import {
  inkBrightness,
  inkSize,
  slant,
  strokeThickness,
} from "./attributes.ts";

/** The data sets the captioner knows. */
export type CaptionDataset = "mnist" | "fashion";

/** Every data set the captioner knows, in a fixed order. */
export const CAPTION_DATASETS: readonly CaptionDataset[] = ["mnist", "fashion"];

/** Each attribute's classes, lowest measure first. */
export const ATTRIBUTE_VALUES = {
  thickness: ["thin", "regular", "thick"],
  slant: ["left", "upright", "right"],
  size: ["small", "medium", "large"],
  brightness: ["dark", "medium", "light"],
} as const;

/** An attribute a caption may speak of. */
export type AttributeName = keyof typeof ATTRIBUTE_VALUES;

/** The classes of attribute `A`, e.g. "thin" | "regular" | "thick". */
export type AttributeValue<A extends AttributeName = AttributeName> =
  (typeof ATTRIBUTE_VALUES)[A][number];

/** The class of each attribute measured on one image (absent: not measured). */
export type ImageAttributes = {
  [A in AttributeName]?: AttributeValue<A>;
};

/** The measure behind each attribute (see ./attributes.ts). */
export const ATTRIBUTE_MEASURES: Readonly<
  Record<AttributeName, (pixels: Float32Array, width?: number) => number>
> = {
  thickness: strokeThickness,
  slant,
  size: inkSize,
  brightness: inkBrightness,
};

/** The attributes each data set's captions speak of. */
export const DATASET_ATTRIBUTES: Readonly<
  Record<CaptionDataset, readonly AttributeName[]>
> = {
  mnist: ["thickness", "slant", "size"],
  fashion: ["brightness"],
};

/**
 * Two cut points per attribute: a measure below the first is the lowest
 * class, below the second the middle one, else the highest.
 */
export type AttributeThresholds = {
  [A in AttributeName]?: readonly [number, number];
};

/**
 * The tertiles of each measure over the 60000 training images of each set,
 * so each class holds about a third of them. Printed by
 * `deno run --allow-read --allow-env bench/caption_thresholds.ts`, which
 * runs {@link measureThresholds} on the full training sets and rounds to
 * three decimals. For reference, MNIST measured (1st / 10th / 50th / 90th /
 * 99th percentiles): thickness 1.16 / 1.59 / 2.22 / 3.16 / 4.32 pixels,
 * slant -0.53 / -0.23 / 0.10 / 0.47 / 0.78 (a typical digit leans a little
 * right, so "upright" spans a shear of 0 to 0.22, up to 12.6 degrees),
 * size 5.43 / 5.81 / 6.72 / 7.64 / 8.28 pixels; Fashion-MNIST brightness
 * 0.20 / 0.37 / 0.64 / 0.80 / 0.86.
 *
 * Size is judged against all digits, not per class, although it follows
 * the class (on the first 10000 training images 82% of 1s are "small" and
 * 79% of 0s "large"): MNIST scales every digit into a 20 x 20 box, so
 * within one class the size hardly varies (the tertiles for 0s are 7.29
 * and 7.78 pixels, for 1s 5.74 and 6.06), too little to see or to ask
 * for. Brightness follows the class a little (68% of sandals are "dark",
 * their thin straps being mostly grey edge).
 */
export const ATTRIBUTE_THRESHOLDS: Readonly<
  Record<CaptionDataset, AttributeThresholds>
> = {
  mnist: {
    thickness: [1.997, 2.481],
    slant: [-0.01, 0.224],
    size: [6.374, 7.055],
  },
  fashion: {
    brightness: [0.547, 0.709],
  },
};

/**
 * The class of a measure between two cut points.
 *
 * @param value The measure.
 * @param thresholds `[low, high]`: below `low` is class 0, below `high` 1,
 * else 2.
 * @returns 0, 1 or 2.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { attributeClass } from "./attribute_classes.ts";
 * assert.deepEqual([1, 2, 2.5, 3, 4].map((v) => attributeClass(v, [2, 3])), [0, 1, 1, 2, 2]);
 * ```
 */
export function attributeClass(
  value: number,
  thresholds: readonly [number, number],
): 0 | 1 | 2 {
  return value < thresholds[0] ? 0 : value < thresholds[1] ? 1 : 2;
}

/**
 * Measures the attributes `dataset`'s captions speak of on one image and
 * names their classes.
 *
 * @param pixels Grey values in [0, 1], row-major.
 * @param dataset Which attributes and default thresholds to use.
 * @param options `width` (default: square) and `thresholds` in place of
 * {@link ATTRIBUTE_THRESHOLDS} (attributes it lacks are not measured).
 * @returns One class per measured attribute.
 *
 * @example A thin vertical stroke in the middle
 * ```ts
 * import assert from "node:assert/strict";
 * import { describeImage } from "./attribute_classes.ts";
 * const image = new Float32Array(28 * 28);
 * for (let y = 4; y < 24; y++) image[y * 28 + 14] = 1;
 * assert.deepEqual(describeImage(image, "mnist"), { thickness: "thin", slant: "upright", size: "small" });
 * ```
 */
export function describeImage(
  pixels: Float32Array,
  dataset: CaptionDataset,
  options: { width?: number; thresholds?: AttributeThresholds } = {},
): ImageAttributes {
  const thresholds = options.thresholds ?? ATTRIBUTE_THRESHOLDS[dataset];
  const described: Record<string, string> = {};
  for (const attribute of DATASET_ATTRIBUTES[dataset]) {
    const cuts = thresholds[attribute];
    if (!cuts) continue;
    const value = ATTRIBUTE_MEASURES[attribute](pixels, options.width);
    described[attribute] = ATTRIBUTE_VALUES[attribute][
      attributeClass(value, cuts)
    ];
  }
  return described as ImageAttributes;
}

/**
 * {@link describeImage} for every image of a set, once, so that captions
 * drawn anew each epoch need not measure again (about 7 seconds for
 * MNIST's 60000 training images).
 *
 * @param set Square grey images, e.g. `(await loadMnist()).train`.
 * @param dataset Which attributes and thresholds to use.
 * @param thresholds In place of {@link ATTRIBUTE_THRESHOLDS}.
 * @returns One entry per image, in order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { describeImageSet } from "./attribute_classes.ts";
 * const set = { images: new Float32Array(2 * 784), labels: Uint8Array.of(3, 4), shape: [2, 28, 28, 1] as [number, number, number, number] };
 * assert.equal(describeImageSet(set, "mnist").length, 2);
 * ```
 */
export function describeImageSet(
  set: Pick<ImageSet, "images" | "shape">,
  dataset: CaptionDataset,
  thresholds?: AttributeThresholds,
): ImageAttributes[] {
  const [count, height, width, channels] = set.shape;
  if (channels !== 1) {
    throw new Error(`captions need grey images, not ${channels} channels`);
  }
  const length = height * width;
  return Array.from(
    { length: count },
    (_, index) =>
      describeImage(
        set.images.subarray(index * length, (index + 1) * length),
        dataset,
        { width, thresholds },
      ),
  );
}

/**
 * The two tertiles of a sample (the values a third and two thirds of the
 * way up its sorted order, interpolated linearly).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tertiles } from "./attribute_classes.ts";
 * assert.deepEqual(tertiles([4, 1, 3, 2]), [2, 3]);
 * ```
 */
export function tertiles(values: ArrayLike<number>): [number, number] {
  if (values.length === 0) throw new Error("tertiles of no values");
  const sorted = Float64Array.from(values).sort();
  const at = (fraction: number) => {
    const position = fraction * (sorted.length - 1);
    const below = Math.floor(position);
    const above = Math.min(below + 1, sorted.length - 1);
    return sorted[below] + (position - below) * (sorted[above] - sorted[below]);
  };
  return [at(1 / 3), at(2 / 3)];
}

/**
 * Measures every attribute of `dataset` on the first `count` images of a set
 * of square grey images and returns their tertiles: how
 * {@link ATTRIBUTE_THRESHOLDS} was made.
 *
 * @param images `count` or more images of `width * width` pixels each.
 * @param width Side of each image, e.g. 28.
 * @param dataset Which attributes to measure.
 * @param count How many images; default all.
 * @returns Tertiles per attribute, unrounded.
 */
export function measureThresholds(
  images: Float32Array,
  width: number,
  dataset: CaptionDataset,
  count: number = Math.floor(images.length / (width * width)),
): AttributeThresholds {
  const length = width * width;
  if (count < 1 || count * length > images.length) {
    throw new Error(
      `${count} images of ${length} pixels do not fit in ${images.length} pixels`,
    );
  }
  const thresholds: Record<string, [number, number]> = {};
  for (const attribute of DATASET_ATTRIBUTES[dataset]) {
    const values = new Float64Array(count);
    for (let index = 0; index < count; index++) {
      values[index] = ATTRIBUTE_MEASURES[attribute](
        images.subarray(index * length, (index + 1) * length),
        width,
      );
    }
    thresholds[attribute] = tertiles(values);
  }
  return thresholds as AttributeThresholds;
}
