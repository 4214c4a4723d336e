/**
 * The variational autoencoder (Kingma & Welling 2014): presets, networks,
 * the negative ELBO, and sampling.
 *
 * @example Build the canonical model, take one loss, draw samples
 * ```ts
 * import assert from "node:assert/strict";
 * import { createVae, negativeElbo } from "./mod.ts";
 * import { tf } from "../../backends/tf.ts";
 * const vae = createVae("vae");
 * tf.tidy(() => {
 *   negativeElbo(vae, tf.zeros([4, 28, 28, 1]), 1).print(); // about 520 nats untrained
 *   assert.deepEqual(vae.sample(8, 2).shape, [8, 28, 28, 1]);
 * });
 * vae.dispose();
 * ```
 *
 * @module
 */
export * from "./presets.ts";
export * from "./model.ts";
export * from "./objective.ts";
export * from "./sampler.ts";
export * from "./vae.ts";
