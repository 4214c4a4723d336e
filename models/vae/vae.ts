/**
 * The VAE as the trainer sees it: a {@link TrainableModel} built from a
 * preset, with the encoder, decoder and sampler close at hand.
 *
 * @module
 */
import type { tf } from "@genwasm/backend/tf";
import { mulberry32, type Random } from "@genwasm/data/random";
import type { TrainableModel, TrainingPhase } from "../contract.ts";
import {
  type Posterior,
  VaeDecoder,
  VaeEncoder,
  type VaeNetworks,
} from "./model.ts";
import { vaePhases } from "./objective.ts";
import { resolveVaeConfig, type VaeConfig } from "./presets.ts";
import {
  interpolateImages,
  reconstructImages,
  sampleImages,
} from "./sampler.ts";

/**
 * A preset name, or a preset (default "vae") with some keys overridden;
 * `{ preset, ...config }` rebuilds a checkpointed model.
 */
export type VaeSource = string | ({ preset?: string } & Partial<VaeConfig>);

/** A trainable VAE: the trainer's contract plus encode, decode and sampling. */
export interface Vae extends TrainableModel, VaeNetworks {
  readonly config: VaeConfig;
  /** One group, `model`: every variable of both networks. */
  readonly groups: { model: Map<string, tf.Variable> };
  readonly pixelRange: "unit";
  /** (batch, size, size, channels) pixels in [0, 1] -> q(z | x). */
  encode(images: tf.Tensor4D): Posterior;
  /** (batch, latentSize) latents -> pixel logits. */
  decode(latents: tf.Tensor2D): tf.Tensor4D;
  /** `count` images from the prior, pixels in [0, 1]; see {@link sampleImages}. */
  sample(count: number, seed: number): tf.Tensor4D;
  /** Same as {@link Vae.sample}: the trainer's sample grid. */
  generate(count: number, seed: number): tf.Tensor4D;
  /** Decoded posterior means; see {@link reconstructImages}. */
  reconstruct(images: tf.Tensor4D): tf.Tensor4D;
  /** A latent walk between two images; see {@link interpolateImages}. */
  interpolate(
    first: tf.Tensor3D,
    second: tf.Tensor3D,
    steps: number,
  ): tf.Tensor4D;
  /** Number of trainable numbers (220385 for the canonical `vae`). */
  parameterCount(): number;
}

class VaeModel implements Vae {
  readonly preset: string;
  readonly config: VaeConfig;
  readonly encoder: VaeEncoder;
  readonly decoder: VaeDecoder;
  readonly groups: { model: Map<string, tf.Variable> };
  readonly phases: TrainingPhase[];
  readonly pixelRange = "unit" as const;

  constructor(preset: string, config: VaeConfig, random: Random) {
    this.preset = preset;
    this.config = config;
    this.encoder = new VaeEncoder(config, random);
    this.decoder = new VaeDecoder(config, random);
    this.groups = {
      model: new Map([
        ...this.encoder.variables(),
        ...this.decoder.variables(),
      ]),
    };
    this.phases = vaePhases(this, { binarize: this.config.binarize });
  }

  encode(images: tf.Tensor4D): Posterior {
    return this.encoder.apply(images);
  }

  decode(latents: tf.Tensor2D): tf.Tensor4D {
    return this.decoder.apply(latents);
  }

  sample(count: number, seed: number): tf.Tensor4D {
    return sampleImages(this.decoder, count, seed);
  }

  generate(count: number, seed: number): tf.Tensor4D {
    return this.sample(count, seed);
  }

  reconstruct(images: tf.Tensor4D): tf.Tensor4D {
    return reconstructImages(this, images);
  }

  interpolate(
    first: tf.Tensor3D,
    second: tf.Tensor3D,
    steps: number,
  ): tf.Tensor4D {
    return interpolateImages(this, first, second, steps);
  }

  parameterCount(): number {
    let count = 0;
    for (const variable of this.groups.model.values()) count += variable.size;
    return count;
  }

  dispose(): void {
    this.encoder.dispose();
    this.decoder.dispose();
  }
}

/**
 * Builds a VAE from a preset name or a preset with overrides, checked
 * strictly (see {@link resolveVaeConfig}).
 *
 * @param source E.g. "vae", "vae-large", or `{ preset: "vae", latentSize: 2 }`
 * (preset defaults to "vae").
 * @param random Source of the initial weights, consumed encoder first
 * (conv1, conv2, dense), then decoder (dense, deconv1, deconv2). Default
 * `mulberry32(0)`.
 * @returns The model; `dispose()` it when done.
 * @throws Error naming an unknown preset, unknown key or mistyped value.
 *
 * @example Train one step by hand
 * ```ts
 * import assert from "node:assert/strict";
 * import { createVae } from "./vae.ts";
 * import { mulberry32 } from "../../data/random.ts";
 * import { initEngine } from "../../backends/engine.ts";
 * import { tf } from "../../backends/tf.ts";
 * await initEngine();
 * const vae = createVae("vae", mulberry32(1));
 * assert.equal(vae.parameterCount(), 220385);
 * const optimizer = tf.train.adam(1e-3);
 * const images = tf.zeros([4, 28, 28, 1]) as tf.Tensor4D;
 * const batch = { images, labels: tf.zeros([4], "int32") as tf.Tensor1D };
 * let seed = 0;
 * const context = { seed: () => seed++, step: 0 };
 * const variables = [...vae.groups.model.values()];
 * tf.tidy(() => {
 *   optimizer.minimize(() => vae.phases[0].loss(batch, context), false, variables);
 * });
 * vae.dispose();
 * ```
 */
export function createVae(
  source: VaeSource,
  random: Random = mulberry32(0),
): Vae {
  const { preset = "vae", ...overrides } = typeof source === "string"
    ? { preset: source }
    : source;
  if (typeof preset !== "string") {
    throw new Error(`vae preset must be a string, got ${typeof preset}`);
  }
  return new VaeModel(preset, resolveVaeConfig(preset, overrides), random);
}
