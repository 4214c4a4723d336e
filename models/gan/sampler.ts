/**
 * Pictures from a GAN's generator: samples (all of one class, or classes
 * spread evenly), a grid with one row per class, and walks through latent
 * space. Every function returns pixels in [0, 1] and should run inside
 * `tf.tidy`.
 *
 * BatchNorm when sampling: with `samplingStatistics: "standing"` (default)
 * the generator normalises with the statistics of a fixed reference batch
 * of {@link REFERENCE_ROWS} latents (classes spread evenly; text
 * generators: the empty prompt) run through the
 * weights in use. The trainer's EMA averages the weights but not the
 * running statistics, which describe the raw weights; standing statistics
 * fit whichever weights sample, and each image still depends only on its
 * own noise. "running" uses the running averages kept while training.
 *
 * @module
 */
import { tf } from "@genwasm/backend/tf";
import type { BatchNormMode } from "../batch_norm.ts";
import type { Generator } from "./model.ts";
import type { GanConfig } from "./presets.ts";

/** Latents in the reference batch behind standing statistics. */
export const REFERENCE_ROWS = 256;
/** Seed of the reference batch's latents: the same batch every time. */
const REFERENCE_SEED = 0x5eed;

/** What drawing needs: the generator and how it normalises. */
export interface GanSampling {
  readonly generator: Generator;
  readonly config: Pick<GanConfig, "samplingStatistics">;
}

/** Standard normal latents (count, latentSize) from `seed`. */
function latents(generator: Generator, count: number, seed: number) {
  return tf.randomNormal(
    [count, generator.latentSize],
    0,
    1,
    "float32",
    seed,
  ) as tf.Tensor2D;
}

/** (count) int32 labels 0, 1, ..., classes - 1, 0, 1, ... */
function cyclingLabels(count: number, classes: number): tf.Tensor1D {
  return tf.tensor1d(
    Int32Array.from({ length: count }, (_, index) => index % classes),
    "int32",
  );
}

function checkCount(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`${name} must be a whole number >= 1, got ${value}`);
  }
}

/** Throws unless `label` is a class of the (conditional) generator. */
function checkLabel(generator: Generator, label: number): void {
  if (generator.classes === 0) {
    throw new Error("this GAN is unconditional: it takes no class label");
  }
  if (!Number.isInteger(label) || label < 0 || label >= generator.classes) {
    throw new Error(
      `class label must be a whole number in 0..${
        generator.classes - 1
      }, got ${label}`,
    );
  }
}

/**
 * The generator's images for given latents and labels, pixels in [0, 1],
 * with the sampling BatchNorm statistics (see the module doc).
 *
 * @param sampling The generator and its `samplingStatistics`.
 * @param z (count, latentSize) latents.
 * @param labels (count) int32 labels, required when conditional; or
 * (count, tokens) int32 prompt ids of a text generator (default: the empty
 * prompt); ignored otherwise.
 * @returns (count, size, size, channels) pixels in [0, 1].
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderImages } from "./sampler.ts";
 * import { createGan } from "./gan.ts";
 * import { initEngine } from "../../backends/engine.ts";
 * import { tf } from "../../backends/tf.ts";
 * await initEngine();
 * const gan = createGan("dcgan");
 * assert.deepEqual(tf.tidy(() => renderImages(gan, tf.zeros([2, 64])).shape), [2, 28, 28, 1]);
 * gan.dispose();
 * ```
 */
export function renderImages(
  sampling: GanSampling,
  z: tf.Tensor2D,
  labels?: tf.Tensor,
): tf.Tensor4D {
  const { generator, config } = sampling;
  const conditional = generator.classes > 0;
  return tf.tidy(() => {
    let pixels: tf.Tensor4D;
    if (config.samplingStatistics === "running") {
      pixels = generator.apply(z, labels, "inference");
    } else {
      // Reference rows first; their statistics normalise every row.
      const referenceZ = latents(generator, REFERENCE_ROWS, REFERENCE_SEED);
      const allZ = tf.concat([referenceZ, z]) as tf.Tensor2D;
      // (Missing labels of a conditional generator: G.apply says so.)
      // A text generator's reference rows have the empty prompt.
      const reference = generator.text
        ? tf.zeros([REFERENCE_ROWS, generator.text.config.maxTokens], "int32")
        : cyclingLabels(REFERENCE_ROWS, generator.classes);
      const allLabels = (conditional || generator.text) && labels
        ? tf.concat([reference, labels])
        : undefined;
      const mode: BatchNormMode = { referenceRows: REFERENCE_ROWS };
      const all = generator.apply(allZ, allLabels, mode);
      pixels = tf.slice(all, [REFERENCE_ROWS], [z.shape[0]]);
    }
    // tanh's [-1, 1] to [0, 1].
    return tf.mul(tf.add(pixels, 1), 0.5);
  });
}

/**
 * New images from z ~ N(0, I) drawn from `seed`; the same seed gives the
 * same images. A conditional generator draws `classLabel` only, or, without
 * it, the classes in turn (0, 1, ..., 9, 0, ...).
 *
 * @param sampling The generator and its `samplingStatistics`.
 * @param count How many images.
 * @param seed Seed of z.
 * @param classLabel The class to draw (conditional generators only).
 * @returns (count, size, size, channels) pixels in [0, 1].
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sampleImages } from "./sampler.ts";
 * import { createGan } from "./gan.ts";
 * import { initEngine } from "../../backends/engine.ts";
 * import { tf } from "../../backends/tf.ts";
 * await initEngine();
 * const gan = createGan("cgan");
 * assert.deepEqual(tf.tidy(() => sampleImages(gan, 4, 1, 3).shape), [4, 28, 28, 1]); // four 3s
 * gan.dispose();
 * ```
 */
export function sampleImages(
  sampling: GanSampling,
  count: number,
  seed: number,
  classLabel?: number,
): tf.Tensor4D {
  checkCount("count", count);
  const { generator } = sampling;
  if (classLabel !== undefined) checkLabel(generator, classLabel);
  return tf.tidy(() => {
    const z = latents(generator, count, seed);
    if (generator.classes === 0) return renderImages(sampling, z);
    const labels = classLabel === undefined
      ? cyclingLabels(count, generator.classes)
      : tf.fill([count], classLabel, "int32") as tf.Tensor1D;
    return renderImages(sampling, z, labels);
  });
}

/**
 * A conditional generator's grid: `rowsPerClass` rows of `columns` images
 * per class, class 0 first. Row r of every class uses the same latents, so
 * each column keeps its style across the classes.
 *
 * @param sampling The generator (conditional) and its `samplingStatistics`.
 * @param columns Images per row (the picture's columns, e.g. 8).
 * @param seed Seed of z.
 * @param rowsPerClass Rows per class; default 1.
 * @returns (classes * rowsPerClass * columns, size, size, channels) pixels in [0, 1].
 * @throws Error for an unconditional generator.
 *
 * @example Ten rows of eight
 * ```ts
 * import assert from "node:assert/strict";
 * import { classGrid } from "./sampler.ts";
 * import { createGan } from "./gan.ts";
 * import { initEngine } from "../../backends/engine.ts";
 * import { tf } from "../../backends/tf.ts";
 * await initEngine();
 * const gan = createGan("cgan");
 * assert.deepEqual(tf.tidy(() => classGrid(gan, 8, 1).shape), [80, 28, 28, 1]);
 * gan.dispose();
 * ```
 */
export function classGrid(
  sampling: GanSampling,
  columns: number,
  seed: number,
  rowsPerClass = 1,
): tf.Tensor4D {
  checkCount("columns", columns);
  checkCount("rowsPerClass", rowsPerClass);
  const { generator } = sampling;
  const classes = generator.classes;
  if (classes === 0) {
    throw new Error("a class grid needs a conditional GAN (cgan)");
  }
  return tf.tidy(() => {
    const perClass = columns * rowsPerClass;
    const z = tf.tile(latents(generator, perClass, seed), [classes, 1]);
    const labels = tf.tensor1d(
      Int32Array.from(
        { length: classes * perClass },
        (_, index) => Math.floor(index / perClass),
      ),
      "int32",
    );
    return renderImages(sampling, z as tf.Tensor2D, labels);
  });
}

/**
 * `strips` walks of `steps` images each between two random latents, along
 * the great circle between them (spherical interpolation, which keeps the
 * norm a Gaussian latent typically has). A conditional generator draws
 * strip i as class `classLabel`, or as class i mod classes without it.
 *
 * @param sampling The generator and its `samplingStatistics`.
 * @param strips Number of walks.
 * @param steps Images per walk, at least 2.
 * @param seed Seed of the end points.
 * @param classLabel The class to draw (conditional generators only).
 * @returns (strips * steps, size, size, channels) pixels in [0, 1].
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { interpolationStrips } from "./sampler.ts";
 * import { createGan } from "./gan.ts";
 * import { initEngine } from "../../backends/engine.ts";
 * import { tf } from "../../backends/tf.ts";
 * await initEngine();
 * const gan = createGan("dcgan");
 * assert.deepEqual(tf.tidy(() => interpolationStrips(gan, 2, 8, 1).shape), [16, 28, 28, 1]);
 * gan.dispose();
 * ```
 */
export function interpolationStrips(
  sampling: GanSampling,
  strips: number,
  steps: number,
  seed: number,
  classLabel?: number,
): tf.Tensor4D {
  checkCount("strips", strips);
  if (!Number.isInteger(steps) || steps < 2) {
    throw new Error(`steps must be a whole number >= 2, got ${steps}`);
  }
  const { generator } = sampling;
  if (classLabel !== undefined) checkLabel(generator, classLabel);
  return tf.tidy(() => {
    const ends = latents(generator, 2 * strips, seed).arraySync();
    const rows: number[][] = [];
    for (let strip = 0; strip < strips; strip++) {
      rows.push(...slerp(ends[2 * strip], ends[2 * strip + 1], steps));
    }
    const z = tf.tensor2d(rows);
    if (generator.classes === 0) return renderImages(sampling, z);
    const labels = tf.tensor1d(
      Int32Array.from(
        { length: strips * steps },
        (_, index) =>
          classLabel ?? Math.floor(index / steps) % generator.classes,
      ),
      "int32",
    );
    return renderImages(sampling, z, labels);
  });
}

/**
 * `steps` points from `from` to `to` (both included) on the great circle
 * between them: sin((1 - t) omega) / sin omega * from + sin(t omega) /
 * sin omega * to, omega the angle between them (straight lines when they
 * are nearly parallel).
 */
export function slerp(from: number[], to: number[], steps: number): number[][] {
  const norm = (v: number[]) => Math.hypot(...v);
  let cosine = 0;
  for (let i = 0; i < from.length; i++) cosine += from[i] * to[i];
  cosine /= norm(from) * norm(to) || 1;
  const omega = Math.acos(Math.min(1, Math.max(-1, cosine)));
  const points: number[][] = [];
  for (let step = 0; step < steps; step++) {
    const t = step / (steps - 1);
    const [a, b] = Math.sin(omega) < 1e-6 ? [1 - t, t] : [
      Math.sin((1 - t) * omega) / Math.sin(omega),
      Math.sin(t * omega) / Math.sin(omega),
    ];
    points.push(from.map((value, i) => a * value + b * to[i]));
  }
  return points;
}
