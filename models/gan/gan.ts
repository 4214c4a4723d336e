/**
 * The GAN as the trainer sees it: a {@link TrainableModel} with two variable
 * groups (`generator`, `discriminator`), each with its own Adam, and two
 * phases per step (D, then G); BatchNorm running statistics and
 * spectral-norm vectors as buffers.
 *
 * @module
 */
import { tf } from "@genwasm/backend/tf";
import type { ImageSet } from "@genwasm/data/image_set";
import { mulberry32, type Random } from "@genwasm/data/random";
import { ImagePrompts } from "../text/captions.ts";
import type { TrainableModel, TrainingPhase } from "../contract.ts";
import { Discriminator, Generator } from "./model.ts";
import { ganPhases } from "./objective.ts";
import { type GanConfig, resolveGanConfig } from "./presets.ts";
import type { TextConfig } from "../text/config.ts";
import {
  classGrid,
  interpolationStrips,
  renderImages,
  sampleImages,
} from "./sampler.ts";

/**
 * A preset name, or a preset (default "dcgan") with some keys overridden;
 * `{ preset, ...config }` rebuilds a checkpointed model.
 */
export type GanSource =
  | string
  | (
    & { preset?: string }
    & Partial<Omit<GanConfig, "text">>
    // A text block's keys default to `defaultTextConfig()`'s.
    & { text?: Partial<TextConfig> }
  );

/** Columns of the pictures the trainer and `sample` lay out. */
const GRID_COLUMNS = 8;

/** A trainable GAN: the trainer's contract plus sampling. */
export interface Gan extends TrainableModel {
  readonly config: GanConfig;
  readonly generator: Generator;
  readonly discriminator: Discriminator;
  readonly groups: {
    generator: Map<string, tf.Variable>;
    discriminator: Map<string, tf.Variable>;
  };
  readonly buffers: Map<string, tf.Variable>;
  readonly pixelRange: "symmetric";
  /** `count` images, pixels in [0, 1]; see {@link sampleImages}. */
  sample(count: number, seed: number, classLabel?: number): tf.Tensor4D;
  /** Text models: the vocabulary and captioner of their prompts. */
  readonly imagePrompts?: ImagePrompts;
  /** Text models: prompt ids of training images (see the contract). */
  readonly captionBatch?: (
    data: ImageSet,
    indices: Uint32Array,
    seed: number,
  ) => tf.Tensor2D;
  /**
   * Text models: one image per prompt, z from `seed`, pixels in [0, 1]; an
   * empty prompt draws from the empty-prompt vector.
   *
   * @throws Error naming an unknown word and the nearest known ones.
   */
  samplePrompts(prompts: readonly string[], seed: number): tf.Tensor4D;
  /**
   * The trainer's sample grid: `count` samples from fixed noise, or, for a
   * conditional model, one row of 8 per class (80 images for 10 classes,
   * whatever `count`); a text model draws such rows from a plain caption
   * naming each class.
   */
  generate(count: number, seed: number): tf.Tensor4D;
  /** One row per class; see {@link classGrid}. */
  classGrid(columns: number, seed: number, rowsPerClass?: number): tf.Tensor4D;
  /** Latent walks; see {@link interpolationStrips}. */
  interpolate(
    strips: number,
    steps: number,
    seed: number,
    classLabel?: number,
  ): tf.Tensor4D;
  /** Trainable numbers of one group, or of both (691330 for `dcgan`). */
  parameterCount(group?: "generator" | "discriminator"): number;
}

class GanModel implements Gan {
  readonly preset: string;
  readonly config: GanConfig;
  readonly generator: Generator;
  readonly discriminator: Discriminator;
  readonly groups: {
    generator: Map<string, tf.Variable>;
    discriminator: Map<string, tf.Variable>;
  };
  readonly buffers: Map<string, tf.Variable>;
  readonly phases: TrainingPhase[];
  readonly pixelRange = "symmetric" as const;
  readonly imagePrompts?: ImagePrompts;
  readonly captionBatch?: Gan["captionBatch"];

  constructor(preset: string, config: GanConfig, random: Random) {
    this.preset = preset;
    this.config = config;
    this.generator = new Generator(config, random);
    this.discriminator = new Discriminator(config, random);
    this.groups = {
      generator: this.generator.variables(),
      discriminator: this.discriminator.variables(),
    };
    this.buffers = new Map([
      ...this.generator.buffers(),
      ...this.discriminator.buffers(),
    ]);
    this.phases = ganPhases(this);
    if (config.text) {
      const prompts = new ImagePrompts(config.text);
      this.imagePrompts = prompts;
      this.captionBatch = (data, indices, seed) =>
        prompts.batch(data, indices, seed);
    }
  }

  sample(count: number, seed: number, classLabel?: number): tf.Tensor4D {
    return sampleImages(this, count, seed, classLabel);
  }

  samplePrompts(prompts: readonly string[], seed: number): tf.Tensor4D {
    if (!this.imagePrompts) {
      throw new Error(
        "prompts need a text-conditioned model (train with --condition text)",
      );
    }
    if (prompts.length === 0) throw new Error("no prompt to draw");
    const { vocabulary, tokens } = this.imagePrompts;
    const ids = vocabulary.encodeBatch(prompts, tokens);
    return tf.tidy(() =>
      renderImages(
        this,
        tf.randomNormal(
          [prompts.length, this.generator.latentSize],
          0,
          1,
          "float32",
          seed,
        ) as tf.Tensor2D,
        tf.tensor2d(ids, [prompts.length, tokens], "int32"),
      )
    );
  }

  generate(count: number, seed: number): tf.Tensor4D {
    if (this.imagePrompts) {
      const captioner = this.imagePrompts.captioner;
      const random = mulberry32(seed);
      const prompts = Array.from(
        { length: this.config.classes },
        (_, label) => captioner.captionAttributes({}, label, random),
      );
      return this.samplePrompts(
        prompts.flatMap((prompt) =>
          new Array<string>(GRID_COLUMNS).fill(prompt)
        ),
        seed,
      );
    }
    return this.generator.classes > 0
      ? this.classGrid(GRID_COLUMNS, seed)
      : this.sample(count, seed);
  }

  classGrid(columns: number, seed: number, rowsPerClass = 1): tf.Tensor4D {
    return classGrid(this, columns, seed, rowsPerClass);
  }

  interpolate(
    strips: number,
    steps: number,
    seed: number,
    classLabel?: number,
  ): tf.Tensor4D {
    return interpolationStrips(this, strips, steps, seed, classLabel);
  }

  parameterCount(group?: "generator" | "discriminator"): number {
    let count = 0;
    for (const [name, variables] of Object.entries(this.groups)) {
      if (group !== undefined && name !== group) continue;
      for (const variable of variables.values()) count += variable.size;
    }
    return count;
  }

  dispose(): void {
    this.generator.dispose();
    this.discriminator.dispose();
  }
}

/**
 * Builds a GAN from a preset name or a preset with overrides, checked
 * strictly (see {@link resolveGanConfig}).
 *
 * @param source E.g. "dcgan", "cgan", or `{ preset: "dcgan", loss: "hinge",
 * spectralNorm: true }` (preset defaults to "dcgan").
 * @param random Source of the initial weights, consumed generator first
 * (dense, deconv1, deconv2), then discriminator (conv1, conv2, dense, then
 * the spectral-norm vectors). Default `mulberry32(0)`.
 * @returns The model; `dispose()` it when done.
 * @throws Error naming an unknown preset, unknown key or mistyped value.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createGan } from "./gan.ts";
 * import { initEngine } from "../../backends/engine.ts";
 * import { tf } from "../../backends/tf.ts";
 * await initEngine();
 * const gan = createGan("dcgan");
 * assert.equal(gan.parameterCount("generator"), 552513);
 * assert.equal(gan.parameterCount("discriminator"), 138817);
 * assert.deepEqual(tf.tidy(() => gan.sample(4, 1).shape), [4, 28, 28, 1]);
 * gan.dispose();
 * ```
 */
export function createGan(
  source: GanSource,
  random: Random = mulberry32(0),
): Gan {
  const { preset = "dcgan", ...overrides } = typeof source === "string"
    ? { preset: source }
    : source;
  if (typeof preset !== "string") {
    throw new Error(`gan preset must be a string, got ${typeof preset}`);
  }
  return new GanModel(preset, resolveGanConfig(preset, overrides), random);
}
