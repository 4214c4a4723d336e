/**
 * What a diffusion model learns: Ho et al.'s simplified objective,
 *
 *   L = E_{x_0, t ~ U{0..T-1}, epsilon ~ N(0, I)} || target - f(x_t, t) ||^2,
 *
 * with x_t from q(x_t | x_0) (see `process.ts`) and the target epsilon, x_0
 * or v as the config's `prediction` says; a mean over pixels and images.
 * Class-conditional models see the "no label" row for a random
 * `labelDropout` share of the batch, which is what classifier-free guidance
 * needs at sampling time (Ho & Salimans 2022); text models see the empty
 * prompt (all padding) for the same share.
 *
 * @module
 */
import { tf } from "@genwasm/backend/tf";
import type { ImageSet } from "@genwasm/data/image_set";
import { Mulberry32 } from "@genwasm/data/random";
import type { TrainingPhase } from "../contract.ts";
import type { ImagePrompts } from "../text/captions.ts";
import type { UNet } from "./model.ts";
import type { DdpmConfig } from "./presets.ts";
import { epsilonFromPrediction, qSample, trainingTarget } from "./process.ts";
import type { NoiseSchedule } from "./schedule.ts";

/** What the loss needs: the network, its schedule and its config. */
export interface DiffusionNetwork {
  readonly config: DdpmConfig;
  readonly unet: UNet;
  readonly schedule: NoiseSchedule;
  /** Text models: captions images as prompt ids (the test loss's prompts). */
  readonly imagePrompts?: ImagePrompts;
}

/** Seeds of the three random draws of one loss. */
export interface LossSeeds {
  timesteps: number;
  noise: number;
  /** Label dropout (conditional models), prompt dropout (text models). */
  labels: number;
}

/**
 * Replaces each prompt by the empty prompt (all padding, id 0) with
 * probability `rate`, independently; the draw is {@link dropLabels}'s, so
 * the same seed drops the same images.
 *
 * @param prompts (batch, tokens) int32 token ids.
 * @param rate Probability of dropping a prompt, in [0, 1).
 * @param seed Seed of the draw.
 * @returns (batch, tokens) int32 ids.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { dropPrompts } from "./objective.ts";
 * import { tf } from "../../backends/tf.ts";
 * const ids = tf.tidy(() => dropPrompts(tf.tensor2d([[4, 2], [7, 0]], [2, 2], "int32"), 0.5, 7));
 * const rows = ids.arraySync(); // each prompt kept, or all padding with probability 0.5
 * assert.ok(rows.every((row, i) => row.join() === [[4, 2], [7, 0]][i].join() || row.join() === "0,0"));
 * ids.dispose();
 * ```
 */
export function dropPrompts(
  prompts: tf.Tensor2D,
  rate: number,
  seed: number,
): tf.Tensor2D {
  return tf.tidy(() => {
    const draw = tf.randomUniform([prompts.shape[0]], 0, 1, "float32", seed);
    const keep = tf.cast(tf.greaterEqual(draw, rate), "int32");
    return tf.mul(prompts, tf.reshape(keep, [-1, 1]));
  });
}

/**
 * Replaces each label by `nullLabel` with probability `rate`, independently
 * (a uniform draw from `seed` below `rate`).
 *
 * @param labels (batch) int32 classes.
 * @param rate Probability of dropping a label, in [0, 1).
 * @param nullLabel The "no label" index.
 * @param seed Seed of the draw.
 * @returns (batch) int32 labels.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { dropLabels } from "./objective.ts";
 * import { tf } from "../../backends/tf.ts";
 * const labels = tf.tidy(() => dropLabels(tf.tensor1d([1, 2, 3], "int32"), 0.5, 10, 7));
 * const kept = labels.arraySync(); // each label kept, or 10 (no label) with probability 0.5
 * assert.ok(kept.every((label, index) => label === index + 1 || label === 10));
 * labels.dispose();
 * ```
 */
export function dropLabels(
  labels: tf.Tensor1D,
  rate: number,
  nullLabel: number,
  seed: number,
): tf.Tensor1D {
  return tf.tidy(() => {
    const draw = tf.randomUniform(labels.shape, 0, 1, "float32", seed);
    return tf.where(
      tf.less(draw, rate),
      tf.fill(labels.shape, nullLabel, "int32"),
      labels,
    ) as tf.Tensor1D;
  });
}

/**
 * (count) int32 timesteps drawn uniformly from 0 .. timesteps - 1.
 *
 * @example
 * ```ts
 * import { uniformTimesteps } from "./objective.ts";
 * import { tf } from "../../backends/tf.ts";
 * tf.tidy(() => uniformTimesteps(4, 1000, 1).print()); // four of 0..999
 * ```
 */
export function uniformTimesteps(
  count: number,
  timesteps: number,
  seed: number,
): tf.Tensor1D {
  return tf.tidy(() => {
    const draw = tf.randomUniform([count], 0, timesteps, "float32", seed);
    // The minimum guards against a float32 draw rounding up to T.
    return tf.cast(tf.minimum(tf.floor(draw), timesteps - 1), "int32");
  });
}

/** The pieces of one loss evaluation, for the training loss and the test loss. */
interface NoisedBatch {
  /** (batch) int32 timesteps. */
  t: tf.Tensor1D;
  noise: tf.Tensor4D;
  xt: tf.Tensor4D;
  /** The network's raw output. */
  output: tf.Tensor4D;
}

/**
 * The condition the network sees in training: `labelDropout` of the labels
 * (conditional models) or prompts (text models) dropped; none for
 * unconditional models.
 */
function shownCondition(
  network: DiffusionNetwork,
  condition: tf.Tensor | undefined,
  seed: number,
  labelDropout: number,
): tf.Tensor | undefined {
  const { config, unet } = network;
  if (!condition) return undefined;
  if (config.text) {
    return dropPrompts(condition as tf.Tensor2D, labelDropout, seed);
  }
  return config.conditional
    ? dropLabels(condition as tf.Tensor1D, labelDropout, unet.nullLabel, seed)
    : undefined;
}

/**
 * Noises `images` at random timesteps and runs the network on them (with
 * `labelDropout` of the labels or prompts dropped, conditional and text
 * models only).
 */
function noiseAndPredict(
  network: DiffusionNetwork,
  images: tf.Tensor4D,
  condition: tf.Tensor | undefined,
  seeds: LossSeeds,
  labelDropout: number,
): NoisedBatch {
  const { config, unet, schedule } = network;
  const batch = images.shape[0];
  const t = uniformTimesteps(batch, config.timesteps, seeds.timesteps);
  const noise = tf.randomNormal(
    images.shape,
    0,
    1,
    "float32",
    seeds.noise,
  ) as tf.Tensor4D;
  const xt = qSample(schedule, images, t, noise);
  const shown = shownCondition(network, condition, seeds.labels, labelDropout);
  return { t, noise, xt, output: unet.apply(xt, t, shown) };
}

/**
 * The training loss: mean squared error between the network's output and
 * its target, over pixels and images, one random timestep and noise draw
 * per image.
 *
 * @param network U-Net, schedule and config.
 * @param images (batch, size, size, channels) pixels in [-1, 1].
 * @param condition (batch) int32 classes, used by conditional models
 * only; or (batch, tokens) int32 prompt ids, for text models.
 * @param seeds Seeds of the timesteps, the noise and the label (or
 * prompt) dropout.
 * @returns The mean squared error.
 *
 * @example
 * ```ts
 * import { diffusionLoss } from "./objective.ts";
 * import { createDdpm } from "./diffusion.ts";
 * import { tf } from "../../backends/tf.ts";
 * const ddpm = createDdpm("ddpm-small");
 * const seeds = { timesteps: 1, noise: 2, labels: 3 };
 * tf.tidy(() => diffusionLoss(ddpm, tf.zeros([2, 28, 28, 1]), undefined, seeds).print()); // about 1.7 before training
 * ddpm.dispose();
 * ```
 */
export function diffusionLoss(
  network: DiffusionNetwork,
  images: tf.Tensor4D,
  condition: tf.Tensor | undefined,
  seeds: LossSeeds,
): tf.Scalar {
  return tf.tidy(() => {
    const { t, noise, output } = noiseAndPredict(
      network,
      images,
      condition,
      seeds,
      network.config.labelDropout,
    );
    const target = trainingTarget(
      network.config.prediction,
      network.schedule,
      images,
      noise,
      t,
    );
    return tf.mean(tf.squaredDifference(output, target));
  });
}

/**
 * The model's one training phase, "loss" on group "model": the batch's
 * {@link diffusionLoss} with seeds from the step (timesteps, noise, label
 * dropout, in that order), conditioned on the batch's labels, or on its
 * prompts for text models.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ddpmPhases } from "./objective.ts";
 * import { createDdpm } from "./diffusion.ts";
 * const ddpm = createDdpm("ddpm-small");
 * assert.deepEqual(ddpmPhases(ddpm).map((phase) => phase.name), ["loss"]);
 * ddpm.dispose();
 * ```
 */
export function ddpmPhases(network: DiffusionNetwork): TrainingPhase[] {
  return [{
    name: "loss",
    group: "model",
    loss(batch, context) {
      if (network.config.text && !batch.prompts) {
        throw new Error("a text-conditioned ddpm's batch needs prompts");
      }
      const condition = network.config.text ? batch.prompts : batch.labels;
      return diffusionLoss(network, batch.images, condition, {
        timesteps: context.seed(),
        noise: context.seed(),
        labels: context.seed(),
      });
    },
  }];
}

/** Options of {@link evaluateNoiseLoss}. */
export interface NoiseLossOptions {
  /** Images from the start of the set; default all. */
  count?: number;
  /** Images per forward pass; default 250. */
  batchSize?: number;
  /** Seed of the timesteps and noise; default 0, so evaluations agree. */
  seed?: number;
}

/**
 * The test loss: mean squared error between the true noise and the noise
 * the network implies (whatever its `prediction` target), over the first
 * `count` images of a set, each at one random timestep. Conditional models
 * see the true labels, text models a caption of each image (drawn from
 * `seed`, so evaluations agree). No weights change.
 *
 * @param network U-Net, schedule and config.
 * @param set Images with pixels in [0, 1] (mapped to [-1, 1] here).
 * @param options Image count, chunk size and seed.
 * @returns Mean squared error per pixel; about 1 for an untrained network.
 *
 * @example
 * ```ts
 * import { evaluateNoiseLoss } from "./objective.ts";
 * import { createDdpm } from "./diffusion.ts";
 * import { loadMnist } from "../../data/mnist.ts";
 * const { test } = await loadMnist();
 * const ddpm = createDdpm("ddpm-small");
 * console.log(evaluateNoiseLoss(ddpm, test, { count: 4 })); // about 1.8 before training
 * ddpm.dispose();
 * ```
 */
export function evaluateNoiseLoss(
  network: DiffusionNetwork,
  set: ImageSet,
  { count = set.shape[0], batchSize = 250, seed = 0 }: NoiseLossOptions = {},
): number {
  const [total, height, width, channels] = set.shape;
  if (!Number.isInteger(count) || count < 1 || count > total) {
    throw new Error(
      `count must be a whole number in 1..${total}, got ${count}`,
    );
  }
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new Error(`batchSize must be a whole number >= 1, got ${batchSize}`);
  }
  const imageLength = height * width * channels;
  const seeds = new Mulberry32(seed);
  // Salted: the captions draw apart from the timesteps and noise.
  const captionRandom = new Mulberry32(seed ^ 0x7e47);
  const prompts = network.config.text ? network.imagePrompts : undefined;
  if (network.config.text && !prompts) {
    throw new Error("a text-conditioned ddpm needs its image prompts");
  }
  let sum = 0;
  for (let start = 0; start < count; start += batchSize) {
    const size = Math.min(batchSize, count - start);
    const pixels = set.images.subarray(
      start * imageLength,
      (start + size) * imageLength,
    );
    const labels = Int32Array.from(
      { length: size },
      (_, index) => set.labels[start + index] ?? 0,
    );
    const ids = prompts?.ids(
      set,
      Array.from({ length: size }, (_, index) => start + index),
      () => captionRandom.next(),
    );
    sum += tf.tidy(() => {
      const images = tf.sub(
        tf.mul(tf.tensor4d(pixels, [size, height, width, channels]), 2),
        1,
      ) as tf.Tensor4D;
      const { t, noise, xt, output } = noiseAndPredict(
        network,
        images,
        ids
          ? tf.tensor2d(ids, [size, prompts!.tokens], "int32")
          : tf.tensor1d(labels, "int32"),
        {
          timesteps: seeds.nextSeed(),
          noise: seeds.nextSeed(),
          labels: seeds.nextSeed(),
        },
        // No label dropout: the test loss is of the conditional prediction.
        0,
      );
      const epsilon = epsilonFromPrediction(
        network.config.prediction,
        network.schedule,
        output,
        xt,
        t,
      );
      return tf.sum(tf.squaredDifference(epsilon, noise)).dataSync()[0];
    });
  }
  return sum / (count * imageLength);
}
