/**
 * The trainer every model family plugs into (see ../models/contract.ts): seeded data
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
import { tf } from "@genwasm/backend/tf";
import { batchIndices, gatherRows } from "@genwasm/data/batches";
import type { ImageSet } from "@genwasm/data/image_set";
import { imageGrid } from "@genwasm/data/image_grid";
import { writePng } from "@genwasm/data/png";
import { Mulberry32 } from "@genwasm/data/random";
import type { StoredTensor } from "./safetensors.ts";
import {
  assignVariables,
  type CheckpointContents,
  loadCheckpoint,
  saveCheckpoint,
  storeTensor,
} from "./checkpoint.ts";
import { writeFileAtomic } from "@genwasm/data/atomic_write";
import { RUN_FILES, RunFolder } from "./run_folder.ts";
import { WeightAverage } from "./ema.ts";
import { MetricsLog } from "./metrics_log.ts";
import { exportAdamState, importAdamState } from "./optimizer_state.ts";
import { plotSeries, type Series } from "./loss_plot.ts";
import { Progress } from "./progress.ts";
import { learningRateAt } from "./schedule.ts";
import type {
  StepContext,
  TrainableModel,
  TrainingBatch,
  TrainingHyperparameters,
} from "@genwasm/models/contract";
import { StepRunner } from "./step.ts";

/**
 * Settings of one training run (all plain data; stored in checkpoints): the
 * hyper-parameters (models/contract.ts), the seed, and how often to report.
 */
export interface TrainingOptions extends TrainingHyperparameters {
  /** Fixes batch order and every random draw of the steps. */
  seed: number;
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
  beta1: 0.9,
  beta2: 0.999,
  groups: {},
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
  /**
   * The run folder (checkpoint, metrics, pictures): a path, which the run
   * claims for its length (see {@link RunFolder.claim}: refused while
   * another process trains into it, or when it holds a checkpoint and
   * neither `resume` nor `overwrite` is set), or a folder the caller
   * claimed (and releases), whose own `resume` then applies.
   */
  out: string | RunFolder;
  /** Continue from `out`/checkpoint.safetensors. */
  resume?: boolean;
  /** Start again in an `out` that holds a checkpoint, replacing it. */
  overwrite?: boolean;
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
  /**
   * Snapshots at marks of training time (`train --snapshot-minutes`): after
   * the first step that reaches each mark's `seconds` (counted as
   * {@link timeLimitSeconds} is, from the start of this call), the
   * checkpoint is also written, atomically, to
   * `snapshots/<name>/checkpoint.safetensors`: a run folder that sample,
   * eval and export load. A mark the run does not reach writes nothing. A
   * fresh (not resumed) run first removes the `snapshots` folder an
   * earlier run left there.
   */
  snapshots?: { name: string; seconds: number }[];
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
  /**
   * Hand the EMA weights back in {@link TrainingResult.average} instead of
   * freeing them, so the caller can evaluate them in memory; the caller
   * then disposes them.
   */
  keepAverage?: boolean;
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
  /**
   * The EMA weights, when the run keeps them and
   * {@link RunOptions.keepAverage} asked for them (the caller disposes them).
   */
  average?: WeightAverage;
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

export { RUN_FILES } from "./run_folder.ts";

/** The run folder's sub-folder of {@link RunOptions.snapshots}. */
export const SNAPSHOTS_FOLDER = "snapshots";

/** Seeds of the random stream derive from the run seed through this. */
const STREAM_SALT = 0x5eed1e55;

/**
 * The random stream's state at step 0 of a run with `seed`: what a
 * checkpoint made outside training (train/torch_state_dict.ts) records, so
 * resuming it draws as a fresh run would.
 */
export function initialRandomState(seed: number): number {
  return new Mulberry32(seed ^ STREAM_SALT).state;
}

/**
 * The batch of `indices`: images in the model's pixel range, labels, and
 * for text models prompt ids captioned with a seed of `stream`.
 */
function toBatchTensors(
  set: ImageSet,
  indices: Uint32Array,
  model: TrainableModel,
  stream: Mulberry32,
): TrainingBatch {
  const { pixelRange } = model;
  const [, height, width, channels] = set.shape;
  const pixels = gatherRows(set.images, height * width * channels, indices);
  if (pixelRange === "symmetric") {
    for (let i = 0; i < pixels.length; i++) pixels[i] = pixels[i] * 2 - 1;
  }
  const labels = Int32Array.from(indices, (index) => set.labels[index] ?? 0);
  return {
    images: tf.tensor4d(pixels, [indices.length, height, width, channels]),
    labels: tf.tensor1d(labels, "int32"),
    ...(model.captionBatch
      ? { prompts: model.captionBatch(set, indices, stream.nextSeed()) }
      : {}),
  };
}

/** Frees a batch's tensors. */
function disposeBatch(batch: TrainingBatch): void {
  tf.dispose([
    batch.images,
    batch.labels,
    ...(batch.prompts ? [batch.prompts] : []),
  ]);
}

/**
 * Trains `model` on `data` and returns when `options.steps` is reached.
 * Throws {@link DivergenceError} on NaN/Inf, leaving the last checkpoint;
 * refuses a run folder that another process trains into, or that holds a
 * checkpoint unless resuming or overwriting it.
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
  const folder = typeof run.out === "string"
    ? await RunFolder.claim(run.out, run)
    : run.out;
  try {
    return await trainInto(folder, model, data, options, run);
  } finally {
    if (folder !== run.out) await folder.release();
  }
}

/** {@link train} in a claimed run folder. */
async function trainInto(
  folder: RunFolder,
  model: TrainableModel,
  data: ImageSet,
  options: TrainingOptions,
  run: RunOptions,
): Promise<TrainingResult> {
  const checkpointPath = folder.checkpoint;
  const groups = Object.entries(model.groups);
  const runner = new StepRunner(model, options);
  const optimizers = runner.optimizers;
  const allWeights = new Map(groups.flatMap(([, variables]) => [...variables]));
  const average = options.emaDecay > 0
    ? new WeightAverage(allWeights, options.emaDecay)
    : undefined;
  const stream = new Mulberry32(options.seed ^ STREAM_SALT);
  let step = 0;

  if (folder.resume) {
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

  const metricsPath = folder.file("metrics");
  const history: Series[] = model.phases.map((phase) => ({
    name: phase.name,
    points: [],
  }));
  const evaluations: Series[] = [];
  if (folder.resume) await trimLog(metricsPath, step, history, evaluations);
  const log = new MetricsLog(metricsPath, { append: folder.resume });
  const progress = new Progress({
    total: options.steps,
    startStep: step,
    ...(run.write ? { write: run.write } : {}),
    ...(run.interactive !== undefined ? { interactive: run.interactive } : {}),
  });
  const sums = new Map<string, number>();
  let intervalSteps = 0;
  let losses: Record<string, number> = {};
  // Marks still to come, earliest first; an earlier run's snapshots go.
  const snapshots = [...(run.snapshots ?? [])].sort((a, b) =>
    a.seconds - b.seconds
  );
  if (!folder.resume) {
    await Deno.remove(join(folder.dir, SNAPSHOTS_FOLDER), { recursive: true })
      .catch((error) => {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
      });
  }
  const startStep = step, started = performance.now();
  const elapsedSeconds = () => (performance.now() - started) / 1000;

  const save = async (path = checkpointPath) => {
    await saveCheckpoint(path, {
      preset: model.preset,
      config: model.config,
      step,
      randomState: stream.state,
      training: { ...options, ...run.source },
      tensors: collectTensors(model, optimizers, average),
    });
  };
  /** Writes the snapshot of every mark `elapsed` has reached. */
  const snapshot = async (elapsed: number) => {
    while (snapshots.length > 0 && elapsed >= snapshots[0].seconds) {
      const { name } = snapshots.shift()!;
      const dir = join(folder.dir, SNAPSHOTS_FOLDER, name);
      await Deno.mkdir(dir, { recursive: true });
      await save(join(dir, RUN_FILES.checkpoint));
      log.write({ step, elapsed_seconds: elapsed, snapshot: name });
    }
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
        folder.file("evalPlot"),
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
      folder.file("samples"),
      imageGrid(values, shape as [number, number, number, number], {
        columns: Math.min(8, shape[0]),
        scale: 2,
      }),
    );
  };

  let last = step >= options.steps;
  let kept: WeightAverage | undefined;
  try {
    while (!last) {
      const indices = batches.next().value as Uint32Array;
      if (step === 0 && model.initialize) {
        const first = toBatchTensors(data, indices, model, stream);
        try {
          tf.tidy(() =>
            model.initialize!(first, {
              step,
              seed: () => stream.nextSeed(),
            })
          );
        } finally {
          disposeBatch(first);
        }
        // The average starts from the initialised weights, not the ones
        // the model was built with.
        average?.reset();
      }
      const base = learningRateAt(step, {
        base: options.learningRate,
        warmupSteps: options.warmupSteps,
        totalSteps: options.steps,
        schedule: options.schedule,
      });
      const context: StepContext = { step, seed: () => stream.nextSeed() };
      const batch = toBatchTensors(data, indices, model, stream);
      try {
        const losses = runner.step(batch, context, base);
        for (const [name, value] of Object.entries(losses)) {
          sums.set(name, (sums.get(name) ?? 0) + value);
        }
      } finally {
        disposeBatch(batch);
      }
      average?.update(step);
      step++;
      intervalSteps++;
      const elapsed = elapsedSeconds();
      last = step === options.steps ||
        elapsed >= (run.timeLimitSeconds ?? Infinity);
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
        await writePng(folder.file("lossPlot"), plotSeries(history));
      }
      await snapshot(elapsed);
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
    if (run.keepAverage) kept = average;
  } finally {
    progress.finish();
    log.close();
    runner.dispose();
    if (!kept) average?.dispose();
  }
  return {
    step,
    losses,
    history,
    secondsPerStep: (performance.now() - started) / 1000 /
      Math.max(1, step - startStep),
    checkpoint: checkpointPath,
    ...(kept ? { average: kept } : {}),
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

/** Options a resumed run must share with the run it continues. */
const RESUMED_AS_SAVED = [
  "batchSize",
  "seed",
  "emaDecay",
  "learningRate",
  "beta1",
  "beta2",
  "groups",
] as const;

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
  // Keys the model's config no longer has are ignored: checkpoints of
  // earlier versions kept training options there (e.g. the learning rate),
  // which their training record holds too.
  const config = Object.fromEntries(
    Object.entries(saved.config).filter(([key]) =>
      Object.hasOwn(model.config, key)
    ),
  );
  if (JSON.stringify(config) !== JSON.stringify(model.config)) {
    throw new Error(
      `${source}: model config differs from this run's (${
        JSON.stringify(saved.config)
      })`,
    );
  }
  for (const key of RESUMED_AS_SAVED) {
    // Records of earlier versions lack the betas and groups (they were in
    // the config then).
    if (!Object.hasOwn(saved.training, key)) continue;
    const was = JSON.stringify(saved.training[key]);
    const now = JSON.stringify(options[key]);
    if (was !== now) {
      throw new Error(
        `${source}: was trained with ${key} ${was}; resume with the same value, not ${now}`,
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
