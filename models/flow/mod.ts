/**
 * Normalising flows (RealNVP, Dinh et al. 2017; Glow, Kingma & Dhariwal
 * 2018): the canonical multi-scale image flow trained on exact
 * log-likelihood in bits per dimension, a 2-D flow for the toy point sets,
 * and their building blocks, each an invertible map with its
 * log-determinant (dequantisation, logit, squeeze, ActNorm, invertible 1x1
 * convolution plain or LU, fixed permutations, affine and additive
 * couplings, the multi-scale split).
 *
 * @example Build the canonical flow, take one loss, sample at a temperature
 * ```ts
 * import assert from "node:assert/strict";
 * import { bitsPerDimLoss, createFlow } from "./mod.ts";
 * import { tf } from "../../backends/tf.ts";
 * const flow = createFlow("flow");
 * tf.tidy(() => {
 *   bitsPerDimLoss(flow, tf.zeros([4, 28, 28, 1]), 1).print(); // bits per pixel
 *   assert.deepEqual(flow.sample(8, 2, 0.7).shape, [8, 28, 28, 1]);
 * });
 * flow.dispose();
 * ```
 *
 * @module
 */
export * from "./flow_layer.ts";
export * from "./dequantization.ts";
export * from "./logit.ts";
export * from "./squeeze.ts";
export * from "./actnorm.ts";
export * from "./channel_matrix.ts";
export * from "./invertible_conv.ts";
export * from "./lu_invertible_conv.ts";
export * from "./channel_permutation.ts";
export * from "./coupling_network.ts";
export * from "./coupling.ts";
export * from "./split.ts";
export * from "./sequence.ts";
export * from "./flow_step.ts";
export * from "./gaussian.ts";
export * from "./presets.ts";
export * from "./model.ts";
export * from "./objective.ts";
export * from "./sampler.ts";
export * from "./flow.ts";
export * from "./flow2d_presets.ts";
export * from "./flow2d.ts";
export * from "./flow2d_pictures.ts";
export * from "./family.ts";
export * from "./flow2d_family.ts";
