/**
 * Generative adversarial networks: the canonical DCGAN and its
 * class-conditional twin (cgan), three losses (non-saturating, hinge,
 * least-squares), one-sided label smoothing, spectral normalisation, and
 * sampling with BatchNorm statistics that suit averaged weights.
 *
 * @example Build the canonical model, take both losses, draw samples
 * ```ts
 * import { createGan } from "./mod.ts";
 * import { tf } from "../../backends/tf.ts";
 * const gan = createGan("dcgan");
 * const batch = { images: tf.zeros([4, 28, 28, 1]) as tf.Tensor4D, labels: tf.zeros([4], "int32") as tf.Tensor1D };
 * let seed = 0;
 * const context = { seed: () => seed++, step: 0 };
 * tf.tidy(() => {
 *   for (const phase of gan.phases) phase.loss(batch, context).print();
 *   console.log(gan.sample(8, 2).shape); // [8, 28, 28, 1]
 * });
 * gan.dispose();
 * ```
 *
 * @module
 */
export * from "./presets.ts";
export * from "./model.ts";
export * from "./spectral_norm.ts";
export * from "./objective.ts";
export * from "./sampler.ts";
export * from "./gan.ts";
export * from "./quality.ts";
