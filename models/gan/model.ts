/**
 * The GAN's two networks (DCGAN, Radford et al. 2016; conditional as in
 * Mirza & Osindero 2014): the generator G maps noise z (and a class label)
 * to an image with pixels in [-1, 1]; the discriminator D maps an image (and
 * a class label) to one logit, "real" when positive. Networks only; the
 * losses live in `objective.ts`, sampling in `sampler.ts`.
 *
 * Variable names are what checkpoints store; they never change:
 *
 * | name                                  | shape (canonical `dcgan`) |
 * | ------------------------------------- | ------------------------- |
 * | generator.dense.kernel / .bias        | (64, 6272) / (6272)       |
 * | generator.norm0.gamma / .beta         | (6272) / (6272)           |
 * | generator.deconv1.kernel / .bias      | (4, 4, 64, 128) / (64)    |
 * | generator.norm1.gamma / .beta         | (64) / (64)               |
 * | generator.deconv2.kernel / .bias      | (4, 4, 1, 64) / (1)       |
 * | discriminator.conv1.kernel / .bias    | (4, 4, 1, 64) / (64)      |
 * | discriminator.conv2.kernel / .bias    | (4, 4, 64, 128) / (128)   |
 * | discriminator.norm.gamma / .beta      | (128) / (128)             |
 * | discriminator.dense.kernel / .bias    | (6272, 1) / (1)           |
 *
 * Buffers: each BatchNorm's `runningMean` / `runningVariance` (e.g.
 * `generator.norm0.runningMean`) and, with spectral normalisation, each
 * discriminator weight's power-iteration vector (`discriminator.conv1.u`).
 * A conditional model's generator dense kernel has `latentSize + classes`
 * rows and its discriminator conv1 kernel `channels + classes` inputs; a
 * text model's have `latentSize + text.width` rows and `channels +
 * text.width` inputs, and each network has a prompt encoder, its variables
 * under "generator.text." and "discriminator.text." (e.g.
 * `generator.text.block0.attention.qkv.kernel`).
 *
 * The biases right before a BatchNorm (generator.dense, generator.deconv1,
 * discriminator.conv2) are kept because the spec's layers have them, but
 * BatchNorm subtracts them again: their gradient is zero up to rounding.
 *
 * @module
 */
import { tf } from "@genwasm/backend/tf";
import type { Random } from "@genwasm/data/random";
import { BatchNorm, type BatchNormMode } from "../batch_norm.ts";
import { Conv2D, Conv2DTranspose, Dense } from "../layers.ts";
import type { GanConfig } from "./presets.ts";
import { TextEncoder } from "../text/encoder.ts";
import { SpectralNorm } from "./spectral_norm.ts";

/** Kernel side and strides of every (transposed) convolution. */
const KERNEL_SIZE = 4;
const STRIDES = 2;
/** Slope of the discriminator's LeakyReLU for negative inputs. */
const LEAK = 0.2;

/** Named tables of variables, e.g. `["norm0", batchNorm.buffers]`. */
type Tables = [string, Record<string, tf.Variable>][];

/** "prefix.part.name" for every entry of every part's table. */
function prefixed(prefix: string, tables: Tables): Map<string, tf.Variable> {
  const variables = new Map<string, tf.Variable>();
  for (const [part, table] of tables) {
    for (const [name, variable] of Object.entries(table)) {
      variables.set(`${prefix}.${part}.${name}`, variable);
    }
  }
  return variables;
}

/** Each present layer's trainable variables, by layer name. */
function layerTables(
  layers: Record<
    string,
    { variables: Record<string, tf.Variable> } | undefined
  >,
): Tables {
  return Object.entries(layers).flatMap(([name, layer]) =>
    layer ? [[name, layer.variables] as Tables[number]] : []
  );
}

/** (batch) int labels -> (batch, classes) float one-hot rows. */
function oneHot(labels: tf.Tensor1D, classes: number): tf.Tensor2D {
  return tf.cast(tf.oneHot(labels, classes), "float32") as tf.Tensor2D;
}

/** Side of the smallest feature map and channels there. */
function innerShape(config: GanConfig): [number, number] {
  return [config.imageSize / 4, 2 * config.baseWidth];
}

/**
 * (batch, features) -> (batch, features + 1): each row gains the mean over
 * features of the standard deviation over the batch (ProGAN's minibatch
 * standard deviation, one group of the whole batch).
 */
export function withBatchSpread(features: tf.Tensor2D): tf.Tensor2D {
  const { variance } = tf.moments(features, 0);
  const spread = tf.mean(tf.sqrt(tf.add(variance, 1e-8)));
  const column = tf.broadcastTo(tf.reshape(spread, [1, 1]), [
    features.shape[0],
    1,
  ]);
  return tf.concat([features, column], 1) as tf.Tensor2D;
}

/**
 * G: [z, one-hot label] -> Dense -> BatchNorm -> ReLU -> reshape
 * (size/4, size/4, 2 * baseWidth) -> ConvTranspose(k4 s2) -> BatchNorm ->
 * ReLU -> ConvTranspose(k4 s2) -> tanh. The first BatchNorm normalises each
 * of the dense layer's units (as the spec orders it: before the reshape).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Generator } from "./model.ts";
 * import { ganPreset } from "./presets.ts";
 * import { mulberry32 } from "../../data/random.ts";
 * import { tf } from "../../backends/tf.ts";
 * const generator = new Generator(ganPreset("dcgan"), mulberry32(0));
 * assert.deepEqual(tf.tidy(() => generator.apply(tf.zeros([2, 64]), undefined, "train").shape), [2, 28, 28, 1]);
 * generator.dispose();
 * ```
 */
export class Generator {
  readonly layers: {
    dense: Dense;
    norm0: BatchNorm;
    deconv1: Conv2DTranspose;
    norm1: BatchNorm;
    deconv2: Conv2DTranspose;
  };
  readonly latentSize: number;
  /** Classes of a conditional generator; 0 when unconditional. */
  readonly classes: number;
  /** The prompt encoder of a text generator. */
  readonly text?: TextEncoder;
  readonly #innerSize: number;
  readonly #innerChannels: number;

  /**
   * Draws the initial weights from `random` in the order dense, deconv1,
   * deconv2, prompt encoder.
   */
  constructor(config: GanConfig, random: Random) {
    const { channels, baseWidth, latentSize } = config;
    const [innerSize, innerChannels] = innerShape(config);
    const conv = { kernelSize: KERNEL_SIZE, strides: STRIDES, random };
    const units = innerSize * innerSize * innerChannels;
    this.latentSize = latentSize;
    this.classes = config.conditional ? config.classes : 0;
    this.#innerSize = innerSize;
    this.#innerChannels = innerChannels;
    this.layers = {
      dense: new Dense({
        inputSize: latentSize + this.classes + promptWidth(config),
        outputSize: units,
        random,
      }),
      norm0: new BatchNorm({ features: units }),
      deconv1: new Conv2DTranspose({
        ...conv,
        inputChannels: innerChannels,
        outputChannels: baseWidth,
      }),
      norm1: new BatchNorm({ features: baseWidth }),
      deconv2: new Conv2DTranspose({
        ...conv,
        inputChannels: baseWidth,
        outputChannels: channels,
      }),
    };
    this.text = promptEncoder(config, random);
  }

  /**
   * (batch, latentSize) noise and, for a conditional generator, (batch)
   * int32 labels, for a text generator (batch, tokens) int32 prompt ids
   * (default: the empty prompt) -> (batch, size, size, channels) pixels in
   * [-1, 1]. `mode` picks the BatchNorm statistics (see {@link BatchNormMode}).
   */
  apply(
    latents: tf.Tensor2D,
    labels: tf.Tensor | undefined,
    mode: BatchNormMode,
  ): tf.Tensor4D {
    const { dense, norm0, deconv1, norm1, deconv2 } = this.layers;
    const input = this.text
      ? tf.concat(
        [latents, encodePrompts(this.text, labels, latents.shape[0])],
        1,
      )
      : this.classes > 0
      ? tf.concat([latents, oneHot(requireLabels(labels), this.classes)], 1)
      : latents;
    const flat = tf.relu(norm0.apply(dense.apply(input), mode));
    const hidden = tf.reshape(flat, [
      latents.shape[0],
      this.#innerSize,
      this.#innerSize,
      this.#innerChannels,
    ]);
    const up = tf.relu(norm1.apply(deconv1.apply(hidden), mode));
    return tf.tanh(deconv2.apply(up));
  }

  /** Trainable variables keyed "generator.layer.variable". */
  variables(): Map<string, tf.Variable> {
    return new Map([
      ...prefixed("generator", layerTables(this.layers)),
      ...textVariables("generator", this.text),
    ]);
  }

  /** BatchNorm running statistics keyed "generator.normN.runningMean" etc. */
  buffers(): Map<string, tf.Variable> {
    const { norm0, norm1 } = this.layers;
    return prefixed("generator", [
      ["norm0", norm0.buffers],
      ["norm1", norm1.buffers],
    ]);
  }

  dispose(): void {
    for (const layer of Object.values(this.layers)) layer.dispose();
    this.text?.dispose();
  }
}

/**
 * D: [image, label as constant one-hot channels] -> Conv(k4 s2) ->
 * LeakyReLU(0.2) -> Conv(k4 s2) -> BatchNorm -> LeakyReLU(0.2) -> Flatten
 * -> Dense to one logit. With spectral normalisation every kernel is
 * divided by its largest singular value.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Discriminator } from "./model.ts";
 * import { ganPreset } from "./presets.ts";
 * import { mulberry32 } from "../../data/random.ts";
 * import { tf } from "../../backends/tf.ts";
 * const discriminator = new Discriminator(ganPreset("dcgan"), mulberry32(0));
 * assert.deepEqual(tf.tidy(() => discriminator.apply(tf.zeros([2, 28, 28, 1]), undefined, true).shape), [2]);
 * discriminator.dispose();
 * ```
 */
export class Discriminator {
  readonly layers: {
    conv1: Conv2D;
    conv2: Conv2D;
    norm?: BatchNorm;
    dense: Dense;
  };
  /** Spectral normalisation of each layer's kernel, when on. */
  readonly spectral?: {
    conv1: SpectralNorm;
    conv2: SpectralNorm;
    dense: SpectralNorm;
  };
  /** Classes of a conditional discriminator; 0 when unconditional. */
  readonly classes: number;
  /** The prompt encoder of a text discriminator. */
  readonly text?: TextEncoder;
  /** Whether the dense layer also reads the batch's feature spread. */
  readonly minibatchStd: boolean;

  /**
   * Draws the initial weights from `random` in the order conv1, conv2,
   * dense, then the spectral-norm start vectors, then the prompt encoder.
   */
  constructor(config: GanConfig, random: Random) {
    const { channels, baseWidth } = config;
    const [innerSize, innerChannels] = innerShape(config);
    const conv = { kernelSize: KERNEL_SIZE, strides: STRIDES, random };
    this.classes = config.conditional ? config.classes : 0;
    const conv1 = new Conv2D({
      ...conv,
      inputChannels: channels + this.classes + promptWidth(config),
      outputChannels: baseWidth,
    });
    const conv2 = new Conv2D({
      ...conv,
      inputChannels: baseWidth,
      outputChannels: innerChannels,
    });
    this.minibatchStd = config.minibatchStd;
    const dense = new Dense({
      inputSize: innerSize * innerSize * innerChannels +
        (this.minibatchStd ? 1 : 0),
      outputSize: 1,
      random,
    });
    this.layers = {
      conv1,
      conv2,
      ...(config.discriminatorBatchNorm
        ? { norm: new BatchNorm({ features: innerChannels }) }
        : {}),
      dense,
    };
    if (config.spectralNorm) {
      const spectral = (layer: Conv2D | Dense) =>
        new SpectralNorm(layer.variables.kernel, random);
      this.spectral = {
        conv1: spectral(conv1),
        conv2: spectral(conv2),
        dense: spectral(dense),
      };
    }
    this.text = promptEncoder(config, random);
  }

  /**
   * (batch, size, size, channels) pixels in [-1, 1] and, for a conditional
   * discriminator, (batch) int32 labels, for a text one (batch, tokens)
   * int32 prompt ids (default: the empty prompt) -> (batch) logits. `training` uses
   * batch statistics in BatchNorm and moves the running statistics and the
   * spectral-norm vectors; otherwise the running statistics are used and
   * nothing changes.
   */
  apply(
    images: tf.Tensor4D,
    labels: tf.Tensor | undefined,
    training: boolean,
  ): tf.Tensor1D {
    const { conv1, conv2, norm, dense } = this.layers;
    const [batch, height, width] = images.shape;
    let input = images;
    if (this.text) {
      const vector = encodePrompts(this.text, labels, batch);
      const size = vector.shape[1];
      const planes = tf.broadcastTo(
        tf.reshape(vector, [batch, 1, 1, size]),
        [batch, height, width, size],
      );
      input = tf.concat([images, planes], 3) as tf.Tensor4D;
    } else if (this.classes > 0) {
      const hot = tf.reshape(
        oneHot(requireLabels(labels), this.classes),
        [batch, 1, 1, this.classes],
      );
      const planes = tf.broadcastTo(hot, [batch, height, width, this.classes]);
      input = tf.concat([images, planes], 3) as tf.Tensor4D;
    }
    const kernel = (name: "conv1" | "conv2" | "dense") =>
      this.spectral
        ? this.spectral[name].apply(training)
        : this.layers[name].variables.kernel;
    let hidden = leakyRelu(convolve(conv1, input, kernel("conv1")));
    hidden = convolve(conv2, hidden, kernel("conv2"));
    if (norm) hidden = norm.apply(hidden, training ? "train" : "inference");
    hidden = leakyRelu(hidden);
    let flat = tf.reshape(hidden, [batch, -1]) as tf.Tensor2D;
    if (this.minibatchStd) flat = withBatchSpread(flat);
    const logits = tf.add(
      tf.matMul(flat, kernel("dense") as tf.Tensor2D),
      dense.variables.bias,
    );
    return tf.reshape(logits, [batch]);
  }

  /** Trainable variables keyed "discriminator.layer.variable". */
  variables(): Map<string, tf.Variable> {
    return new Map([
      ...prefixed("discriminator", layerTables(this.layers)),
      ...textVariables("discriminator", this.text),
    ]);
  }

  /** Running statistics and spectral-norm vectors ("discriminator.conv1.u"). */
  buffers(): Map<string, tf.Variable> {
    const { norm } = this.layers;
    return prefixed("discriminator", [
      ...(norm ? [["norm", norm.buffers] as Tables[number]] : []),
      ...Object.entries(this.spectral ?? {}).map((
        [layer, spectral],
      ): Tables[number] => [layer, { u: spectral.u }]),
    ]);
  }

  dispose(): void {
    for (const layer of Object.values(this.layers)) layer?.dispose();
    for (const spectral of Object.values(this.spectral ?? {})) {
      spectral.dispose();
    }
    this.text?.dispose();
  }
}

/** A convolution layer's bias and settings with a given (normalised) kernel. */
function convolve(
  layer: Conv2D,
  input: tf.Tensor4D,
  kernel: tf.Tensor,
): tf.Tensor4D {
  const output = tf.conv2d(
    input,
    kernel as tf.Tensor4D,
    layer.strides,
    layer.padding,
  );
  return tf.add(output, layer.variables.bias);
}

/** LeakyReLU(0.2). */
function leakyRelu(x: tf.Tensor4D): tf.Tensor4D {
  return tf.leakyRelu(x, LEAK);
}

function requireLabels(labels: tf.Tensor | undefined): tf.Tensor1D {
  if (!labels) throw new Error("a conditional GAN needs class labels");
  return labels as tf.Tensor1D;
}

/** Width of a text model's prompt vector (0 without text). */
function promptWidth(config: GanConfig): number {
  return config.text?.width ?? 0;
}

/** A text model's prompt encoder, `text.width` wide out; none without text. */
function promptEncoder(
  config: GanConfig,
  random: Random,
): TextEncoder | undefined {
  if (!config.text) return undefined;
  const { vocabulary, tokens, width, heads, layers } = config.text;
  return new TextEncoder({
    vocabularySize: vocabulary.length,
    maxTokens: tokens,
    width,
    heads,
    layers,
    outputWidth: width,
  }, random);
}

/** (batch, width) prompt vectors of `ids`, or of the empty prompt when none. */
function encodePrompts(
  encoder: TextEncoder,
  ids: tf.Tensor | undefined,
  batch: number,
): tf.Tensor2D {
  if (ids && ids.rank !== 2) {
    throw new Error(
      `a text GAN takes (batch, tokens) prompt ids, got shape [${ids.shape}]`,
    );
  }
  return encoder.apply(
    (ids ??
      tf.zeros([batch, encoder.config.maxTokens], "int32")) as tf.Tensor2D,
  );
}

/** A prompt encoder's variables as "network.text.part.layer.variable". */
function textVariables(
  network: string,
  encoder: TextEncoder | undefined,
): [string, tf.Variable][] {
  return Object.entries(encoder?.variables() ?? {}).map((
    [name, variable],
  ) => [`${network}.text.${name.replaceAll("/", ".")}`, variable]);
}
