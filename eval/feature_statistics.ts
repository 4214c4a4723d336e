/**
 * Mean and covariance of feature vectors: the Gaussian that FID compares.
 *
 * @module
 */

/** A Gaussian fitted to feature vectors; what FID compares. */
export interface FeatureStatistics {
  /** (dim) mean feature vector. */
  mean: Float64Array;
  /** (dim, dim) row-major unbiased covariance (divided by count - 1). */
  covariance: Float64Array;
}

/**
 * The mean and the unbiased covariance
 * S = sum_i (x_i - mean)(x_i - mean)^T / (count - 1) of `count` feature
 * vectors, in float64 (two passes: the mean first, then centred products,
 * so large means cost no precision).
 *
 * @param features (count, dim) row-major, count >= 2.
 * @param dim Length of one feature vector.
 * @returns Mean and covariance.
 * @throws Error if `features` does not hold whole rows of `dim` or has fewer
 * than 2 rows.
 *
 * @example Two points (0, 0) and (2, 4)
 * ```ts
 * import assert from "node:assert/strict";
 * import { featureStatistics } from "./feature_statistics.ts";
 * const { mean, covariance } = featureStatistics(Float64Array.of(0, 0, 2, 4), 2);
 * assert.deepEqual(mean, Float64Array.of(1, 2));
 * assert.deepEqual(covariance, Float64Array.of(2, 4, 4, 8));
 * ```
 */
export function featureStatistics(
  features: ArrayLike<number>,
  dim: number,
): FeatureStatistics {
  if (!Number.isInteger(dim) || dim < 1) {
    throw new Error(`dim must be a whole number >= 1, got ${dim}`);
  }
  if (features.length % dim !== 0) {
    throw new Error(
      `features hold ${features.length} numbers, not whole rows of ${dim}`,
    );
  }
  const count = features.length / dim;
  if (count < 2) {
    throw new Error(`a covariance needs at least 2 rows, got ${count}`);
  }
  const mean = new Float64Array(dim);
  for (let row = 0; row < count; row++) {
    for (let index = 0; index < dim; index++) {
      mean[index] += features[row * dim + index];
    }
  }
  for (let index = 0; index < dim; index++) mean[index] /= count;

  // Upper triangle of the sum of centred outer products, then mirrored.
  const covariance = new Float64Array(dim * dim);
  const centred = new Float64Array(dim);
  for (let row = 0; row < count; row++) {
    for (let index = 0; index < dim; index++) {
      centred[index] = features[row * dim + index] - mean[index];
    }
    for (let first = 0; first < dim; first++) {
      const value = centred[first];
      if (value === 0) continue;
      const offset = first * dim;
      for (let second = first; second < dim; second++) {
        covariance[offset + second] += value * centred[second];
      }
    }
  }
  for (let first = 0; first < dim; first++) {
    for (let second = first; second < dim; second++) {
      const value = covariance[first * dim + second] / (count - 1);
      covariance[first * dim + second] = value;
      covariance[second * dim + first] = value;
    }
  }
  return { mean, covariance };
}
