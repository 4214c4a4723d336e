/**
 * The Inception Score of a set of class predictions.
 *
 * @module
 */

/** A score over splits of the samples. */
export interface SplitScore {
  /** Mean over the splits. */
  mean: number;
  /** Population standard deviation over the splits (0 for one split). */
  std: number;
}

/**
 * The Inception Score (Salimans et al. 2016),
 *
 *   IS = exp(E_x KL(p(y | x) || p(y))),   p(y) = E_x p(y | x),
 *
 * computed on each of `splits` consecutive parts of the rows (as near equal
 * in size as possible; part k is rows floor(k N / splits) up to
 * floor((k + 1) N / splits)), each with its own marginal p(y); returns the
 * mean and standard deviation of the parts' scores. It runs from 1 (every
 * prediction the same, or every prediction uniform) to `classes` (confident
 * predictions spread evenly over the classes). 0 log 0 counts as 0.
 *
 * @param probabilities (count, classes) row-major; each row a distribution.
 * @param classes Number of classes (columns).
 * @param splits Number of parts, 1..count; default 10.
 * @returns Mean and standard deviation of the score over the parts.
 * @throws Error if the table does not hold whole rows or `splits` is out of
 * range.
 *
 * @example Two confident predictions of different classes: IS = 2
 * ```ts
 * import assert from "node:assert/strict";
 * import { inceptionScore } from "./inception_score.ts";
 * assert.equal(inceptionScore([1, 0, 0, 1], 2, 1).mean, 2);
 * ```
 */
export function inceptionScore(
  probabilities: ArrayLike<number>,
  classes: number,
  splits = 10,
): SplitScore {
  if (!Number.isInteger(classes) || classes < 1) {
    throw new Error(`classes must be a whole number >= 1, got ${classes}`);
  }
  if (probabilities.length % classes !== 0) {
    throw new Error(
      `probabilities hold ${probabilities.length} numbers, not whole rows of ${classes}`,
    );
  }
  const count = probabilities.length / classes;
  if (!Number.isInteger(splits) || splits < 1 || splits > count) {
    throw new Error(
      `splits must be a whole number from 1 to the ${count} rows, got ${splits}`,
    );
  }
  const scores: number[] = [];
  for (let part = 0; part < splits; part++) {
    const start = Math.floor(part * count / splits);
    const end = Math.floor((part + 1) * count / splits);
    scores.push(partScore(probabilities, classes, start, end));
  }
  const mean = scores.reduce((sum, score) => sum + score, 0) / splits;
  const variance = scores.reduce((sum, score) => sum + (score - mean) ** 2, 0) /
    splits;
  return { mean, std: Math.sqrt(variance) };
}

/** exp(mean KL(p(y | x) || p(y))) over rows start..end-1. */
function partScore(
  probabilities: ArrayLike<number>,
  classes: number,
  start: number,
  end: number,
): number {
  const marginal = new Float64Array(classes);
  for (let row = start; row < end; row++) {
    for (let label = 0; label < classes; label++) {
      marginal[label] += probabilities[row * classes + label];
    }
  }
  for (let label = 0; label < classes; label++) {
    marginal[label] /= end - start;
  }
  let kl = 0;
  for (let row = start; row < end; row++) {
    for (let label = 0; label < classes; label++) {
      const p = probabilities[row * classes + label];
      if (p > 0) kl += p * Math.log(p / marginal[label]);
    }
  }
  return Math.exp(kl / (end - start));
}
