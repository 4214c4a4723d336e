/**
 * The evaluation of a text-conditioned model on its fixed prompt set
 * (`evaluationPrompts`): draws the same number of samples from each prompt
 * through the family's own `draw`, scores them with
 * {@link promptAgreement} (and, with the evaluation classifier, FID,
 * Inception Score and modes of the same samples), and lays out one grid
 * row per prompt with the prompt written under it: `prompts` for the seen
 * prompts, `held_out` for the held-out ones.
 *
 * @module
 */
import { tf } from "@genwasm/backend/tf";
import type { CaptionDataset } from "@genwasm/data/captions/attribute_classes";
import type { HeldOutPair } from "@genwasm/data/captions/captioner";
import {
  type EvaluationPrompt,
  evaluationPrompts,
} from "@genwasm/data/captions/prompt_set";
import type { Picture } from "@genwasm/data/image_grid";
import { labelledRows } from "@genwasm/data/labelled_rows";
import { classifyImages } from "./classify_images.ts";
import { evaluateImages } from "./evaluate_images.ts";
import { agreementMetrics, promptAgreement } from "./prompt_agreement.ts";
import { type EvaluationClassifier, sampleMetrics } from "./sample_quality.ts";

/**
 * Draws one image per prompt (pixels in [0, 1]), the noise from `seed`;
 * runs inside tf.tidy.
 */
export type PromptDraw = (
  prompts: readonly string[],
  seed: number,
) => tf.Tensor4D;

/** Options of {@link evaluatePrompts}. */
export interface PromptEvaluationOptions {
  /** Whose captions the model read (its config's `text.dataset`). */
  dataset: CaptionDataset;
  /** The run's held-out pairs (its config's `text.heldOut`). */
  heldOut: readonly HeldOutPair[];
  /**
   * Samples wanted in all: each prompt gets `max(1, floor(samples /
   * prompts))`, so the total is at most `samples` unless there are more
   * prompts than that.
   */
  samples: number;
  /** The evaluation classifier: class accuracy, FID, IS, modes. */
  classifier?: EvaluationClassifier;
  /** Images per `draw`; default 128. */
  chunk?: number;
  /** Seed of the first draw (the next draws count up); default 1. */
  seed?: number;
  /** Images of each prompt shown in its grid row, at most; default 8. */
  columns?: number;
}

/** {@link evaluatePrompts}'s result. */
export interface PromptEvaluation {
  /**
   * `prompt_count`, `held_out_prompt_count` (0 when the run holds nothing
   * out), `samples_per_prompt`, the agreement metrics of
   * {@link agreementMetrics}, and with a classifier `fid`,
   * `inception_score`, `modes` of all the samples.
   */
  metrics: Record<string, number>;
  /** `prompts` (seen prompts) and, when there are any, `held_out`. */
  pictures: Record<string, Picture>;
}

/**
 * Draws `samples_per_prompt` images from each prompt of the fixed set,
 * prompt after prompt, and scores them.
 *
 * @param draw The model's prompted sampler.
 * @param options Data set, held-out pairs, sample count, classifier.
 * @returns Metrics and the grids.
 *
 * @example Scoring a stand-in sampler that draws a blank image
 * ```ts
 * import assert from "node:assert/strict";
 * import { evaluatePrompts } from "./prompt_evaluation.ts";
 * import { tf } from "../backends/tf.ts";
 * const { metrics, pictures } = evaluatePrompts(
 *   (prompts) => tf.zeros([prompts.length, 28, 28, 1]) as tf.Tensor4D,
 *   { dataset: "fashion", heldOut: [{ value: "light", label: 0 }], samples: 40 },
 * );
 * assert.equal(metrics.samples_per_prompt, 2);
 * assert.equal(metrics.held_out_prompt_count, 1);
 * // A blank image measures "dark": the 10 dark prompts agree, the 9 light
 * // ones and the held-out "a light t-shirt" do not.
 * assert.equal(metrics.brightness_agreement, 10 / 19);
 * assert.equal(metrics.held_out_brightness_agreement, 0);
 * assert.ok(pictures.prompts && pictures.held_out);
 * ```
 */
export function evaluatePrompts(
  draw: PromptDraw,
  {
    dataset,
    heldOut,
    samples,
    classifier,
    chunk = 128,
    seed = 1,
    columns = 8,
  }: PromptEvaluationOptions,
): PromptEvaluation {
  if (!Number.isInteger(samples) || samples < 1) {
    throw new Error(`samples must be a whole number >= 1, got ${samples}`);
  }
  const prompts = evaluationPrompts(dataset, heldOut);
  const perPrompt = Math.max(1, Math.floor(samples / prompts.length));
  const requested: EvaluationPrompt[] = prompts.flatMap((prompt) =>
    new Array<EvaluationPrompt>(perPrompt).fill(prompt)
  );
  const count = requested.length;
  const parts: Float32Array[] = [];
  let imageShape: number[] = [];
  for (let start = 0, part = 0; start < count; start += chunk, part++) {
    const batch = requested.slice(start, start + chunk).map((p) => p.prompt);
    tf.tidy(() => {
      const images = draw(batch, seed + part);
      imageShape = images.shape.slice(1);
      parts.push(Float32Array.from(images.dataSync() as Float32Array));
    });
  }
  const images = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((offset, part) => {
    images.set(part, offset);
    return offset + part.length;
  }, 0);
  const shape: [number, number, number, number] = [
    count,
    imageShape[0],
    imageShape[1],
    imageShape[2],
  ];
  const set = { images, shape };
  const predictions = classifier
    ? classifyImages(classifier.model, set).predictions
    : undefined;
  const seenCount = prompts.filter((prompt) => !prompt.heldOut).length;
  const metrics: Record<string, number> = {
    prompt_count: seenCount,
    held_out_prompt_count: prompts.length - seenCount,
    samples_per_prompt: perPrompt,
    ...agreementMetrics(
      promptAgreement(images, shape, requested, dataset, predictions),
    ),
    ...(classifier
      ? sampleMetrics(
        evaluateImages(classifier.model, set, classifier.reference),
      )
      : {}),
  };
  const shown = Math.min(columns, perPrompt);
  const grid = (heldOutRows: boolean): Picture | undefined => {
    const rows = prompts.flatMap((prompt, index) =>
      prompt.heldOut === heldOutRows ? [index] : []
    );
    if (rows.length === 0) return undefined;
    const length = shape[1] * shape[2] * shape[3];
    const pixels = new Float32Array(rows.length * shown * length);
    rows.forEach((promptIndex, row) => {
      const first = promptIndex * perPrompt;
      pixels.set(
        images.subarray(first * length, (first + shown) * length),
        row * shown * length,
      );
    });
    return labelledRows(
      pixels,
      [rows.length * shown, shape[1], shape[2], shape[3]],
      rows.map((index) => prompts[index].prompt),
      { columns: shown },
    );
  };
  const seenGrid = grid(false);
  const heldOutGrid = grid(true);
  return {
    metrics,
    pictures: {
      ...(seenGrid ? { prompts: seenGrid } : {}),
      ...(heldOutGrid ? { held_out: heldOutGrid } : {}),
    },
  };
}
