/**
 * Evaluation every model family shares: FID (the Fréchet distance between
 * Gaussians fitted to the evaluation classifier's features), Inception
 * Score, class histograms and modes covered, class accuracy of conditional
 * samples, and bits per dimension for likelihood models. The math works in
 * float64 on plain arrays; only {@link evaluateImages},
 * {@link referenceStatistics} and {@link classAccuracy} run the classifier,
 * any {@link FeatureClassifier} (such as `models/classifier/`'s: eval/ sits
 * below the models and imports none of them).
 *
 * @example Score samples against real images' statistics
 * ```ts
 * import { evaluateImages, referenceStatistics } from "./mod.ts";
 * import { createClassifier } from "../models/classifier/mod.ts";
 * import { tf } from "../backends/tf.ts";
 * const classifier = createClassifier("classifier"); // load trained weights here
 * // Real images (in practice a data split) and a generator's samples.
 * const real = tf.randomUniform([16, 28, 28, 1], 0, 1, "float32", 1) as tf.Tensor4D;
 * const samples = tf.randomUniform([16, 28, 28, 1], 0, 0.5, "float32", 2) as tf.Tensor4D;
 * const reference = referenceStatistics(classifier, real);
 * const { fid, inceptionScore, modes } = evaluateImages(classifier, samples, reference);
 * console.log(fid, inceptionScore.mean, modes);
 * tf.dispose([real, samples]);
 * classifier.dispose();
 * ```
 *
 * @module
 */
export * from "./symmetric_eigen.ts";
export * from "./frechet_distance.ts";
export * from "./feature_statistics.ts";
export * from "./inception_score.ts";
export * from "./class_histogram.ts";
export * from "./bits_per_dim.ts";
export * from "./classify_images.ts";
export * from "./reference_statistics.ts";
export * from "./evaluate_images.ts";
export * from "./class_accuracy.ts";
export * from "./prompt_agreement.ts";
export * from "./prompt_evaluation.ts";
