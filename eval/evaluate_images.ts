/**
 * One call that scores a generator's samples with the evaluation
 * classifier: FID, Inception Score, and how the samples spread over the
 * classes.
 *
 * @module
 */
import {
  classifyImages,
  EVALUATION_BATCH_SIZE,
  type EvaluationImages,
  type FeatureClassifier,
} from "./classify_images.ts";
import {
  classHistogram,
  MODE_THRESHOLD,
  modesCovered,
} from "./class_histogram.ts";
import {
  type FeatureStatistics,
  featureStatistics,
} from "./feature_statistics.ts";
import { frechetDistance } from "./frechet_distance.ts";
import { inceptionScore, type SplitScore } from "./inception_score.ts";

/** Options of {@link evaluateImages}. */
export interface EvaluateImagesOptions {
  /** Images per forward pass; default 500. */
  batchSize?: number;
  /** Parts the Inception Score is averaged over; default 10 (fewer for < 10 images). */
  splits?: number;
  /** Share of the samples a class needs to count as covered; default 0.01. */
  modeThreshold?: number;
}

/** The scores of one set of samples. */
export interface ImageEvaluation {
  /** Number of images scored. */
  count: number;
  /**
   * Fréchet distance between the samples' features and the reference's
   * (lower is better). With the `classifier` preset trained 3 epochs, MNIST's
   * test split scores about 1.2 against the training split's statistics and
   * 10000 training images about 0.65 (the small-sample bias); uniform noise
   * scores about 600.
   */
  fid: number;
  /** exp(E KL(p(y|x) || p(y))) over splits: 1 (worst) to classes (best). */
  inceptionScore: SplitScore;
  /** Samples predicted as each class. */
  histogram: Uint32Array;
  /** Classes holding at least `modeThreshold` of the samples. */
  modes: number;
}

/**
 * Scores images, typically a generator's samples, with the evaluation
 * classifier: FID against reference statistics (see
 * {@link referenceStatistics}), Inception Score, the class histogram of the
 * predictions and the number of modes covered (see {@link modesCovered}).
 * FID is biased upwards for small sample counts; compare runs at the same
 * count (10000 is usual).
 *
 * @param model A trained evaluation classifier.
 * @param images At least 2 images (count, size, size, channels), pixels in
 * [0, 1]: a tensor or plain pixels with their shape.
 * @param reference Feature statistics of real images from the same classifier.
 * @param options Batch size, Inception Score splits, mode threshold.
 * @returns FID, Inception Score, histogram and modes.
 * @throws Error if the images do not fit the classifier or the reference's
 * size differs from the classifier's features.
 *
 * @example Images scored against their own statistics
 * ```ts
 * import assert from "node:assert/strict";
 * import { evaluateImages } from "./evaluate_images.ts";
 * import { referenceStatistics } from "./reference_statistics.ts";
 * import { createClassifier } from "../models/classifier/classifier.ts";
 * import { tf } from "../backends/tf.ts";
 * const classifier = createClassifier("classifier"); // load trained weights here
 * const images = tf.randomUniform([20, 28, 28, 1], 0, 1, "float32", 1) as tf.Tensor4D;
 * const reference = referenceStatistics(classifier, images);
 * const { fid, modes } = evaluateImages(classifier, images, reference);
 * assert.ok(Math.abs(fid) < 1e-3); // the same images: about 0
 * assert.ok(modes >= 1);
 * images.dispose();
 * classifier.dispose();
 * ```
 */
export function evaluateImages(
  model: FeatureClassifier,
  images: EvaluationImages,
  reference: FeatureStatistics,
  {
    batchSize = EVALUATION_BATCH_SIZE,
    splits,
    modeThreshold = MODE_THRESHOLD,
  }: EvaluateImagesOptions = {},
): ImageEvaluation {
  const { featureSize } = model.config;
  if (
    reference.mean.length !== featureSize ||
    reference.covariance.length !== featureSize * featureSize
  ) {
    throw new Error(
      `reference statistics have ${reference.mean.length} features but the ` +
        `classifier gives ${featureSize}`,
    );
  }
  const classified = classifyImages(model, images, batchSize);
  const { mean, covariance } = featureStatistics(
    classified.features,
    featureSize,
  );
  const histogram = classHistogram(
    classified.predictions,
    classified.classes,
  );
  return {
    count: classified.count,
    fid: frechetDistance(
      mean,
      covariance,
      reference.mean,
      reference.covariance,
    ),
    inceptionScore: inceptionScore(
      classified.probabilities,
      classified.classes,
      splits ?? Math.min(10, classified.count),
    ),
    histogram,
    modes: modesCovered(histogram, modeThreshold),
  };
}
