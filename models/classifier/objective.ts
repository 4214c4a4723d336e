/**
 * What the classifier learns: softmax cross-entropy on the labels, on images
 * shifted by a few random pixels (a light augmentation that adds about half
 * a point of test accuracy on MNIST).
 *
 * @module
 */
import { tf } from "@genwasm/backend/tf";
import { mulberry32 } from "@genwasm/data/random";
import type { TrainingPhase } from "../contract.ts";
import type { ClassifierNetwork } from "./model.ts";
import type { ClassifierConfig } from "./presets.ts";

/**
 * Shifts each image by its own random whole number of pixels (dy, dx), each
 * uniform in -maxShift..maxShift and drawn from `seed`; pixels shifted in
 * from outside the image are 0. Not differentiable in the shifts (it is an
 * input transform).
 *
 * @param images (batch, height, width, channels)
 * @param maxShift Largest shift on each axis, a whole number >= 0.
 * @param seed Seed of the shifts; the same seed gives the same shifts.
 * @returns Same shape, shifted.
 *
 * @example A shift of up to one pixel
 * ```ts
 * import { shiftImages } from "./objective.ts";
 * import { tf } from "../../backends/tf.ts";
 * tf.tidy(() => shiftImages(tf.ones([2, 3, 3, 1]), 1, 7).print()); // zeros come in at the edges
 * ```
 */
export function shiftImages(
  images: tf.Tensor4D,
  maxShift: number,
  seed: number,
): tf.Tensor4D {
  if (!Number.isInteger(maxShift) || maxShift < 0) {
    throw new Error(`maxShift must be a whole number >= 0, got ${maxShift}`);
  }
  const [batch, height, width, channels] = images.shape;
  const random = mulberry32(seed);
  // indices[out] = the flat input position each output value comes from;
  // `blank` is one past the end, where a 0 is appended.
  const blank = batch * height * width * channels;
  const indices = new Int32Array(blank);
  for (let image = 0; image < batch; image++) {
    const dy = Math.floor(random() * (2 * maxShift + 1)) - maxShift;
    const dx = Math.floor(random() * (2 * maxShift + 1)) - maxShift;
    for (let y = 0; y < height; y++) {
      const sourceY = y - dy;
      for (let x = 0; x < width; x++) {
        const sourceX = x - dx;
        const inside = sourceY >= 0 && sourceY < height && sourceX >= 0 &&
          sourceX < width;
        const source = ((image * height + sourceY) * width + sourceX) *
          channels;
        const target = ((image * height + y) * width + x) * channels;
        for (let channel = 0; channel < channels; channel++) {
          indices[target + channel] = inside ? source + channel : blank;
        }
      }
    }
  }
  return tf.tidy(() => {
    const padded = tf.concat([tf.reshape(images, [-1]), tf.zeros([1])]);
    return tf.reshape(
      tf.gather(padded, tf.tensor1d(indices, "int32")),
      images.shape,
    );
  });
}

/**
 * Mean softmax cross-entropy -1/B sum_b log softmax(logits_b)[label_b].
 *
 * @param logits (batch, classes)
 * @param labels (batch) int32 class indices.
 * @returns Mean cross-entropy in nats.
 *
 * @example Equal logits cost ln(classes)
 * ```ts
 * import assert from "node:assert/strict";
 * import { softmaxCrossEntropy } from "./objective.ts";
 * import { tf } from "../../backends/tf.ts";
 * const loss = tf.tidy(() => softmaxCrossEntropy(tf.zeros([2, 10]), tf.tensor1d([3, 4], "int32")));
 * assert.ok(Math.abs(loss.dataSync()[0] - Math.log(10)) < 1e-6); // 2.3026
 * loss.dispose();
 * ```
 */
export function softmaxCrossEntropy(
  logits: tf.Tensor2D,
  labels: tf.Tensor1D,
): tf.Scalar {
  return tf.tidy(() => {
    const targets = tf.oneHot(tf.cast(labels, "int32"), logits.shape[1]);
    return tf.neg(tf.mean(tf.sum(tf.mul(targets, tf.logSoftmax(logits)), 1)));
  });
}

/**
 * The classifier's one training phase, "loss" on group "model": softmax
 * cross-entropy of the batch's labels, on images shifted by up to
 * `config.maxShift` pixels with the step's next seed (no seed is drawn when
 * `maxShift` is 0).
 *
 * @param network The classifier network.
 * @param config Its config (for `maxShift`).
 * @returns The phases of one training step.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { classifierPhases } from "./objective.ts";
 * import { createClassifier } from "./classifier.ts";
 * const classifier = createClassifier("classifier");
 * const phases = classifierPhases(classifier.network, classifier.config);
 * assert.deepEqual(phases.map((phase) => phase.name), ["loss"]);
 * classifier.dispose();
 * ```
 */
export function classifierPhases(
  network: ClassifierNetwork,
  config: ClassifierConfig,
): TrainingPhase[] {
  return [{
    name: "loss",
    group: "model",
    loss: (batch, context) => {
      const images = config.maxShift > 0
        ? shiftImages(batch.images, config.maxShift, context.seed())
        : batch.images;
      return softmaxCrossEntropy(network.apply(images).logits, batch.labels);
    },
  }];
}
