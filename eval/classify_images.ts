/**
 * Runs images through the evaluation classifier a batch at a time and
 * collects what the metrics need: features, class probabilities and
 * predicted classes.
 *
 * @module
 */
import { tf } from "@genwasm/backend/tf";
import type { ImageSet } from "@genwasm/data/image_set";

/**
 * Images to evaluate, pixels in [0, 1]: a tensor (e.g. a generator's
 * samples) or plain pixels with their shape (e.g. an {@link ImageSet}).
 */
export type EvaluationImages =
  | tf.Tensor4D
  | Pick<ImageSet, "images" | "shape">;

/**
 * What the metrics need of the evaluation classifier: the images it takes,
 * its feature and class counts, and one forward pass. The classifier of
 * `models/classifier/` fulfils it; eval/ sits below the models and imports
 * none of them.
 */
export interface FeatureClassifier {
  readonly config: {
    /** Side of the square images it takes. */
    readonly imageSize: number;
    /** Channels of the images it takes. */
    readonly channels: number;
    /** Length of the feature vector (the penultimate layer). */
    readonly featureSize: number;
    /** Number of classes. */
    readonly classes: number;
  };
  /**
   * Features (batch, featureSize) and unnormalised class scores
   * (batch, classes) of images in [0, 1].
   */
  classify(images: tf.Tensor4D): { features: tf.Tensor2D; logits: tf.Tensor2D };
}

/** Everything one pass of the classifier gives, read back to plain arrays. */
export interface Classified {
  count: number;
  /** (count, featureSize) row-major penultimate activations. */
  features: Float32Array;
  featureSize: number;
  /** (count, classes) row-major softmax of the logits. */
  probabilities: Float32Array;
  classes: number;
  /** (count) class with the highest logit. */
  predictions: Int32Array;
}

/** Images per forward pass unless a caller says otherwise. */
export const EVALUATION_BATCH_SIZE = 500;

/**
 * Classifies every image, `batchSize` at a time, each batch in its own
 * `tf.tidy`, and reads the results back: the pass every metric of this
 * folder starts from.
 *
 * @param model The evaluation classifier.
 * @param images (count, size, size, channels) with the classifier's size and
 * channels, pixels in [0, 1].
 * @param batchSize Images per forward pass.
 * @returns Features, probabilities and predictions of every image.
 * @throws Error if the images' shape does not fit the classifier.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { classifyImages } from "./classify_images.ts";
 * import { createClassifier } from "../models/classifier/classifier.ts";
 * import { tf } from "../backends/tf.ts";
 * const classifier = createClassifier("classifier");
 * const images = tf.zeros([3, 28, 28, 1]) as tf.Tensor4D;
 * const { features, predictions } = classifyImages(classifier, images);
 * assert.equal(features.length, 3 * 64); // 64 features an image
 * assert.equal(predictions.length, 3);
 * images.dispose();
 * classifier.dispose();
 * ```
 */
export function classifyImages(
  model: FeatureClassifier,
  images: EvaluationImages,
  batchSize = EVALUATION_BATCH_SIZE,
): Classified {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new Error(`batchSize must be a whole number >= 1, got ${batchSize}`);
  }
  const [count, height, width, channels] = images.shape;
  const { imageSize, channels: expectedChannels, featureSize, classes } =
    model.config;
  if (
    height !== imageSize || width !== imageSize || channels !== expectedChannels
  ) {
    throw new Error(
      `images of shape [${images.shape}] do not fit the classifier, which takes ` +
        `[count, ${imageSize}, ${imageSize}, ${expectedChannels}]`,
    );
  }
  const imageLength = height * width * channels;
  const classified: Classified = {
    count,
    features: new Float32Array(count * featureSize),
    featureSize,
    probabilities: new Float32Array(count * classes),
    classes,
    predictions: new Int32Array(count),
  };
  for (let start = 0; start < count; start += batchSize) {
    const size = Math.min(batchSize, count - start);
    tf.tidy(() => {
      const batch = images instanceof tf.Tensor
        ? tf.slice(images, [start, 0, 0, 0], [size, height, width, channels])
        : tf.tensor4d(
          images.images.subarray(
            start * imageLength,
            (start + size) * imageLength,
          ),
          [size, height, width, channels],
        );
      const outputs = model.classify(batch);
      classified.features.set(
        outputs.features.dataSync() as Float32Array,
        start * featureSize,
      );
      classified.probabilities.set(
        tf.softmax(outputs.logits).dataSync() as Float32Array,
        start * classes,
      );
      classified.predictions.set(
        tf.argMax(outputs.logits, 1).dataSync() as Int32Array,
        start,
      );
    });
  }
  return classified;
}
