/**
 * Sample quality of a diffusion model through the evaluation classifier:
 * FID, Inception Score and modes of DDIM samples, and for conditional
 * models the share of guided samples the classifier puts in the class they
 * were drawn for; for text models, the same on the samples of the fixed
 * prompt set, with how well they follow their prompts.
 *
 * @module
 */
import type { tf } from "@genwasm/backend/tf";
import { classAccuracy } from "@genwasm/eval/class_accuracy";
import {
  evaluatePrompts,
  type PromptEvaluation,
} from "@genwasm/eval/prompt_evaluation";
import {
  type EvaluationClassifier,
  sampleMetrics,
  scoreSamples,
} from "@genwasm/eval/sample_quality";
import type { Ddpm, DdpmSampleOptions } from "./diffusion.ts";

/** `sampling` taking at most the model's `timesteps` denoising steps. */
function withinTimesteps<S extends { steps?: number }>(
  sampling: S,
  timesteps: number,
): S {
  return sampling.steps === undefined
    ? sampling
    : { ...sampling, steps: Math.min(sampling.steps, timesteps) };
}

/** Options of {@link sampleScores}. */
export interface SampleScoreOptions {
  /** Samples to draw and score. */
  count: number;
  /** How to draw them (default DDIM, 50 steps, eta 0); at most T steps are taken. */
  sampling?: Omit<DdpmSampleOptions, "count" | "seed" | "labels">;
  /** Samples per sampling run; default 128. */
  chunk?: number;
  /** Seed of the first chunk; default 1. */
  seed?: number;
}

/**
 * Draws `count` DDIM samples (conditional models: guided, the classes in
 * turn, so every class gets the same share) and scores them.
 *
 * @param ddpm The model (the caller swaps in EMA weights if wanted).
 * @param classifier The evaluation classifier and its test-set statistics.
 * @param options Count, DDIM steps, chunk size, seed.
 * @returns `fid`, `inception_score`, `modes`, and `class_accuracy` for
 * conditional models.
 *
 * @example
 * ```ts
 * import { sampleScores } from "./evaluation.ts";
 * import { createDdpm } from "./diffusion.ts";
 * import { createClassifier } from "../classifier/classifier.ts";
 * import { referenceStatistics } from "../../eval/reference_statistics.ts";
 * import { tf } from "../../backends/tf.ts";
 * const ddpm = createDdpm("ddpm-small");
 * // In practice a trained classifier and the statistics of the test split.
 * const model = createClassifier("classifier");
 * const images = tf.randomUniform([16, 28, 28, 1]) as tf.Tensor4D;
 * const reference = referenceStatistics(model, images);
 * images.dispose();
 * // Say { count: 256, sampling: { steps: 25 } } for a score worth comparing.
 * const scores = sampleScores(ddpm, { model, reference }, { count: 4, sampling: { steps: 2 } });
 * console.log(scores.fid, scores.inception_score, scores.modes);
 * model.dispose();
 * ddpm.dispose();
 * ```
 */
export function sampleScores(
  ddpm: Ddpm,
  classifier: EvaluationClassifier,
  { count, sampling = {}, chunk = 128, seed = 1 }: SampleScoreOptions,
): Record<string, number> {
  const { conditional, classes, timesteps } = ddpm.config;
  const settings = withinTimesteps(sampling, timesteps);
  const requested: number[] = [];
  const drawn: Float32Array[] = [];
  const draw = (size: number, chunkSeed: number): tf.Tensor4D => {
    if (!conditional) {
      return ddpm.sample({ ...settings, count: size, seed: chunkSeed });
    }
    const labels = Array.from(
      { length: size },
      (_, index) => (requested.length + index) % classes,
    );
    const images = ddpm.sample({
      ...settings,
      count: size,
      seed: chunkSeed,
      labels,
    });
    requested.push(...labels);
    drawn.push(Float32Array.from(images.dataSync() as Float32Array));
    return images;
  };
  const scores = scoreSamples(classifier, draw, { count, chunk, seed });
  const metrics = sampleMetrics(scores);
  if (!conditional) return metrics;
  const { imageSize, channels } = ddpm.config;
  const images = new Float32Array(count * imageSize * imageSize * channels);
  let offset = 0;
  for (const part of drawn) {
    images.set(part, offset);
    offset += part.length;
  }
  return {
    ...metrics,
    class_accuracy: classAccuracy(
      classifier.model,
      { images, shape: [count, imageSize, imageSize, channels] },
      requested,
    ),
  };
}

/** Options of {@link promptScores}. */
export interface PromptScoreOptions {
  /** Samples in all, spread evenly over the prompts (at least one each). */
  count: number;
  /** How to draw them (default DDIM, 50 steps, eta 0); at most T steps are taken. */
  sampling?: Omit<DdpmSampleOptions, "count" | "seed" | "prompts">;
  /** Samples per sampling run; default 128. */
  chunk?: number;
}

/**
 * A text model's evaluation on its fixed prompt set (see
 * `evaluatePrompts`): guided DDIM samples of every prompt, how often they
 * are the prompt's class and show its attributes, seen and held-out
 * prompts apart, with FID, IS and modes of the same samples when a
 * classifier is given, and the grids of the prompts.
 *
 * @param ddpm A text-conditioned model (the caller swaps in EMA weights if wanted).
 * @param classifier The evaluation classifier, if any.
 * @param options Count, DDIM steps, chunk size.
 * @throws Error for a model without text conditioning.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { promptScores } from "./evaluation.ts";
 * import { createDdpm } from "./diffusion.ts";
 * // A tiny untrained model, for the example; pass a trained one and a classifier.
 * const ddpm = createDdpm({
 *   preset: "ddpm-small", timesteps: 2, baseWidth: 4, normGroups: 2, channelMultipliers: [1],
 *   text: { dataset: "fashion", layers: 1 },
 * });
 * const { metrics, pictures } = promptScores(ddpm, undefined, { count: 20, sampling: { steps: 1 } });
 * assert.equal(metrics.prompt_count, 20);
 * assert.ok("brightness_agreement" in metrics && pictures.prompts);
 * ddpm.dispose();
 * ```
 */
export function promptScores(
  ddpm: Ddpm,
  classifier: EvaluationClassifier | undefined,
  { count, sampling = {}, chunk = 128 }: PromptScoreOptions,
): PromptEvaluation {
  const { text, timesteps } = ddpm.config;
  if (!text) {
    throw new Error("prompt scores need a text-conditioned model");
  }
  const settings = withinTimesteps(sampling, timesteps);
  return evaluatePrompts(
    (prompts, seed) =>
      ddpm.sample({ ...settings, count: prompts.length, seed, prompts }),
    {
      dataset: text.dataset,
      heldOut: text.heldOut,
      samples: count,
      classifier,
      chunk,
    },
  );
}
