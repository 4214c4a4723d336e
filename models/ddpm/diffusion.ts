/**
 * A diffusion model as the trainer sees it: a {@link TrainableModel} built
 * from a preset, holding the U-Net and its noise schedule, with guided
 * sampling close at hand.
 *
 * @module
 */
import { tf } from "@genwasm/backend/tf";
import { mulberry32, type Random } from "@genwasm/data/random";
import type {
  ProgressCallback,
  TrainableModel,
  TrainingPhase,
} from "../contract.ts";
import type { ImageSet } from "@genwasm/data/image_set";
import { ImagePrompts } from "../text/captions.ts";
import { DEFAULT_GUIDANCE, guidedEpsilon, guideWith } from "./guidance.ts";
import { type PromptEncoding, selectPrompts, UNet } from "./model.ts";
import { ddpmPhases, type DiffusionNetwork } from "./objective.ts";
import {
  type DdpmConfig,
  type DdpmTextConfig,
  resolveDdpmConfig,
} from "./presets.ts";
import { epsilonFromPrediction, type Timestep } from "./process.ts";
import {
  chainSteps,
  createSampler,
  denoise,
  type EpsilonPredictor,
  type SamplerName,
} from "./sampler.ts";
import { type NoiseSchedule, noiseSchedule } from "./schedule.ts";

/**
 * A preset name, or a preset (default "ddpm") with some keys overridden;
 * `{ preset, ...config }` rebuilds a checkpointed model.
 */
export type DdpmSource =
  | string
  | (
    & { preset?: string }
    & Partial<Omit<DdpmConfig, "text">>
    // A text block's keys default to `defaultTextConfig()`'s.
    & { text?: Partial<DdpmTextConfig> }
  );

/** DDIM steps of the trainer's sample grid: cheap, and good enough to watch. */
export const GENERATE_STEPS = 20;

/** How to draw samples. */
export interface DdpmSampleOptions {
  count: number;
  /** Seed of all the noise; the same seed gives the same images. */
  seed: number;
  /** "ddim" (default) or "ddpm" (ancestral). */
  sampler?: SamplerName;
  /** Grid size; default 50 for DDIM, T for ancestral. */
  steps?: number;
  /** DDIM's noise scale; default 0. */
  eta?: number;
  /** Ancestral step variance; default the config's `ancestralVariance`. */
  variance?: "posterior" | "beta";
  /** Clip each step's predicted x_0 to [-1, 1]; default true. */
  clipSample?: boolean;
  /**
   * One class per image (conditional models): sampled with classifier-free
   * guidance. Without labels a conditional model samples unconditionally.
   */
  labels?: ArrayLike<number>;
  /**
   * One prompt per image (text models), e.g. "a thin three leaning left":
   * encoded with the model's vocabulary (an unknown word is refused, naming
   * the nearest known ones) and sampled with classifier-free guidance; an
   * empty prompt draws its image unconditionally.
   */
  prompts?: readonly string[];
  /** Guidance scale w; default 3. Needs labels or prompts. */
  guidance?: number;
  /** Told of each denoising step (e.g. a progress bar); default none. */
  progress?: ProgressCallback;
}

/** A trainable diffusion model: the trainer's contract plus sampling. */
export interface Ddpm extends TrainableModel, DiffusionNetwork {
  readonly config: DdpmConfig;
  /** One group, `model`: every variable of the U-Net. */
  readonly groups: { model: Map<string, tf.Variable> };
  readonly pixelRange: "symmetric";
  /**
   * The noise the network implies for x_t (whatever its prediction target).
   *
   * @param x (batch, size, size, channels) x_t.
   * @param t One timestep for the batch, or (batch) int32 timesteps.
   * @param condition (batch) int32 classes (conditional models), or
   * (batch, tokens) int32 prompt ids (text models) or their encoding
   * (`unet.encodePrompts`).
   */
  predictEpsilon(
    x: tf.Tensor4D,
    t: Timestep,
    condition?: tf.Tensor | PromptEncoding,
  ): tf.Tensor4D;
  /** Text models: the vocabulary and captioner of their prompts. */
  readonly imagePrompts?: ImagePrompts;
  /** Text models: prompt ids of training images (see the contract). */
  readonly captionBatch?: (
    data: ImageSet,
    indices: Uint32Array,
    seed: number,
  ) => tf.Tensor2D;
  /** (count, size, size, channels) new images, pixels in [0, 1]. */
  sample(options: DdpmSampleOptions): tf.Tensor4D;
  /**
   * The denoising chain of `count` samples: `columns` pictures each, from
   * the starting noise to the result at evenly spaced steps, row by row;
   * pixels in [0, 1].
   */
  chain(options: DdpmSampleOptions & { columns: number }): tf.Tensor4D;
  /**
   * The trainer's sample grid: DDIM with {@link GENERATE_STEPS} steps;
   * conditional models draw image i as class i mod classes, text models
   * from a prompt naming that class (a seeded plain caption, no
   * attributes).
   */
  generate(count: number, seed: number): tf.Tensor4D;
  /** Number of trainable numbers (694561 for the canonical `ddpm`). */
  parameterCount(): number;
}

/** [-1, 1] samples (clipped) to [0, 1] pixels. */
function toPixels(x: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => tf.div(tf.add(tf.clipByValue(x, -1, 1), 1), 2));
}

class DdpmModel implements Ddpm {
  readonly preset: string;
  readonly config: DdpmConfig;
  readonly unet: UNet;
  readonly schedule: NoiseSchedule;
  readonly groups: { model: Map<string, tf.Variable> };
  readonly phases: TrainingPhase[];
  readonly pixelRange = "symmetric" as const;
  readonly imagePrompts?: ImagePrompts;
  readonly captionBatch?: Ddpm["captionBatch"];

  constructor(preset: string, config: DdpmConfig, random: Random) {
    this.preset = preset;
    this.config = config;
    this.schedule = noiseSchedule(config.schedule, config.timesteps);
    this.unet = new UNet(config, random);
    this.groups = { model: this.unet.variables() };
    this.phases = ddpmPhases(this);
    if (config.text) {
      const prompts = new ImagePrompts(config.text);
      this.imagePrompts = prompts;
      this.captionBatch = (data, indices, seed) =>
        prompts.batch(data, indices, seed);
    }
  }

  predictEpsilon(
    x: tf.Tensor4D,
    t: Timestep,
    labels?: tf.Tensor | PromptEncoding,
  ): tf.Tensor4D {
    return tf.tidy(() => {
      const steps = typeof t === "number"
        ? tf.fill([x.shape[0]], t, "int32") as tf.Tensor1D
        : t;
      const output = this.unet.apply(x, steps, labels);
      return epsilonFromPrediction(
        this.config.prediction,
        this.schedule,
        output,
        x,
        t,
      );
    });
  }

  /**
   * The noise prediction of prompted sampling: guided towards each prompt,
   * away from the empty prompt.
   */
  #promptPredictor(
    prompts: readonly string[],
    guidance: number | undefined,
  ): EpsilonPredictor {
    if (!this.imagePrompts) {
      throw new Error(
        "prompts need a text-conditioned model (train with --condition text)",
      );
    }
    const { vocabulary, tokens } = this.imagePrompts;
    const ids = vocabulary.encodeBatch(prompts, tokens);
    const scale = guidance ?? DEFAULT_GUIDANCE;
    // Encoded once for the whole run, not at every denoising step (the
    // caller's tidy, sample's or chain's, disposes them): the prompts in
    // rows 0 .. n - 1, the empty prompt in rows n .. 2n - 1. Guidance
    // picks the rows of each pass.
    const count = prompts.length;
    const condition = tf.tensor2d(ids, [count, tokens], "int32");
    const encoded = this.unet.encodePrompts(
      tf.concat([condition, tf.zerosLike(condition)]),
    );
    const rows = tf.range(0, count, 1, "int32");
    const empty = tf.range(count, 2 * count, 1, "int32");
    return (x, t) =>
      tf.tidy(() =>
        guideWith(
          (both, step, chosen) =>
            this.predictEpsilon(
              both,
              step,
              selectPrompts(encoded, chosen as tf.Tensor1D),
            ),
          x,
          t,
          rows,
          empty,
          scale,
        )
      );
  }

  /** The noise prediction the sampling loop uses: guided when labels are given. */
  #predictor(
    labels: ArrayLike<number> | undefined,
    guidance: number | undefined,
    prompts?: readonly string[],
  ): EpsilonPredictor {
    if (prompts) {
      if (labels) throw new Error("give class labels or prompts, not both");
      return this.#promptPredictor(prompts, guidance);
    }
    if (!labels) {
      if (guidance !== undefined) {
        throw new Error("guidance needs class labels to guide towards");
      }
      return (x, t) => this.predictEpsilon(x, t);
    }
    if (!this.config.conditional) {
      throw new Error(
        "class labels need a class-conditional model (train with --conditional)",
      );
    }
    for (const label of Array.from(labels)) {
      if (
        !(Number.isInteger(label) && label >= 0 && label < this.config.classes)
      ) {
        throw new Error(
          `class ${label} is not in 0..${this.config.classes - 1}`,
        );
      }
    }
    const scale = guidance ?? DEFAULT_GUIDANCE;
    const values = Int32Array.from(labels);
    return (x, t) =>
      tf.tidy(() =>
        guidedEpsilon(
          (both, step, rows) => this.predictEpsilon(both, step, rows),
          x,
          t,
          tf.tensor1d(values, "int32"),
          this.unet.nullLabel,
          scale,
        )
      );
  }

  /**
   * Runs the sampler; with `columns`, also keeps the samples at that many
   * evenly spaced steps (`chain`, in order).
   */
  #denoise(options: DdpmSampleOptions, columns?: number) {
    const { count, seed, labels, guidance, progress, prompts } = options;
    if (!Number.isInteger(count) || count < 1) {
      throw new Error(`count must be a whole number >= 1, got ${count}`);
    }
    if (labels && labels.length !== count) {
      throw new Error(`${labels.length} labels for ${count} images`);
    }
    if (prompts && prompts.length !== count) {
      throw new Error(`${prompts.length} prompts for ${count} images`);
    }
    // Before any work: an unknown word is refused at once.
    const predictor = this.#predictor(labels, guidance, prompts);
    const sampler = createSampler(options.sampler ?? "ddim", this.schedule, {
      ...(options.steps !== undefined ? { steps: options.steps } : {}),
      ...(options.eta !== undefined ? { eta: options.eta } : {}),
      clipSample: options.clipSample,
      variance: options.variance ?? this.config.ancestralVariance,
    });
    const record = columns !== undefined
      ? chainSteps(sampler.timesteps.length, columns)
      : [];
    const { imageSize, channels } = this.config;
    const { sample, recorded } = denoise(
      sampler,
      predictor,
      [count, imageSize, imageSize, channels],
      { seed, progress, record },
    );
    return { sample, chain: record.map((k) => recorded.get(k)!) };
  }

  sample(options: DdpmSampleOptions): tf.Tensor4D {
    return tf.tidy(() => toPixels(this.#denoise(options).sample));
  }

  chain(options: DdpmSampleOptions & { columns: number }): tf.Tensor4D {
    return tf.tidy(() => {
      const { chain } = this.#denoise(options, options.columns);
      // (count, columns, h, w, c): each sample's chain is one row.
      const stacked = tf.stack(chain, 1);
      const [count, columns, height, width, channels] = stacked.shape;
      return toPixels(
        tf.reshape(stacked, [count * columns, height, width, channels]),
      );
    });
  }

  generate(count: number, seed: number): tf.Tensor4D {
    const { conditional, classes } = this.config;
    const labels = Array.from({ length: count }, (_, i) => i % classes);
    const captioner = this.imagePrompts?.captioner;
    const random = mulberry32(seed);
    return this.sample({
      count,
      seed,
      steps: Math.min(GENERATE_STEPS, this.config.timesteps),
      ...(conditional ? { labels } : {}),
      ...(captioner
        ? {
          prompts: labels.map((label) =>
            captioner.captionAttributes({}, label, random)
          ),
        }
        : {}),
    });
  }

  parameterCount(): number {
    let count = 0;
    for (const variable of this.groups.model.values()) count += variable.size;
    return count;
  }

  dispose(): void {
    this.unet.dispose();
  }
}

/**
 * Builds a diffusion model from a preset name or a preset with overrides,
 * checked strictly (see {@link resolveDdpmConfig}).
 *
 * @param source E.g. "ddpm", or `{ preset: "ddpm", conditional: true }`
 * (preset defaults to "ddpm").
 * @param random Source of the initial weights (see {@link UNet} for the
 * order). Default `mulberry32(0)`.
 * @returns The model; `dispose()` it when done.
 * @throws Error naming an unknown preset, unknown key or bad value.
 *
 * @example Count the parameters and draw two images
 * ```ts
 * import assert from "node:assert/strict";
 * import { createDdpm } from "./diffusion.ts";
 * const ddpm = createDdpm("ddpm");
 * assert.equal(ddpm.parameterCount(), 694561);
 * const images = ddpm.sample({ count: 2, seed: 1, steps: 2 }); // 2 DDIM steps: a quick look
 * assert.deepEqual(images.shape, [2, 28, 28, 1]);
 * images.dispose();
 * ddpm.dispose();
 * ```
 */
export function createDdpm(
  source: DdpmSource,
  random: Random = mulberry32(0),
): Ddpm {
  const { preset = "ddpm", ...overrides } = typeof source === "string"
    ? { preset: source }
    : source;
  if (typeof preset !== "string") {
    throw new Error(`ddpm preset must be a string, got ${typeof preset}`);
  }
  return new DdpmModel(preset, resolveDdpmConfig(preset, overrides), random);
}
