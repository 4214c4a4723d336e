/**
 * The real data's feature statistics, the reference FID measures against.
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
  type FeatureStatistics,
  featureStatistics,
} from "./feature_statistics.ts";

/**
 * The mean and covariance of the classifier's features over a set of real
 * images (usually the training split), for {@link evaluateImages} to
 * compare samples with. Compute it once per classifier and reuse it.
 *
 * @param model A trained evaluation classifier.
 * @param set At least 2 images, pixels in [0, 1], e.g. an `ImageSet`.
 * @param batchSize Images per forward pass; default 500.
 * @returns Feature mean (featureSize) and covariance (featureSize^2).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { referenceStatistics } from "./reference_statistics.ts";
 * import { createClassifier } from "../models/classifier/classifier.ts";
 * import { tf } from "../backends/tf.ts";
 * const classifier = createClassifier("classifier"); // load trained weights here
 * const images = tf.randomUniform([8, 28, 28, 1], 0, 1, "float32", 1) as tf.Tensor4D;
 * const reference = referenceStatistics(classifier, images);
 * assert.equal(reference.mean.length, 64); // one per feature
 * assert.equal(reference.covariance.length, 64 * 64);
 * images.dispose();
 * classifier.dispose();
 * ```
 */
export function referenceStatistics(
  model: FeatureClassifier,
  set: EvaluationImages,
  batchSize = EVALUATION_BATCH_SIZE,
): FeatureStatistics {
  const { features, featureSize } = classifyImages(model, set, batchSize);
  return featureStatistics(features, featureSize);
}
