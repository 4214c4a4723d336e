/**
 * A small convolutional autoencoder: two strided convolutions squeeze an
 * image to a short code, two strided transposed convolutions bring it back.
 * The network only; the loss and training step live in `objective.ts`.
 *
 * @module
 */
import { tf } from "@genwasm/backend/tf";
import { mulberry32 } from "@genwasm/data/random";
import {
  Conv2D,
  Conv2DTranspose,
  Dense,
  type Layer,
  namedVariables,
} from "../layers.ts";

/** Settings of {@link ConvAutoencoder} (plain JSON data). */
export type AutoencoderConfig = {
  /** Side of the square input images; a multiple of 4. Default 28. */
  imageSize: number;
  /** Channels of the images. Default 1. */
  channels: number;
  /** Length of the code between encoder and decoder. Default 16. */
  codeSize: number;
  /** Channels after the first and second convolution. Default [16, 32]. */
  widths: [number, number];
  /** Seed of the initial weights. Default 0. */
  seed: number;
};

/** The defaults: MNIST-sized images, a 16-number code. */
export const AUTOENCODER_DEFAULTS: AutoencoderConfig = {
  imageSize: 28,
  channels: 1,
  codeSize: 16,
  widths: [16, 32],
  seed: 0,
};

const KERNEL_SIZE = 4;
const STRIDES = 2;

/**
 * Conv(k4 s2) relu -> Conv(k4 s2) relu -> Dense to the code; Dense relu ->
 * ConvTranspose(k4 s2) relu -> ConvTranspose(k4 s2) to pixel logits.
 * For 28 x 28 x 1: 28 -> 14 -> 7 -> code -> 7 -> 14 -> 28.
 *
 * @example Reconstruct a batch
 * ```ts
 * import assert from "node:assert/strict";
 * import { ConvAutoencoder } from "./model.ts";
 * import { tf } from "../../backends/tf.ts";
 * const model = new ConvAutoencoder({ seed: 1 });
 * const images = tf.zeros([8, 28, 28, 1]) as tf.Tensor4D;
 * assert.deepEqual(tf.tidy(() => model.reconstruct(images).shape), [8, 28, 28, 1]);
 * model.dispose();
 * ```
 */
export class ConvAutoencoder {
  readonly config: AutoencoderConfig;
  /** Layers by name, in the order data flows through them. */
  readonly layers: {
    encoder1: Conv2D;
    encoder2: Conv2D;
    toCode: Dense;
    fromCode: Dense;
    decoder1: Conv2DTranspose;
    decoder2: Conv2DTranspose;
  };
  /** Side of the smallest feature map, imageSize / 4. */
  readonly innerSize: number;

  constructor(config: Partial<AutoencoderConfig> = {}) {
    this.config = { ...AUTOENCODER_DEFAULTS, ...config };
    const { imageSize, channels, codeSize, widths, seed } = this.config;
    if (!Number.isInteger(imageSize) || imageSize < 4 || imageSize % 4 !== 0) {
      throw new Error(
        `imageSize must be a positive multiple of 4, got ${imageSize}`,
      );
    }
    const [narrow, wide] = widths;
    this.innerSize = imageSize / 4;
    const flat = this.innerSize * this.innerSize * wide;
    const random = mulberry32(seed);
    const conv = { kernelSize: KERNEL_SIZE, strides: STRIDES, random };
    this.layers = {
      encoder1: new Conv2D({
        ...conv,
        inputChannels: channels,
        outputChannels: narrow,
        init: "he",
      }),
      encoder2: new Conv2D({
        ...conv,
        inputChannels: narrow,
        outputChannels: wide,
        init: "he",
      }),
      toCode: new Dense({ inputSize: flat, outputSize: codeSize, random }),
      fromCode: new Dense({
        inputSize: codeSize,
        outputSize: flat,
        random,
        init: "he",
      }),
      decoder1: new Conv2DTranspose({
        ...conv,
        inputChannels: wide,
        outputChannels: narrow,
        init: "he",
      }),
      decoder2: new Conv2DTranspose({
        ...conv,
        inputChannels: narrow,
        outputChannels: channels,
      }),
    };
  }

  /** (batch, size, size, channels) images in [0, 1] -> (batch, codeSize) codes. */
  encode(images: tf.Tensor4D): tf.Tensor2D {
    const { encoder1, encoder2, toCode } = this.layers;
    const hidden = encoder2.apply(encoder1.apply(images, "relu"), "relu");
    const flat = tf.reshape(hidden, [hidden.shape[0], -1]);
    return toCode.apply(flat);
  }

  /** (batch, codeSize) codes -> (batch, size, size, channels) pixel logits. */
  decode(code: tf.Tensor2D): tf.Tensor4D {
    const { fromCode, decoder1, decoder2 } = this.layers;
    const wide = this.config.widths[1];
    const flat = tf.relu(fromCode.apply(code));
    const hidden = tf.reshape(flat, [
      code.shape[0],
      this.innerSize,
      this.innerSize,
      wide,
    ]) as tf.Tensor4D;
    return decoder2.apply(tf.relu(decoder1.apply(hidden)));
  }

  /** Images -> pixel logits of their reconstructions. */
  apply(images: tf.Tensor4D): tf.Tensor4D {
    return this.decode(this.encode(images));
  }

  /** Images -> reconstructions in [0, 1]. */
  reconstruct(images: tf.Tensor4D): tf.Tensor4D {
    return tf.sigmoid(this.apply(images));
  }

  /** Every trainable variable, keyed "layer/variable". */
  variables(): Record<string, tf.Variable> {
    return namedVariables(this.layers as unknown as Record<string, Layer>);
  }

  /** Frees all variables. */
  dispose(): void {
    for (const layer of Object.values(this.layers)) layer.dispose();
  }
}
