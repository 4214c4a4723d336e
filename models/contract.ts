/**
 * The contract a trainable model fulfils, owned by the models: the trainer
 * (train/) imports it, no model imports the trainer.
 *
 * A family hands the trainer a {@link TrainableModel}: its named variables in
 * groups (each group gets its own Adam, e.g. `generator` and `discriminator`;
 * single-network models use one group, `model`), and the ordered phases of
 * one training step (a GAN: first the discriminator, then the generator). The
 * trainer owns everything else: data order, optimisers, learning-rate
 * schedule, clipping, EMA, NaN guard, checkpoints and logs.
 *
 * @module
 */
import type { tf } from "@genwasm/backend/tf";
import type { ImageSet } from "@genwasm/data/image_set";

/** One batch as the trainer hands it to a model. */
export interface TrainingBatch {
  /** (batch, height, width, channels); pixel range is the family's choice, see {@link TrainableModel.pixelRange}. */
  images: tf.Tensor4D;
  /** Class label per image, int32 (zeros when the data has none). */
  labels: tf.Tensor1D;
  /**
   * (batch, tokens) int32 prompt ids, one caption per image: only for
   * models with {@link TrainableModel.captionBatch}, which makes them.
   */
  prompts?: tf.Tensor2D;
}

/** What a phase may draw on besides the batch. */
export interface StepContext {
  /**
   * A fresh seed for each `tf.random*` call of this step. Seeds come from the
   * trainer's generator, so a resumed run draws the same noise as an
   * uninterrupted one. Never call tf.random* without one.
   */
  seed(): number;
  /** The step being taken, from 0. */
  step: number;
}

/** One optimiser update of one variable group. */
export interface TrainingPhase {
  /** Name of the logged loss, e.g. "loss", "d_loss", "g_loss". */
  name: string;
  /** The group whose variables this phase updates. */
  group: string;
  /** The scalar to minimise; runs inside the trainer's `tf.tidy`. */
  loss(batch: TrainingBatch, context: StepContext): tf.Scalar;
}

/** A model the trainer can train, checkpoint and resume. */
export interface TrainableModel {
  /** Preset name, e.g. "vae"; stored in checkpoints and checked on load. */
  readonly preset: string;
  /** The full model configuration as plain JSON data; rebuilds the model. */
  readonly config: Record<string, unknown>;
  /** Trainable variables by group, each by a name unique across all groups. */
  readonly groups: Record<string, Map<string, tf.Variable>>;
  /** The phases of one step, in order. */
  readonly phases: TrainingPhase[];
  /**
   * Range the model wants its inputs in: "unit" [0, 1], "symmetric" [-1, 1],
   * or "raw" (values as stored, e.g. the 2-D points of a toy dataset).
   */
  readonly pixelRange: "unit" | "symmetric" | "raw";
  /**
   * State that is saved and restored but not trained by gradients, by a
   * name unique across groups and buffers: BatchNorm running statistics,
   * ActNorm's "initialised" flag. Checkpointed as `buffer.<name>`.
   */
  readonly buffers?: Map<string, tf.Variable>;
  /**
   * Called once with the first batch before step 0 of a fresh run (never
   * on resume): data-dependent initialisation such as Glow's ActNorm.
   */
  initialize?(batch: TrainingBatch, context: StepContext): void;
  /**
   * Text-conditioned models: prompt ids for the training images at
   * `indices` of `data`, one caption per image drawn from `seed` (the
   * trainer hands each batch a fresh seed, so an image seen once an epoch
   * is captioned once an epoch). The trainer passes them as the batch's
   * `prompts` and disposes them.
   */
  captionBatch?(
    data: ImageSet,
    indices: Uint32Array,
    seed: number,
  ): tf.Tensor2D;
  /**
   * Images to show while training (sample grid): `count` new samples drawn
   * with `seed`, pixels in [0, 1], shape (count, height, width, channels).
   * Runs inside the trainer's `tf.tidy`.
   */
  generate?(count: number, seed: number): tf.Tensor4D;
  /** Frees every variable. */
  dispose(): void;
}

/**
 * How a long computation of a model (e.g. a diffusion sampler's denoising
 * loop) reports progress to its caller: called after each step with the
 * steps done so far and the steps in all. The CLI passes one that draws a
 * progress bar; models never print.
 */
export type ProgressCallback = (done: number, total: number) => void;

/** Adam settings of one variable group, where it differs from the run's. */
export interface GroupOptimizerSettings {
  learningRate?: number;
  beta1?: number;
  beta2?: number;
}

/** Names of the learning-rate shapes after warm-up (see train/schedule.ts). */
export const SCHEDULES = ["constant", "cosine", "linear"] as const;
/** One of {@link SCHEDULES}. */
export type ScheduleName = typeof SCHEDULES[number];

/**
 * How a run optimises: the hyper-parameters that are no part of the model.
 * They live here only, never in a model's config (which says what the
 * network is): a family recommends values ({@link TrainingRecipe}), flags
 * override them, the trainer's options hold them for the run and its
 * checkpoints store them.
 */
export interface TrainingHyperparameters {
  /** Total optimiser steps of the run (a resumed run continues to this). */
  steps: number;
  batchSize: number;
  /** Adam's base step size (a group's own setting overrides it). */
  learningRate: number;
  /** Adam's beta1 of every group. */
  beta1: number;
  /** Adam's beta2 of every group. */
  beta2: number;
  /** Groups whose Adam differs from the above, e.g. a GAN's generator rate. */
  groups: Record<string, GroupOptimizerSettings>;
  /** Linear warm-up steps; 0 for none. */
  warmupSteps: number;
  schedule: ScheduleName;
  /** Clip gradients to this global L2 norm per group; 0 for no clipping. */
  clipNorm: number;
  /** Weight EMA decay, e.g. 0.999; 0 for none. */
  emaDecay: number;
}

/** The values a family recommends for its runs (the rest: the trainer's defaults). */
export type TrainingRecipe = Partial<TrainingHyperparameters>;
