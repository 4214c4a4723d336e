/**
 * The evaluation classifier: a small CNN for 28 x 28 grey images whose
 * penultimate features and class predictions score every generative family
 * (FID, Inception Score, modes; see `eval/`). Trained like any other model:
 * `deno task train --model classifier`.
 *
 * @example Build the model, read its features and accuracy
 * ```ts
 * import { accuracy, createClassifier, features } from "./mod.ts";
 * import { loadMnist } from "../../data/mnist.ts";
 * import { tf } from "../../backends/tf.ts";
 * const { test } = await loadMnist();
 * const classifier = createClassifier("classifier");
 * console.log(tf.tidy(() => features(classifier, tf.zeros([2, 28, 28, 1])).shape)); // [2, 128]
 * console.log(accuracy(classifier, test));
 * classifier.dispose();
 * ```
 *
 * @module
 */
export * from "./presets.ts";
export * from "./model.ts";
export * from "./objective.ts";
export * from "./classifier.ts";
export * from "./accuracy.ts";
