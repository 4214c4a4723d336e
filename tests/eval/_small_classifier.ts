/**
 * Small classifiers and images for the evaluation tests: 8 x 8 images and
 * 6 features, so 40 images give a full-rank feature covariance and every
 * test runs in milliseconds.
 */
import { tf } from "../../backends/tf.ts";
import { mulberry32 } from "../../data/random.ts";
import type { ImageSet } from "../../data/image_set.ts";
import {
  type Classifier,
  createClassifier,
} from "../../models/classifier/classifier.ts";

/** A randomly initialised classifier on 8 x 8 images with 6 features. */
export function smallClassifier(seed = 1): Classifier {
  return createClassifier(
    { imageSize: 8, baseWidth: 4, featureSize: 6 },
    mulberry32(seed),
  );
}

/**
 * A small classifier whose every weight is 0 except the logits' bias, which
 * favours `label`: it predicts `label` for every image with probability
 * e^5 / (e^5 + 9), and its features are all 0.
 */
export function constantClassifier(label: number): Classifier {
  const classifier = smallClassifier();
  for (const variable of classifier.groups.model.values()) {
    variable.assign(tf.zerosLike(variable));
  }
  const bias = new Float32Array(10);
  bias[label] = 5;
  classifier.groups.model.get("logits.bias")!.assign(tf.tensor1d(bias));
  return classifier;
}

/** `count` random 8 x 8 images in [0, 1], with labels 0..9 in turn. */
export function randomImages(count: number, seed: number): ImageSet {
  const random = mulberry32(seed);
  return {
    images: Float32Array.from({ length: count * 64 }, () => random()),
    labels: Uint8Array.from({ length: count }, (_, index) => index % 10),
    shape: [count, 8, 8, 1],
  };
}
