/**
 * How a generator's samples spread over the classes, and how many classes
 * (modes) it covers.
 *
 * @module
 */

/**
 * How many predictions fall in each class.
 *
 * @param predictedClasses One class index per sample, each in 0..classes-1.
 * @param classes Number of classes.
 * @returns (classes) counts, summing to the number of predictions.
 * @throws Error naming the first prediction out of range.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { classHistogram } from "./class_histogram.ts";
 * assert.deepEqual(classHistogram([0, 2, 2, 1, 2], 3), Uint32Array.of(1, 1, 3));
 * ```
 */
export function classHistogram(
  predictedClasses: ArrayLike<number>,
  classes: number,
): Uint32Array {
  if (!Number.isInteger(classes) || classes < 1) {
    throw new Error(`classes must be a whole number >= 1, got ${classes}`);
  }
  const histogram = new Uint32Array(classes);
  for (let index = 0; index < predictedClasses.length; index++) {
    const label = predictedClasses[index];
    if (!Number.isInteger(label) || label < 0 || label >= classes) {
      throw new Error(
        `prediction ${index} is ${label}, not a class in 0..${classes - 1}`,
      );
    }
    histogram[label]++;
  }
  return histogram;
}

/** The default share of the samples a class needs to count as covered: 1%. */
export const MODE_THRESHOLD = 0.01;

/**
 * How many classes a set of samples covers. The rule: a class counts as
 * covered when at least `threshold` of all the samples are predicted as it
 * (default 1%, i.e. 10% of its fair share of 1 / 10 for ten classes), so a
 * few stray misclassifications do not make a collapsed generator look
 * diverse. An empty histogram covers nothing.
 *
 * @param histogram Samples per class, e.g. from {@link classHistogram}.
 * @param threshold Share of all samples, in (0, 1]; default 0.01.
 * @returns Number of covered classes, 0..histogram.length.
 * @throws Error if `threshold` is not in (0, 1].
 *
 * @example 200 samples: class 2 has 1 (0.5%), under the 1% rule
 * ```ts
 * import assert from "node:assert/strict";
 * import { modesCovered } from "./class_histogram.ts";
 * assert.equal(modesCovered([120, 79, 1]), 2);
 * ```
 */
export function modesCovered(
  histogram: ArrayLike<number>,
  threshold = MODE_THRESHOLD,
): number {
  if (!(threshold > 0 && threshold <= 1)) {
    throw new Error(`threshold must be in (0, 1], got ${threshold}`);
  }
  let total = 0;
  for (let label = 0; label < histogram.length; label++) {
    total += histogram[label];
  }
  if (total === 0) return 0;
  let covered = 0;
  for (let label = 0; label < histogram.length; label++) {
    if (histogram[label] >= threshold * total) covered++;
  }
  return covered;
}
