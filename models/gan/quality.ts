/**
 * Mode collapse made visible: a GAN's samples scored by the evaluation
 * classifier (FID, Inception Score, modes covered, the largest class's
 * share) and, for a conditional GAN, how often a sample is the class it
 * was asked for.
 *
 * @module
 */
import { classAccuracy } from "@genwasm/eval/class_accuracy";
import {
  type EvaluationClassifier,
  sampleMetrics,
  scoreSamples,
} from "@genwasm/eval/sample_quality";
import type { Gan } from "./gan.ts";

/**
 * Scores `count` samples (seeds 1, 2, ... per chunk of up to 1000; a
 * conditional GAN draws the classes in turn, so evenly).
 *
 * @param gan The model (the weights in place are the ones scored).
 * @param classifier The evaluation classifier and its test-set statistics.
 * @param count Samples to score; FID is biased upwards for few samples,
 * so compare runs at the same count.
 * @returns `fid`, `inception_score`, `modes` (classes with at least 1% of
 * the samples), `largest_class` (the most frequent class's share: 0.1 is
 * even for ten classes, 1 is total collapse), the class histogram as
 * shares `class_0`, `class_1`, ... (so training logs and plots it) and,
 * when conditional, `class_accuracy` (share of samples classified as their
 * requested class).
 *
 * @example
 * ```ts
 * import { ganSampleMetrics } from "./quality.ts";
 * import { createGan } from "./gan.ts";
 * import { createClassifier } from "../classifier/classifier.ts";
 * import { referenceStatistics } from "../../eval/reference_statistics.ts";
 * import { initEngine } from "../../backends/engine.ts";
 * import { tf } from "../../backends/tf.ts";
 * await initEngine();
 * const gan = createGan("dcgan");
 * const model = createClassifier("classifier"); // trained, in practice
 * const test = tf.randomUniform([16, 28, 28, 1], 0, 1, "float32", 1) as tf.Tensor4D; // the test split
 * const classifier = { model, reference: referenceStatistics(model, test) };
 * const metrics = ganSampleMetrics(gan, classifier, 32); // 1000 or more to compare runs
 * console.log(metrics.modes, metrics.largest_class);
 * test.dispose();
 * model.dispose();
 * gan.dispose();
 * ```
 */
export function ganSampleMetrics(
  gan: Gan,
  classifier: EvaluationClassifier,
  count: number,
): Record<string, number> {
  const classes = gan.generator.classes;
  let correct = 0;
  const scores = scoreSamples(
    classifier,
    (size, seed) => {
      const images = gan.sample(size, seed);
      if (classes > 0) {
        // sample() draws class index % classes for image `index`.
        const requested = Array.from({ length: size }, (_, i) => i % classes);
        correct += size * classAccuracy(classifier.model, images, requested);
      }
      return images;
    },
    { count, chunk: Math.min(1000, count) },
  );
  return {
    ...sampleMetrics(scores),
    largest_class: Math.max(...scores.histogram) / scores.count,
    ...Object.fromEntries(
      Array.from(
        scores.histogram,
        (n, label) => [`class_${label}`, n / scores.count],
      ),
    ),
    ...(classes > 0 ? { class_accuracy: correct / count } : {}),
  };
}
