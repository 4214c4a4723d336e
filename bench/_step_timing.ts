/**
 * Times training steps and samplers of the canonical models inside one
 * process (one engine, one thread count): the measuring half of
 * `deno task bench:steps` (bench/steps.ts starts one such process per
 * thread count, because the engine starts once per process).
 *
 * A step is what the trainer takes (train/step.ts): every phase's forward,
 * backward and Adam update, plus the EMA update where the model's recipe
 * keeps one. Batches are random images in the model's pixel range, so no
 * data loading is timed.
 *
 * @module
 */
import { tf } from "../backends/tf.ts";
import { familyOf } from "../models/registry.ts";
import { StepRunner } from "../train/step.ts";
import { WeightAverage } from "../train/ema.ts";
import { TRAINING_DEFAULTS } from "../train/trainer.ts";
import type { TrainableModel, TrainingBatch } from "../models/contract.ts";
import { Mulberry32 } from "../data/random.ts";
import type { ImageSet } from "../data/image_set.ts";

/** The canonical models of shared/spec/canonical-models.md, in table order. */
export const CANONICAL_MODELS = ["dcgan", "cgan", "vae", "flow", "ddpm"];

/** How many steps are run untimed, then timed. */
export interface StepCounts {
  warmup: number;
  timed: number;
  /**
   * Run at least this many steps in all (untimed past warm-up + timed) and
   * report resident memory from step {@link MEMORY_BASELINE_STEP} to the
   * last; 0 or absent: no memory check.
   */
  memorySteps?: number;
}

/** The step whose resident memory the memory check compares the last step's to. */
export const MEMORY_BASELINE_STEP = 100;

/** Resident memory over a long run of steps (bytes). */
export interface MemoryCheck {
  /** Steps run. */
  steps: number;
  /** After step {@link MEMORY_BASELINE_STEP}. */
  baseline: number;
  /** After the last step. */
  last: number;
  /** Largest of the readings taken every 10 steps. */
  peak: number;
}

/** What one model measured. */
export interface StepTiming {
  model: string;
  parameters: number;
  /** Median wall time of one step, ms. */
  medianMs: number;
  /** Every timed step, ms. */
  stepsMs: number[];
  /** Resident set size after the timed steps, bytes. */
  rssBytes: number;
  /** Live tfjs tensors after the warm-up and after the timed steps. */
  tensors: [number, number];
  /** Images per second of each sampler (`sample` kind or sampler name). */
  samplers: Record<string, number>;
  /** With {@link StepCounts.memorySteps}: resident memory over the run. */
  memory?: MemoryCheck;
}

/** Median of a non-empty list. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2
    ? sorted[middle]
    : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** A random batch of 64 28x28x1 images in the model's range, labels 0..9. */
function randomBatch(
  model: TrainableModel,
  size: number,
  random: Mulberry32,
): TrainingBatch {
  const pixels = Float32Array.from(
    { length: size * 28 * 28 },
    () => random.next(),
  );
  const images = tf.tensor4d(pixels, [size, 28, 28, 1]);
  return {
    images: model.pixelRange === "symmetric"
      ? tf.tidy(() => tf.sub(tf.mul(images, 2), 1))
      : images,
    labels: tf.tensor1d(
      Int32Array.from({ length: size }, () => Math.floor(random.next() * 10)),
      "int32",
    ),
  };
}

/** 64 random test images for sample kinds that start from data. */
function randomTestSet(random: Mulberry32): ImageSet {
  return {
    images: Float32Array.from({ length: 64 * 784 }, () => random.next()),
    labels: Uint8Array.from({ length: 64 }, (_, i) => i % 10),
    shape: [64, 28, 28, 1],
  };
}

/** The samplers timed per family: request fields for each named sampler. */
const SAMPLERS: Record<string, Record<string, Record<string, unknown>>> = {
  ddpm: {
    "ddim-50": { sampler: "ddim", samplerSteps: 50 },
    "ddpm-1000": { sampler: "ddpm", samplerSteps: 1000 },
  },
};

/**
 * A model set up to train on one fixed random batch, as the trainer would:
 * what {@link timeModel} times and `bench:steps --profile` profiles.
 */
export interface StepBench {
  family: ReturnType<typeof familyOf>;
  model: TrainableModel;
  /** Every trainable weight, by name. */
  weights: Map<string, tf.Variable>;
  /** The generator the batch came from; it seeds each step. */
  random: Mulberry32;
  /** Runs training step `step`: every phase and the EMA update, if any. */
  step(step: number): void;
  /** Frees the batch, the optimizer state, the EMA and the model. */
  dispose(): void;
}

/**
 * Builds `preset` with its recipe's optimizer (and EMA where the recipe
 * keeps one) and a random batch of `batchSize`, and runs the model's
 * data-dependent initialisation on that batch.
 *
 * @example
 * ```ts
 * import { prepareSteps } from "./_step_timing.ts";
 * import { initEngine } from "../backends/engine.ts";
 * await initEngine({ threads: 2 });
 * const bench = prepareSteps("vae-small", 8); // bench:steps: each canonical model at 64
 * for (let step = 0; step < 3; step++) bench.step(step);
 * bench.dispose();
 * ```
 */
export function prepareSteps(preset: string, batchSize = 64): StepBench {
  const family = familyOf(preset);
  const model = family.create(preset, {}, 0, { classes: 10 });
  const recipe = { ...TRAINING_DEFAULTS, ...family.training };
  const runner = new StepRunner(model, { ...recipe, clipNorm: 0 });
  const weights = new Map(
    Object.values(model.groups).flatMap((group) => [...group]),
  );
  const average = recipe.emaDecay > 0
    ? new WeightAverage(weights, recipe.emaDecay)
    : undefined;
  const random = new Mulberry32(1);
  const batch = randomBatch(model, batchSize, random);
  const dispose = () => {
    tf.dispose([batch.images, batch.labels]);
    runner.dispose();
    average?.dispose();
    model.dispose();
  };
  try {
    if (model.initialize) {
      tf.tidy(() => model.initialize!(batch, { step: 0, seed: () => 7 }));
    }
  } catch (error) {
    dispose();
    throw error;
  }
  return {
    family,
    model,
    weights,
    random,
    step(step: number) {
      runner.step(
        batch,
        { step, seed: () => random.nextSeed() },
        recipe.learningRate,
      );
      average?.update();
    },
    dispose,
  };
}

/** Parameters of a set-up model: the elements of all its weights. */
export function parameterCount(bench: StepBench): number {
  return [...bench.weights.values()].reduce((n, v) => n + v.size, 0);
}

/**
 * Times `model`'s training step at batch `batchSize` and its samplers.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { timeModel } from "./_step_timing.ts";
 * import { initEngine } from "../backends/engine.ts";
 * await initEngine({ threads: 2 });
 * // bench:steps times { warmup: 5, timed: 20 } steps at batch 64, samplers at 64.
 * const timing = timeModel("vae-small", { warmup: 1, timed: 2 }, 8, 8);
 * assert.equal(timing.stepsMs.length, 2);
 * console.log(timing.medianMs, "ms a step");
 * ```
 */
export function timeModel(
  preset: string,
  counts: StepCounts,
  batchSize = 64,
  samplerImages = 64,
): StepTiming {
  const bench = prepareSteps(preset, batchSize);
  const { family, model, random } = bench;
  const stepsMs: number[] = [];
  let tensorsAfterWarmup = 0;
  try {
    const timedEnd = counts.warmup + counts.timed;
    const total = Math.max(timedEnd, counts.memorySteps ?? 0);
    const memory = { steps: total, baseline: 0, last: 0, peak: 0 };
    for (let step = 0; step < total; step++) {
      if (step === counts.warmup) tensorsAfterWarmup = tf.memory().numTensors;
      const started = performance.now();
      bench.step(step);
      const elapsed = performance.now() - started;
      if (step >= counts.warmup && step < timedEnd) stepsMs.push(elapsed);
      const done = step + 1;
      if (counts.memorySteps && (done % 10 === 0 || done === total)) {
        const reading = done === MEMORY_BASELINE_STEP || done === total;
        // The two readings compared come after a full garbage collection
        // (where --expose-gc gave us one): garbage V8 has not collected yet
        // made dcgan's RSS read 7-9% higher at step 1000 than at step 100
        // while its tensors, wasm heap and live JS heap stayed flat.
        if (reading) (globalThis as { gc?: () => void }).gc?.();
        const rss = Deno.memoryUsage().rss;
        memory.peak = Math.max(memory.peak, rss);
        if (done === MEMORY_BASELINE_STEP) memory.baseline = rss;
        if (done === total) memory.last = rss;
      }
    }
    const tensorsAfter = tf.memory().numTensors;
    const rssBytes = Deno.memoryUsage().rss;
    const samplers: Record<string, number> = {};
    const test = randomTestSet(random);
    const kinds = SAMPLERS[family.name] ??
      { [family.sampleKinds[0]]: { kind: family.sampleKinds[0] } };
    for (
      const [name, fields] of samplerImages > 0 ? Object.entries(kinds) : []
    ) {
      const started = performance.now();
      tf.tidy(() => {
        family.sample(model, {
          count: samplerImages,
          seed: 3,
          kind: family.sampleKinds[0],
          test,
          ...fields,
        }).dataSync();
      });
      samplers[name] = samplerImages / ((performance.now() - started) / 1000);
    }
    return {
      model: preset,
      parameters: parameterCount(bench),
      medianMs: median(stepsMs),
      stepsMs,
      rssBytes,
      tensors: [tensorsAfterWarmup, tensorsAfter],
      samplers,
      ...(counts.memorySteps && total >= MEMORY_BASELINE_STEP
        ? { memory }
        : {}),
    };
  } finally {
    bench.dispose();
  }
}
