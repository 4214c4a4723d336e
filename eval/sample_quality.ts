/**
 * Sample quality of a generative model through the evaluation classifier:
 * draws `count` samples in chunks and scores them (FID against the test
 * split's features, Inception Score, class histogram, modes covered).
 *
 * @module
 */
import { tf } from "@genwasm/backend/tf";
import type { FeatureClassifier } from "./classify_images.ts";
import { evaluateImages, type ImageEvaluation } from "./evaluate_images.ts";
import type { FeatureStatistics } from "./feature_statistics.ts";

/**
 * A trained classifier and the real-image statistics to compare with; `C`
 * is the classifier's own type for code that also owns it (e.g. frees it).
 */
export interface EvaluationClassifier<
  C extends FeatureClassifier = FeatureClassifier,
> {
  model: C;
  /** Feature statistics of the test split. */
  reference: FeatureStatistics;
}

/**
 * Draws `count` images with `draw(chunk, seed)` (pixels in [0, 1]; runs
 * inside tf.tidy) and scores them.
 */
export function scoreSamples(
  classifier: EvaluationClassifier,
  draw: (count: number, seed: number) => tf.Tensor4D,
  { count = 10000, chunk = 1000, seed = 1 } = {},
): ImageEvaluation {
  const parts: Float32Array[] = [];
  let shape: number[] = [];
  for (let done = 0, part = 0; done < count; done += chunk, part++) {
    const size = Math.min(chunk, count - done);
    tf.tidy(() => {
      const images = draw(size, seed + part);
      shape = images.shape;
      parts.push(Float32Array.from(images.dataSync() as Float32Array));
    });
  }
  const images = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    images.set(part, (offset += part.length) - part.length);
  }
  return evaluateImages(classifier.model, {
    images,
    shape: [count, shape[1], shape[2], shape[3]],
  }, classifier.reference);
}

/** The metrics of {@link scoreSamples} as flat numbers for `eval --json`. */
export function sampleMetrics(scores: ImageEvaluation): Record<string, number> {
  return {
    fid: scores.fid,
    inception_score: scores.inceptionScore.mean,
    modes: scores.modes,
  };
}
