/**
 * How well a class-conditional generator draws the class it was asked for.
 *
 * @module
 */
import {
  classifyImages,
  EVALUATION_BATCH_SIZE,
  type EvaluationImages,
  type FeatureClassifier,
} from "./classify_images.ts";

/**
 * The fraction of images the evaluation classifier assigns to the class
 * each was requested as (e.g. a cgan's label input); an ideal conditional
 * generator scores about the classifier's own test accuracy.
 *
 * @param model A trained evaluation classifier.
 * @param images (count, size, size, channels) pixels in [0, 1].
 * @param requestedLabels (count) the class asked for, per image.
 * @param batchSize Images per forward pass; default 500.
 * @returns Accuracy in [0, 1].
 * @throws Error if the counts differ or there are no images.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { classAccuracy } from "./class_accuracy.ts";
 * import { createClassifier } from "../models/classifier/classifier.ts";
 * import { tf } from "../backends/tf.ts";
 * const classifier = createClassifier("classifier");
 * const images = tf.zeros([4, 28, 28, 1]) as tf.Tensor4D;
 * // Four blank images get one class, so one of the four labels at most is right.
 * assert.ok(classAccuracy(classifier, images, [0, 1, 2, 3]) <= 0.25);
 * images.dispose();
 * classifier.dispose();
 * ```
 */
export function classAccuracy(
  model: FeatureClassifier,
  images: EvaluationImages,
  requestedLabels: ArrayLike<number>,
  batchSize = EVALUATION_BATCH_SIZE,
): number {
  const count = images.shape[0];
  if (count < 1) throw new Error("classAccuracy: there are no images");
  if (requestedLabels.length !== count) {
    throw new Error(
      `${requestedLabels.length} requested labels for ${count} images`,
    );
  }
  const { predictions } = classifyImages(model, images, batchSize);
  let correct = 0;
  for (let index = 0; index < count; index++) {
    if (predictions[index] === requestedLabels[index]) correct++;
  }
  return correct / count;
}
