/**
 * The trainer every model family plugs into (see ./task.ts): seeded data
 * order, one Adam per variable group, warm-up and schedule, gradient
 * clipping, EMA of the weights, a NaN/Inf guard, progress, a JSONL metrics
 * log, a loss-curve and sample-grid picture, atomic checkpoints and an exact
 * `resume`.
 *
 * Reproducibility: the run's seed fixes the batch order and a random stream
 * that hands out every seed a step needs; the stream's state is saved with
 * each checkpoint, so a resumed run takes the same steps as an
 * uninterrupted one.
 *
 * @module
 */
import { join } from "node:path";
import { tf } from "../backends/tf.ts";
import { batchIndices, gatherRows } from "../data/batches.ts";
import type { ImageSet } from "../data/image_set.ts";
import { imageGrid } from "../data/image_grid.ts";
import { writePng } from "../data/png.ts";
import { Mulberry32 } from "../data/random.ts";
import type { StoredTensor } from "./safetensors.ts";
import {
  assignVariables,
  type CheckpointContents,
  loadCheckpoint,
  saveCheckpoint,
  storeTensor,
} from "./checkpoint.ts";
import { writeFileAtomic } from "./atomic_write.ts";
import { WeightAverage } from "./ema.ts";
import { MetricsLog } from "./metrics_log.ts";
import { exportAdamState, importAdamState } from "./optimizer_state.ts";
import { plotSeries, type Series } from "./loss_plot.ts";
import { Progress } from "./progress.ts";
import { learningRateAt, type ScheduleName } from "./schedule.ts";
import type { StepContext, TrainableModel, TrainingBatch } from "./task.ts";
import { StepRunner } from "./step.ts";

/** Settings of one training run (all plain data; stored in checkpoints). */
export interface TrainingOptions {
  /** Total optimiser steps of the run (a resumed run continues to this). */
  steps: number;
  batchSize: number;
  /** Adam's base step size (a group's own setting overrides it). */
  learningRate: number;
  /** Fixes batch order and every random draw of the steps. */
  seed: number;
  /** Linear warm-up steps; 0 for none. */
  warmupSteps: number;
  schedule: ScheduleName;
  /** Clip gradients to this global L2 norm per group; 0 for no clipping. */
  clipNorm: number;
  /** Weight EMA decay, e.g. 0.999; 0 for none. */
  emaDecay: number;
  /** Steps between log lines (and metric records). */
  logEvery: number;
  /** Steps between checkpoints; the last step always writes one. */
  checkpointEvery: number;
  /** Steps between sample grids; 0 for only at the end. */
  sampleEvery: number;
}

/** Defaults for {@link TrainingOptions}, the values of the canonical recipes. */
export const TRAINING_DEFAULTS: TrainingOptions = {
  steps: 1500,
  batchSize: 64,
  learningRate: 1e-3,
  seed: 0,
  warmupSteps: 0,
  schedule: "constant",
  clipNorm: 0,
  emaDecay: 0,
  logEvery: 50,
  checkpointEvery: 500,
  sampleEvery: 500,
};

/** Where a run writes, and how it reports. */
export interface RunOptions {
  /** The run folder: checkpoint, metrics, pictures. */
  out: string;
  /** Continue from `out`/checkpoint.safetensors. */
  resume?: boolean;
  /**
   * Where the data came from (e.g. `{data: "fashion"}`), saved in the
   * checkpoint's training record so `sample` and `eval` reload the same data.
   */
  source?: Record<string, unknown>;
  /**
   * Aborting it (e.g. on Ctrl-C) stops the run after the step in flight:
   * a checkpoint is written, then {@link TrainingInterrupted} is thrown.
   */
  signal?: AbortSignal;
  /**
   * A time budget (`train --minutes`): after the step that uses it up, the
   * run ends as if that step were its last (checkpoint, samples, metrics)
   * and returns normally. Counted from the start of this call.
   */
  timeLimitSeconds?: number;
  /** Progress output; default stdout. */
  write?: (text: string) => void;
  /** Redraw one progress line; default: stdout is a terminal. */
  interactive?: boolean;
  /**
   * Metrics measured while training (e.g. FID, modes covered, bits/dim),
   * every `every` steps and at the end, with the EMA weights when the run
   * keeps them. Logged to metrics.jsonl as `{step, eval: {...}}` and
   * plotted to eval.png.
   */
  monitor?: {
    every: number;
    measure(step: number): Promise<Record<string, number>>;
  };
}

/** What a finished run reports. */
export interface TrainingResult {
  /** Step reached: options.steps, or fewer when the time limit ended the run. */
  step: number;
  /** Mean of each phase's loss over the last logged interval. */
  losses: Record<string, number>;
  /** Every logged loss, per phase, as (step, value). */
  history: Series[];
  secondsPerStep: number;
  checkpoint: string;
}

export { DivergenceError } from "./step.ts";

/** The run was asked to stop ({@link RunOptions.signal}); its checkpoint is saved. */
export class TrainingInterrupted extends Error {
  /**
   * @param next What the user can do with the saved run, shown in
   * parentheses; by default, continue it.
   */
  constructor(
    readonly step: number,
    readonly checkpoint: string,
    next = "continue with --resume",
  ) {
    super(`interrupted at step ${step}; saved ${checkpoint} (${next})`);
    this.name = "TrainingInterrupted";
  }
}

/** File names inside a run folder. */
export const RUN_FILES = {
  checkpoint: "checkpoint.safetensors",
  metrics: "metrics.jsonl",
  samples: "samples.png",
  lossPlot: "loss.png",
  evalPlot: "eval.png",
} as const;

/** Seeds of the random stream derive from the run seed through this. */
const STREAM_SALT = 0x5eed1e55;

function toBatchTensors(
  set: ImageSet,
  indices: Uint32Array,
  pixelRange: TrainableModel["pixelRange"],
): TrainingBatch {
  const [, height, width, channels] = set.shape;
  const pixels = gatherRows(set.images, height * width * channels, indices);
  if (pixelRange === "symmetric") {
    for (let i = 0; i < pixels.length; i++) pixels[i] = pixels[i] * 2 - 1;
  }
  const labels = Int32Array.from(indices, (index) => set.labels[index] ?? 0);
  return {
    images: tf.tensor4d(pixels, [indices.length, height, width, channels]),
    labels: tf.tensor1d(labels, "int32"),
  };
}

/**
 * Trains `model` on `data` and returns when `options.steps` is reached.
 * Throws {@link DivergenceError} on NaN/Inf, leaving the last checkpoint.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { train, TRAINING_DEFAULTS } from "./trainer.ts";
 * import { initEngine } from "../backends/engine.ts";
 * import { createVae } from "../models/vae/vae.ts";
 * import { loadMnist } from "../data/mnist.ts";
 * import { mulberry32 } from "../data/random.ts";
 * await initEngine();
 * const mnist = await loadMnist();
 * const vae = createVae("vae-small", mulberry32(0));
 * const out = await Deno.makeTempDir(); // say, runs/vae
 * const options = { ...TRAINING_DEFAULTS, steps: 4, batchSize: 8 };
 * const result = await train(vae, mnist.train, options, { out });
 * assert.equal(result.step, 4);
 * assert.equal(result.checkpoint, `${out}/checkpoint.safetensors`);
 * vae.dispose();
 * await Deno.remove(out, { recursive: true });
 * ```
 */
export async function train(
  model: TrainableModel,
  data: ImageSet,
  options: TrainingOptions,
  run: RunOptions,
): Promise<TrainingResult> {
  await Deno.mkdir(run.out, { recursive: true });
  const checkpointPath = join(run.out, RUN_FILES.checkpoint);
  const groups = Object.entries(model.groups);
  const runner = new StepRunner(model, options);
  const optimizers = runner.optimizers;
  const allWeights = new Map(groups.flatMap(([, variables]) => [...variables]));
  const average = options.emaDecay > 0
    ? new WeightAverage(allWeights, options.emaDecay)
    : undefined;
  const stream = new Mulberry32(options.seed ^ STREAM_SALT);
  let step = 0;

  if (run.resume) {
    const saved = await loadCheckpoint(checkpointPath);
    checkCompatible(saved, model, options, checkpointPath, run.source);
    assignVariables(allWeights, saved.tensors, "model.", checkpointPath);
    if (model.buffers) {
      assignVariables(model.buffers, saved.tensors, "buffer.", checkpointPath);
    }
    if (average) {
      assignVariables(average.averages, saved.tensors, "ema.", checkpointPath);
    }
    for (const [group, variables] of groups) {
      await importAdamState(
        group,
        optimizers.get(group)!,
        variables,
        saved.tensors,
        checkpointPath,
      );
    }
    step = saved.step;
    stream.state = saved.randomState;
  }

  const batches = batchIndices(data.shape[0], {
    batchSize: options.batchSize,
    seed: options.seed,
  });
  for (let skipped = 0; skipped < step; skipped++) batches.next();

  const metricsPath = join(run.out, RUN_FILES.metrics);
  const history: Series[] = model.phases.map((phase) => ({
    name: phase.name,
    points: [],
  }));
  const evaluations: Series[] = [];
  if (run.resume) await trimLog(metricsPath, step, history, evaluations);
  const log = new MetricsLog(metricsPath, { append: run.resume });
  const progress = new Progress({
    total: options.steps,
    startStep: step,
    ...(run.write ? { write: run.write } : {}),
    ...(run.interactive !== undefined ? { interactive: run.interactive } : {}),
  });
  const sums = new Map<string, number>();
  let intervalSteps = 0;
  let losses: Record<string, number> = {};
  const startStep = step, started = performance.now();
  const elapsedSeconds = () => (performance.now() - started) / 1000;

  const save = async () => {
    await saveCheckpoint(checkpointPath, {
      preset: model.preset,
      config: model.config,
      step,
      randomState: stream.state,
      training: { ...options, ...run.source },
      tensors: collectTensors(model, optimizers, average),
    });
  };
  const measure = async () => {
    if (!run.monitor) return;
    const monitor = run.monitor;
    const metrics = average
      ? await average.withAveragesAsync(() => monitor.measure(step))
      : await monitor.measure(step);
    log.write({ step, elapsed_seconds: elapsedSeconds(), eval: metrics });
    addEvaluation(evaluations, step, metrics);
    if (evaluations.length > 0) {
      await writePng(
        join(run.out, RUN_FILES.evalPlot),
        plotSeries(evaluations),
      );
    }
  };
  const drawSamples = async () => {
    if (!model.generate) return;
    const draw = () =>
      tf.tidy(() => {
        const images = model.generate!(64, options.seed);
        return {
          values: images.dataSync() as Float32Array,
          shape: images.shape,
        };
      });
    const { values, shape } = average ? average.withAverages(draw) : draw();
    await writePng(
      join(run.out, RUN_FILES.samples),
      imageGrid(values, shape as [number, number, number, number], {
        columns: Math.min(8, shape[0]),
        scale: 2,
      }),
    );
  };

  let last = step >= options.steps;
  try {
    while (!last) {
      const indices = batches.next().value as Uint32Array;
      if (step === 0 && model.initialize) {
        const first = toBatchTensors(data, indices, model.pixelRange);
        try {
          tf.tidy(() =>
            model.initialize!(first, {
              step,
              seed: () => stream.nextSeed(),
            })
          );
        } finally {
          tf.dispose([first.images, first.labels]);
        }
      }
      const base = learningRateAt(step, {
        base: options.learningRate,
        warmupSteps: options.warmupSteps,
        totalSteps: options.steps,
        schedule: options.schedule,
      });
      const context: StepContext = { step, seed: () => stream.nextSeed() };
      const batch = toBatchTensors(data, indices, model.pixelRange);
      try {
        const losses = runner.step(batch, context, base);
        for (const [name, value] of Object.entries(losses)) {
          sums.set(name, (sums.get(name) ?? 0) + value);
        }
      } finally {
        tf.dispose([batch.images, batch.labels]);
      }
      average?.update(step);
      step++;
      intervalSteps++;
      last = step === options.steps ||
        elapsedSeconds() >= (run.timeLimitSeconds ?? Infinity);
      const logged = step % options.logEvery === 0 || last;
      const current = Object.fromEntries(
        [...sums].map(([name, sum]) => [name, sum / intervalSteps]),
      );
      progress.update(step, current, logged);
      if (logged) {
        losses = current;
        for (const series of history) {
          series.points.push([step, current[series.name]]);
        }
        log.write({
          step,
          ...current,
          learning_rate: base,
          steps_per_second: progress.rate(step),
          elapsed_seconds: elapsedSeconds(),
          tensors: tf.memory().numTensors,
          // Resident memory (WASM heap included): flat over a healthy run.
          rss_bytes: Deno.memoryUsage().rss,
        });
        sums.clear();
        intervalSteps = 0;
      }
      // Steps are synchronous: give the event loop a turn so a signal
      // handler (Ctrl-C) can run and abort.
      if (run.signal) await new Promise((resolve) => setTimeout(resolve, 0));
      const stopping = run.signal?.aborted ?? false;
      if (stopping || step % options.checkpointEvery === 0 || last) {
        await save();
        await writePng(join(run.out, RUN_FILES.lossPlot), plotSeries(history));
      }
      if (
        (options.sampleEvery > 0 && step % options.sampleEvery === 0) || last
      ) {
        await drawSamples();
      }
      if (
        run.monitor && (step % run.monitor.every === 0 || last)
      ) {
        await measure();
      }
      if (stopping && !last) {
        throw new TrainingInterrupted(step, checkpointPath);
      }
    }
  } finally {
    progress.finish();
    log.close();
    runner.dispose();
    average?.dispose();
  }
  return {
    step,
    losses,
    history,
    secondsPerStep: (performance.now() - started) / 1000 /
      Math.max(1, step - startStep),
    checkpoint: checkpointPath,
  };
}

function collectTensors(
  model: TrainableModel,
  optimizers: Map<string, tf.AdamOptimizer>,
  average: WeightAverage | undefined,
): Map<string, StoredTensor> {
  const tensors = new Map<string, StoredTensor>();
  for (const [group, variables] of Object.entries(model.groups)) {
    for (const [name, variable] of variables) {
      tensors.set(`model.${name}`, storeTensor(variable));
    }
    for (
      const entry of exportAdamState(group, optimizers.get(group)!, variables)
    ) {
      tensors.set(...entry);
    }
  }
  for (const [name, variable] of average?.averages ?? []) {
    tensors.set(`ema.${name}`, storeTensor(variable));
  }
  for (const [name, variable] of model.buffers ?? []) {
    tensors.set(`buffer.${name}`, storeTensor(variable));
  }
  return tensors;
}

/** Refuses to resume a checkpoint of another model or recipe, saying which. */
function checkCompatible(
  saved: CheckpointContents,
  model: TrainableModel,
  options: TrainingOptions,
  source: string,
  dataSource: Record<string, unknown> = {},
): void {
  if (saved.preset !== model.preset) {
    throw new Error(
      `${source}: holds a ${saved.preset} model, not ${model.preset}`,
    );
  }
  if (JSON.stringify(saved.config) !== JSON.stringify(model.config)) {
    throw new Error(
      `${source}: model config differs from this run's (${
        JSON.stringify(saved.config)
      })`,
    );
  }
  for (const key of ["batchSize", "seed", "emaDecay"] as const) {
    if (saved.training[key] !== options[key]) {
      throw new Error(
        `${source}: was trained with ${key} ${
          saved.training[key]
        }; resume with the same value, not ${options[key]}`,
      );
    }
  }
  for (const [key, value] of Object.entries(dataSource)) {
    const was = saved.training[key] ?? (key === "data" ? "mnist" : undefined);
    if (JSON.stringify(was) !== JSON.stringify(value)) {
      throw new Error(
        `${source}: was trained with ${key} ${
          JSON.stringify(was)
        }; resume with the same, not ${JSON.stringify(value)}`,
      );
    }
  }
  if (saved.step > options.steps) {
    throw new Error(
      `${source}: is at step ${saved.step}, past the ${options.steps} steps asked for`,
    );
  }
}

/**
 * Cuts the metrics log of an interrupted run back to the checkpoint's step
 * (dropping what the resumed run will log again, and a line torn by a crash)
 * and reloads its losses into `history` for the plot.
 */
async function trimLog(
  path: string,
  upToStep: number,
  history: Series[],
  evaluations: Series[],
): Promise<void> {
  let text = "";
  try {
    text = await Deno.readTextFile(path);
  } catch {
    return;
  }
  const kept: string[] = [];
  for (const line of text.split("\n")) {
    let record: Record<string, number> & {
      eval?: Record<string, number>;
    };
    try {
      record = JSON.parse(line);
    } catch {
      continue;
    }
    if (!(record.step <= upToStep)) continue;
    kept.push(line);
    if (record.eval) addEvaluation(evaluations, record.step, record.eval);
    for (const series of history) {
      if (typeof record[series.name] === "number") {
        series.points.push([record.step, record[series.name]]);
      }
    }
  }
  await writeFileAtomic(
    path,
    new TextEncoder().encode(kept.map((line) => `${line}\n`).join("")),
  );
}

/** Appends one monitor measurement to its per-metric series. */
function addEvaluation(
  evaluations: Series[],
  step: number,
  metrics: Record<string, number>,
): void {
  for (const [name, value] of Object.entries(metrics)) {
    if (!Number.isFinite(value)) continue;
    let series = evaluations.find((s) => s.name === name);
    if (!series) evaluations.push(series = { name, points: [] });
    series.points.push([step, value]);
  }
}
