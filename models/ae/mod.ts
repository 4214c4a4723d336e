/**
 * The convolutional autoencoder: network, objective, the `ae` preset, and
 * `createAutoencoder`, which wraps it as a trainer's TrainableModel.
 *
 * @example Train one step
 * ```ts
 * import { ConvAutoencoder, trainStep } from "./mod.ts";
 * import { tf } from "../../backends/tf.ts";
 * const model = new ConvAutoencoder();
 * const images = tf.randomUniform([8, 28, 28, 1]) as tf.Tensor4D;
 * console.log(trainStep(model, tf.train.adam(1e-3), images)); // the loss, about ln 2
 * ```
 *
 * @module
 */
export * from "./model.ts";
export * from "./objective.ts";
export * from "./presets.ts";
export * from "./autoencoder.ts";
export * from "./encode_set.ts";
