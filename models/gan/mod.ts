/**
 * Generative adversarial networks: the canonical DCGAN and its
 * class-conditional twin (cgan), three losses (non-saturating, hinge,
 * least-squares), one-sided label smoothing, spectral normalisation, and
 * sampling with BatchNorm statistics that suit averaged weights.
 *
 * @example Build the canonical model, take both losses, draw samples
 * ```ts
 * import assert from "node:assert/strict";
 * import { createGan } from "./mod.ts";
 * import { initEngine } from "../../backends/engine.ts";
 * import { tf } from "../../backends/tf.ts";
 * await initEngine();
 * const gan = createGan("dcgan");
 * const batch = { images: tf.zeros([4, 28, 28, 1]) as tf.Tensor4D, labels: tf.zeros([4], "int32") as tf.Tensor1D };
 * let seed = 0;
 * const context = { seed: () => seed++, step: 0 };
 * tf.tidy(() => {
 *   for (const phase of gan.phases) phase.loss(batch, context).print(); // d_loss, g_loss
 *   assert.deepEqual(gan.sample(8, 2).shape, [8, 28, 28, 1]);
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
