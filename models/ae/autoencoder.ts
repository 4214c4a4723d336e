/**
 * The autoencoder as the trainer sees it: a {@link TrainableModel} around
 * a {@link ConvAutoencoder}, built from the `ae` preset.
 *
 * @module
 */
import type { tf } from "@genwasm/backend/tf";
import type { ImageSet } from "@genwasm/data/image_set";
import type { TrainableModel, TrainingPhase } from "../contract.ts";
import { type EncodedSet, encodeImageSet } from "./encode_set.ts";
import { ConvAutoencoder } from "./model.ts";
import { reconstructionLoss } from "./objective.ts";
import { type AeConfig, resolveAeConfig } from "./presets.ts";

/**
 * A preset name, or a preset (default "ae") with some keys overridden;
 * `{ preset, ...config }` rebuilds a checkpointed model.
 */
export type AeSource = string | ({ preset?: string } & Partial<AeConfig>);

/** A trainable autoencoder: the trainer's contract plus its codes. */
export interface Autoencoder extends TrainableModel {
  readonly config: AeConfig;
  /** The network; its weights are the ones trained. */
  readonly network: ConvAutoencoder;
  /**
   * One group, `model`, keyed "layer.variable" (e.g. "encoder1.kernel"):
   * the network's {@link ConvAutoencoder.variables} with "." for "/".
   */
  readonly groups: { model: Map<string, tf.Variable> };
  readonly pixelRange: "unit";
  /** (batch, size, size, channels) pixels in [0, 1] -> (batch, codeSize) codes. */
  encode(images: tf.Tensor4D): tf.Tensor2D;
  /** (batch, codeSize) codes -> pixel logits. */
  decode(codes: tf.Tensor2D): tf.Tensor4D;
  /** Images -> reconstructions in [0, 1]. */
  reconstruct(images: tf.Tensor4D): tf.Tensor4D;
  /** The code of every image of a set; see {@link encodeImageSet}. */
  encodeSet(set: ImageSet, batchSize?: number): EncodedSet;
}

class AutoencoderModel implements Autoencoder {
  readonly preset: string;
  readonly config: AeConfig;
  readonly network: ConvAutoencoder;
  readonly groups: { model: Map<string, tf.Variable> };
  readonly phases: TrainingPhase[];
  readonly pixelRange = "unit" as const;

  constructor(preset: string, config: AeConfig) {
    this.preset = preset;
    this.config = config;
    const { imageSize, channels, codeSize, widths, seed } = config;
    this.network = new ConvAutoencoder({
      imageSize,
      channels,
      codeSize,
      widths,
      seed,
    });
    this.groups = {
      model: new Map(
        Object.entries(this.network.variables()).map((
          [name, variable],
        ) => [name.replace("/", "."), variable]),
      ),
    };
    this.phases = [{
      name: "loss",
      group: "model",
      loss: (batch) =>
        reconstructionLoss(this.network, batch.images, config.loss),
    }];
  }

  encode(images: tf.Tensor4D): tf.Tensor2D {
    return this.network.encode(images);
  }

  decode(codes: tf.Tensor2D): tf.Tensor4D {
    return this.network.decode(codes);
  }

  reconstruct(images: tf.Tensor4D): tf.Tensor4D {
    return this.network.reconstruct(images);
  }

  encodeSet(set: ImageSet, batchSize?: number): EncodedSet {
    return encodeImageSet(this.network, set, batchSize);
  }

  dispose(): void {
    this.network.dispose();
  }
}

/**
 * Builds a trainable autoencoder from the `ae` preset, with overrides
 * checked strictly (see {@link resolveAeConfig}). Its one phase, "loss" on
 * group "model", is the batch's mean per-pixel reconstruction loss
 * (`config.loss`); no noise is drawn. It has no `generate`: an autoencoder
 * has no prior to sample from.
 *
 * @param source "ae", or e.g. `{ loss: "mse", codeSize: 8, seed: 3 }`.
 * @returns The model; `dispose()` it when done.
 * @throws Error naming an unknown preset, unknown key or mistyped value.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createAutoencoder } from "./autoencoder.ts";
 * import { tf } from "../../backends/tf.ts";
 * const ae = createAutoencoder({ loss: "mse" });
 * assert.equal([...ae.groups.model.keys()][0], "encoder1.kernel");
 * assert.deepEqual(tf.tidy(() => ae.encode(tf.zeros([2, 28, 28, 1])).shape), [2, 16]);
 * ae.dispose();
 * ```
 */
export function createAutoencoder(source: AeSource): Autoencoder {
  const { preset = "ae", ...overrides } = typeof source === "string"
    ? { preset: source }
    : source;
  if (typeof preset !== "string") {
    throw new Error(`ae preset must be a string, got ${typeof preset}`);
  }
  return new AutoencoderModel(preset, resolveAeConfig(preset, overrides));
}
