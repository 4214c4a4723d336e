/**
 * Evaluation every model family shares: FID (the Fréchet distance between
 * Gaussians fitted to the evaluation classifier's features), Inception
 * Score, class histograms and modes covered, class accuracy of conditional
 * samples, and bits per dimension for likelihood models. The math works in
 * float64 on plain arrays; only {@link evaluateImages},
 * {@link referenceStatistics} and {@link classAccuracy} run the classifier
 * (`models/classifier/`).
 *
 * @example Score images against the training split's statistics
 * ```ts
 * import { evaluateImages, referenceStatistics } from "./mod.ts";
 * import { createClassifier } from "../models/classifier/mod.ts";
 * import { loadMnist } from "../data/mnist.ts";
 * const { train, test } = await loadMnist();
 * const classifier = createClassifier("classifier"); // load trained weights here
 * const reference = referenceStatistics(classifier, train);
 * const { fid, inceptionScore, modes } = evaluateImages(classifier, test, reference);
 * console.log(fid, inceptionScore.mean, modes);
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
