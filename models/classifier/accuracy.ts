/**
 * How often the classifier names an image set's labels.
 *
 * @module
 */
import { tf } from "@genwasm/backend/tf";
import type { ImageSet } from "@genwasm/data/image_set";
import { type Classifier, logits } from "./classifier.ts";

/**
 * The class with the highest logit for each image of a set, a batch at a
 * time (each batch in its own `tf.tidy`).
 *
 * @param model The classifier.
 * @param set Images with pixels in [0, 1] (labels unused).
 * @param batchSize Images per forward pass; default 500.
 * @returns (count) predicted classes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { predictClasses } from "./accuracy.ts";
 * import { createClassifier } from "./classifier.ts";
 * const classifier = createClassifier("classifier");
 * const set = { images: new Float32Array(2 * 784), labels: new Uint8Array(2), shape: [2, 28, 28, 1] as [number, number, number, number] };
 * assert.equal(predictClasses(classifier, set).length, 2); // one class an image
 * classifier.dispose();
 * ```
 */
export function predictClasses(
  model: Classifier,
  set: Pick<ImageSet, "images" | "shape">,
  batchSize = 500,
): Int32Array {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new Error(`batchSize must be a whole number >= 1, got ${batchSize}`);
  }
  const [count, height, width, channels] = set.shape;
  const imageLength = height * width * channels;
  const predictions = new Int32Array(count);
  for (let start = 0; start < count; start += batchSize) {
    const size = Math.min(batchSize, count - start);
    const pixels = set.images.subarray(
      start * imageLength,
      (start + size) * imageLength,
    );
    const chunk = tf.tidy(() =>
      tf.argMax(
        logits(model, tf.tensor4d(pixels, [size, height, width, channels])),
        1,
      ).dataSync() as Int32Array
    );
    predictions.set(chunk, start);
  }
  return predictions;
}

/**
 * The fraction of a labelled set the classifier gets right.
 *
 * @param model The classifier.
 * @param set Images with pixels in [0, 1] and their labels.
 * @param batchSize Images per forward pass; default 500.
 * @returns Accuracy in [0, 1].
 * @throws Error if the set is empty.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { accuracy } from "./accuracy.ts";
 * import { createClassifier } from "./classifier.ts";
 * const classifier = createClassifier("classifier");
 * const set = {
 *   images: new Float32Array(4 * 784),
 *   labels: Uint8Array.of(0, 1, 2, 3),
 *   shape: [4, 28, 28, 1] as [number, number, number, number],
 * };
 * assert.ok([0, 0.25].includes(accuracy(classifier, set))); // blank images get one class
 * classifier.dispose();
 * ```
 */
export function accuracy(
  model: Classifier,
  set: ImageSet,
  batchSize = 500,
): number {
  const count = set.shape[0];
  if (count < 1) throw new Error("accuracy: the image set is empty");
  const predictions = predictClasses(model, set, batchSize);
  let correct = 0;
  for (let index = 0; index < count; index++) {
    if (predictions[index] === set.labels[index]) correct++;
  }
  return correct / count;
}
