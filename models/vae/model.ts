/**
 * The VAE's two networks: the encoder q(z | x), which maps images to the
 * mean and log-variance of a diagonal Gaussian over the latent z, and the
 * decoder p(x | z), which maps z to per-pixel Bernoulli logits. Networks
 * only; the ELBO lives in `objective.ts`, sampling in `sampler.ts`.
 *
 * Variable names are what checkpoints store; they never change:
 *
 * | name                              | shape (canonical `vae`) |
 * | --------------------------------- | ----------------------- |
 * | encoder.conv1.kernel / .bias      | (4, 4, 1, 32) / (32)    |
 * | encoder.conv2.kernel / .bias      | (4, 4, 32, 64) / (64)   |
 * | encoder.dense.kernel / .bias      | (3136, 32) / (32)       |
 * | decoder.dense.kernel / .bias      | (16, 3136) / (3136)     |
 * | decoder.deconv1.kernel / .bias    | (4, 4, 32, 64) / (32)   |
 * | decoder.deconv2.kernel / .bias    | (4, 4, 1, 32) / (1)     |
 *
 * (Transposed-convolution kernels are (height, width, out, in), as
 * `tf.conv2dTranspose` wants them.)
 *
 * @module
 */
import { tf } from "@genwasm/backend/tf";
import type { Random } from "@genwasm/data/random";
import { Conv2D, Conv2DTranspose, Dense, type Layer } from "../layers.ts";
import type { VaeConfig } from "./presets.ts";

/** Kernel side and strides of every (transposed) convolution. */
const KERNEL_SIZE = 4;
const STRIDES = 2;

/** The parameters of q(z | x), each (batch, latentSize). */
export interface Posterior {
  mean: tf.Tensor2D;
  /** log sigma^2, elementwise. */
  logVariance: tf.Tensor2D;
}

/** Both networks; what the objective and the sampler work on. */
export interface VaeNetworks {
  readonly encoder: VaeEncoder;
  readonly decoder: VaeDecoder;
}

/** "prefix.layer.variable" for every variable of `layers`. */
function prefixedVariables(
  prefix: string,
  layers: Record<string, Layer>,
): Map<string, tf.Variable> {
  const variables = new Map<string, tf.Variable>();
  for (const [layerName, layer] of Object.entries(layers)) {
    for (const [name, variable] of Object.entries(layer.variables)) {
      variables.set(`${prefix}.${layerName}.${name}`, variable);
    }
  }
  return variables;
}

/** Side of the smallest feature map and channels there. */
function innerShape(config: VaeConfig): [number, number] {
  return [config.imageSize / 4, 2 * config.baseWidth];
}

/**
 * q(z | x): Conv(k4 s2) ReLU -> Conv(k4 s2) ReLU -> Flatten -> Dense to
 * 2 * latentSize numbers, split into (mean, log-variance).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { VaeEncoder } from "./model.ts";
 * import { vaePreset } from "./presets.ts";
 * import { mulberry32 } from "../../data/random.ts";
 * import { tf } from "../../backends/tf.ts";
 * const encoder = new VaeEncoder(vaePreset("vae"), mulberry32(0));
 * tf.tidy(() => {
 *   const { mean } = encoder.apply(tf.zeros([2, 28, 28, 1]));
 *   assert.deepEqual(mean.shape, [2, 16]);
 * });
 * encoder.dispose();
 * ```
 */
export class VaeEncoder {
  readonly layers: { conv1: Conv2D; conv2: Conv2D; dense: Dense };
  readonly latentSize: number;

  /** Draws the initial weights from `random` in the order conv1, conv2, dense. */
  constructor(config: VaeConfig, random: Random) {
    const { channels, baseWidth, latentSize } = config;
    const [innerSize, innerChannels] = innerShape(config);
    const conv = { kernelSize: KERNEL_SIZE, strides: STRIDES, random };
    this.latentSize = latentSize;
    this.layers = {
      conv1: new Conv2D({
        ...conv,
        inputChannels: channels,
        outputChannels: baseWidth,
        init: "he",
      }),
      conv2: new Conv2D({
        ...conv,
        inputChannels: baseWidth,
        outputChannels: innerChannels,
        init: "he",
      }),
      dense: new Dense({
        inputSize: innerSize * innerSize * innerChannels,
        outputSize: 2 * latentSize,
        random,
      }),
    };
  }

  /** (batch, size, size, channels) pixels in [0, 1] -> q(z | x). */
  apply(images: tf.Tensor4D): Posterior {
    const { conv1, conv2, dense } = this.layers;
    const hidden = conv2.apply(conv1.apply(images, "relu"), "relu");
    const flat = tf.reshape(hidden, [hidden.shape[0], -1]);
    // (batch, 2 * latentSize): the first half is the mean.
    const [mean, logVariance] = tf.split(dense.apply(flat), 2, 1);
    return {
      mean: mean as tf.Tensor2D,
      logVariance: logVariance as tf.Tensor2D,
    };
  }

  /** Variables keyed "encoder.layer.variable". */
  variables(): Map<string, tf.Variable> {
    return prefixedVariables("encoder", this.layers);
  }

  dispose(): void {
    for (const layer of Object.values(this.layers)) layer.dispose();
  }
}

/**
 * p(x | z): Dense ReLU -> reshape (size/4, size/4, 2 * baseWidth) ->
 * ConvTranspose(k4 s2) ReLU -> ConvTranspose(k4 s2) to pixel logits.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { VaeDecoder } from "./model.ts";
 * import { vaePreset } from "./presets.ts";
 * import { mulberry32 } from "../../data/random.ts";
 * import { tf } from "../../backends/tf.ts";
 * const decoder = new VaeDecoder(vaePreset("vae"), mulberry32(0));
 * assert.deepEqual(tf.tidy(() => decoder.apply(tf.zeros([2, 16])).shape), [2, 28, 28, 1]);
 * decoder.dispose();
 * ```
 */
export class VaeDecoder {
  readonly layers: {
    dense: Dense;
    deconv1: Conv2DTranspose;
    deconv2: Conv2DTranspose;
  };
  readonly latentSize: number;
  readonly #innerSize: number;
  readonly #innerChannels: number;

  /** Draws the initial weights from `random` in the order dense, deconv1, deconv2. */
  constructor(config: VaeConfig, random: Random) {
    const { channels, baseWidth, latentSize } = config;
    const [innerSize, innerChannels] = innerShape(config);
    const conv = { kernelSize: KERNEL_SIZE, strides: STRIDES, random };
    this.latentSize = latentSize;
    this.#innerSize = innerSize;
    this.#innerChannels = innerChannels;
    this.layers = {
      dense: new Dense({
        inputSize: latentSize,
        outputSize: innerSize * innerSize * innerChannels,
        random,
        init: "he",
      }),
      deconv1: new Conv2DTranspose({
        ...conv,
        inputChannels: innerChannels,
        outputChannels: baseWidth,
        init: "he",
      }),
      deconv2: new Conv2DTranspose({
        ...conv,
        inputChannels: baseWidth,
        outputChannels: channels,
      }),
    };
  }

  /** (batch, latentSize) latents -> (batch, size, size, channels) pixel logits. */
  apply(latents: tf.Tensor2D): tf.Tensor4D {
    const { dense, deconv1, deconv2 } = this.layers;
    const flat = tf.relu(dense.apply(latents));
    const hidden = tf.reshape(flat, [
      latents.shape[0],
      this.#innerSize,
      this.#innerSize,
      this.#innerChannels,
    ]);
    return deconv2.apply(tf.relu(deconv1.apply(hidden)));
  }

  /** Variables keyed "decoder.layer.variable". */
  variables(): Map<string, tf.Variable> {
    return prefixedVariables("decoder", this.layers);
  }

  dispose(): void {
    for (const layer of Object.values(this.layers)) layer.dispose();
  }
}
