/**
 * Denoising diffusion (Ho et al. 2020): noise schedules, the forward
 * process and prediction targets, the U-Net, the simplified loss, DDPM and
 * DDIM samplers, classifier-free guidance, and the model the trainer runs.
 *
 * @example Build the canonical model, take one loss, draw samples
 * ```ts
 * import assert from "node:assert/strict";
 * import { createDdpm, diffusionLoss } from "./mod.ts";
 * import { tf } from "../../backends/tf.ts";
 * const ddpm = createDdpm("ddpm-small");
 * tf.tidy(() => {
 *   const seeds = { timesteps: 1, noise: 2, labels: 3 };
 *   diffusionLoss(ddpm, tf.zeros([4, 28, 28, 1]), undefined, seeds).print(); // about 1.8 untrained
 *   assert.deepEqual(ddpm.sample({ count: 4, seed: 1, steps: 2 }).shape, [4, 28, 28, 1]);
 * });
 * ddpm.dispose();
 * ```
 *
 * @module
 */
export * from "./presets.ts";
export * from "./schedule.ts";
export * from "./process.ts";
export * from "./blocks.ts";
export * from "./model.ts";
export * from "./objective.ts";
export * from "./sampler.ts";
export * from "./guidance.ts";
export * from "./diffusion.ts";
export * from "./evaluation.ts";
