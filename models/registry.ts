/**
 * The table of model families the CLI can train, sample and evaluate, found
 * by preset name (`vae`, `vae-small`, `ae`, ...). Each family supplies its
 * own entry (its `family.ts`); this module only lists them.
 *
 * @module
 */
import type { tf } from "../backends/tf.ts";
import type { ImageSet } from "../data/image_set.ts";
import type { TrainableModel } from "../train/task.ts";
import type { TrainingOptions } from "../train/trainer.ts";
import { aeFamily } from "./ae/family.ts";
import { vaeFamily } from "./vae/family.ts";
import { classifierFamily } from "./classifier/family.ts";
import { flowFamily } from "./flow/family.ts";
import { flow2dFamily } from "./flow/flow2d_family.ts";
import { ganFamily } from "./gan/family.ts";
import { ddpmFamily } from "./ddpm/family.ts";
import type { EvaluationClassifier } from "../eval/sample_quality.ts";

/** What `sample` can draw: a grid of `count` images, pixels in [0, 1]. */
export interface SampleRequest {
  count: number;
  seed: number;
  /** Family-specific picture kind, e.g. "samples", "reconstructions", "interpolation". */
  kind: string;
  /** Test images for kinds that start from data (reconstructions, interpolation). */
  test: ImageSet;
  /** `--class N`: draw only this class (conditional models). */
  classLabel?: number;
  /** `--temperature T`: scale of the prior's noise (flows, VAE). */
  temperature?: number;
  /** `--guidance W`: classifier-free guidance scale (conditional diffusion). */
  guidance?: number;
  /** `--sampler NAME`: e.g. "ddpm" or "ddim" (diffusion). */
  sampler?: string;
  /** `--sampler-steps N`: denoising steps (diffusion). */
  samplerSteps?: number;
  /** `--eta X`: DDIM's noise scale, 0 = deterministic (diffusion). */
  eta?: number;
  /** `--no-clip` sets false: keep the predicted x_0 unclipped (diffusion). */
  clipSample?: boolean;
}

/** The optional fields of {@link SampleRequest}, as `sample` flags name them. */
export type SampleOption =
  | "classLabel"
  | "temperature"
  | "guidance"
  | "sampler"
  | "samplerSteps"
  | "eta"
  | "clipSample";

/** Data an evaluation may use. */
export interface EvaluationData {
  train: ImageSet;
  test: ImageSet;
  /** A trained evaluation classifier, when one is at hand: sample FID, IS, modes. */
  classifier?: EvaluationClassifier;
  /** `eval --samples N`: how many samples to draw and score; default the family's. */
  samples?: number;
  /** `eval`'s sampler flags, those in the family's `evaluationOptions`. */
  sampling?: Partial<Pick<SampleRequest, SampleOption>>;
}

/** What `train` tells `create` beyond the preset's own keys. */
export interface ModelRecipe {
  /** `--lr`, for families that keep the learning rate in their config. */
  learningRate?: number;
  /** Number of classes in the data (conditional models, classifiers). */
  classes?: number;
}

/** One model family as the CLI sees it. */
export interface ModelFamily {
  /** Family name, e.g. "vae". */
  name: string;
  /** One line for `--help`. */
  summary: string;
  /**
   * The config keys users set with `--set KEY=VALUE`, one per line,
   * indented two spaces, for `train --help`.
   */
  optionsHelp?: string;
  /** Preset names this family builds. */
  presets: readonly string[];
  /** Training recipe for this family (overridable by flags). */
  training: Partial<TrainingOptions>;
  /**
   * Data the family trains on (default ["images"]). Image families take
   * `imageSize` and `channels` config keys, which `train` sets from the data;
   * "points" families train on the toy 2-D sets, seen as (count, 1, 1, 2).
   */
  dataKinds?: readonly ("images" | "points")[];
  /** Picture kinds `sample --kind` accepts; the first is the default. */
  sampleKinds: readonly string[];
  /**
   * Optional request fields this family honours; `sample` refuses the
   * others with a usage error (e.g. `--guidance` for a VAE).
   */
  sampleOptions?: readonly SampleOption[];
  /**
   * Builds a model from a preset and overrides (checked strictly: unknown
   * keys or wrong types throw), with weights from `seed`. A checkpoint's
   * config passed as overrides rebuilds the same model. `recipe` carries
   * the run's flags for families that keep them in their config.
   */
  create(
    preset: string,
    overrides: Record<string, unknown>,
    seed: number,
    recipe?: ModelRecipe,
  ): TrainableModel;
  /** The picture for `sample`. Runs inside tf.tidy. */
  sample(model: TrainableModel, request: SampleRequest): tf.Tensor4D;
  /**
   * Cheaper metrics measured while training (`train --eval-every N`), e.g.
   * FID on 1,000 samples and modes covered; the trainer logs and plots
   * them. Defaults to nothing.
   */
  monitor?(
    model: TrainableModel,
    data: EvaluationData,
  ): Promise<Record<string, number>>;
  /**
   * Latent code of each image, (batch, codeSize), for `encode` (models
   * with an encoder: the AE's code, the VAE's posterior mean). Runs inside
   * tf.tidy; images in the model's pixel range.
   */
  encode?(model: TrainableModel, images: tf.Tensor4D): tf.Tensor2D;
  /** The sampler flags `eval` accepts and passes on in `sampling`; default none. */
  evaluationOptions?: readonly SampleOption[];
  /** Metrics for `eval` and the end of `train`, as plain numbers. */
  evaluate(
    model: TrainableModel,
    data: EvaluationData,
  ): Promise<Record<string, number>>;
}

/** Every family, in the order `--help` lists them. */
export const MODEL_FAMILIES: readonly ModelFamily[] = [
  vaeFamily,
  aeFamily,
  classifierFamily,
  flowFamily,
  flow2dFamily,
  ganFamily,
  ddpmFamily,
];

/** Every preset name the CLI accepts. */
export function presetNames(): string[] {
  return MODEL_FAMILIES.flatMap((family) => [...family.presets]);
}

/**
 * The family that builds `preset`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { familyOf } from "./registry.ts";
 * assert.equal(familyOf("vae-small").name, "vae");
 * ```
 */
export function familyOf(preset: string): ModelFamily {
  const family = MODEL_FAMILIES.find((f) => f.presets.includes(preset));
  if (!family) {
    throw new Error(
      `unknown model "${preset}" (models: ${presetNames().join(", ")})`,
    );
  }
  return family;
}
