/**
 * `genwasm train`: trains the small convolutional autoencoder on MNIST and
 * writes a grid of test reconstructions and a metrics log. (The model
 * families replace the autoencoder as they land.)
 *
 * @module
 */
import { join } from "node:path";
import { tf } from "../backends/tf.ts";
import {
  describeEngine,
  type EngineInfo,
  type EngineOptions,
  initEngine,
} from "../backends/engine.ts";
import { batchIndices, gatherRows } from "../data/batches.ts";
import { loadMnist } from "../data/mnist.ts";
import type { ImageSet } from "../data/image_set.ts";
import { imageGrid } from "../data/image_grid.ts";
import { writePng } from "../data/png.ts";
import { ConvAutoencoder } from "../models/ae/model.ts";
import { evaluateLoss, trainStep } from "../models/ae/objective.ts";
import {
  COMMON_FLAGS,
  COMMON_HELP,
  engineOptions,
  parseFlags,
  positiveNumber,
  UsageError,
  wholeNumber,
} from "./_flags.ts";
import { MetricsLog } from "../train/metrics_log.ts";
import { formatDuration, Progress } from "../train/progress.ts";

/** One line for the command list. */
export const SUMMARY = "train a small convolutional autoencoder on MNIST";

/** Settings of a training run; the flags override {@link TRAIN_DEFAULTS}. */
export interface TrainConfig {
  /** Optimiser steps (one batch each). */
  steps: number;
  batchSize: number;
  /** Adam's step size. */
  learningRate: number;
  /** Seeds the initial weights and the batch order. */
  seed: number;
  /** Folder for the outputs. */
  out: string;
  /** Steps between logged lines; 0 picks a round number giving at most 20. */
  logEvery: number;
  engine: EngineOptions;
}

/**
 * Defaults: 1500 steps of 64 images take 60 to 80 s on two cores with the
 * threaded SIMD build (40 to 55 ms a step, measured) and reach a test loss of
 * 0.106 nats per pixel (seed 0).
 */
export const TRAIN_DEFAULTS: TrainConfig = {
  steps: 1500,
  batchSize: 64,
  learningRate: 1e-3,
  seed: 0,
  out: "runs/ae",
  logEvery: 0,
  engine: {},
};

/** Test images shown in the reconstruction grid (rows of originals, then their reconstructions). */
const GRID_IMAGES = 32;
const GRID_COLUMNS = 8;

/** The command's `--help`. */
export const HELP = `genwasm train: ${SUMMARY}

Usage: deno task train [flags]

Trains Conv(1->16) Conv(16->32) Dense(->16) | Dense ConvT(32->16) ConvT(16->1)
with Adam on per-pixel sigmoid cross-entropy, then writes into --out:
reconstructions.png (test images above their reconstructions), metrics.jsonl
(one JSON line per logged step) and config.json.

  --steps N            optimiser steps (default ${TRAIN_DEFAULTS.steps}, about 1 minute on 2 cores)
  --batch N            images per step (default ${TRAIN_DEFAULTS.batchSize})
  --lr X               Adam learning rate (default ${TRAIN_DEFAULTS.learningRate})
  --seed N             seed of weights and batch order (default ${TRAIN_DEFAULTS.seed})
  --out DIR            output folder (default ${TRAIN_DEFAULTS.out})
  --log-every N        steps between logged lines (default: at most 20 lines per run)
${COMMON_HELP}`;

/**
 * Parses `train`'s arguments into a config.
 *
 * @returns The config, or "help" when `--help` was asked for.
 * @throws UsageError for an unknown flag or a bad value.
 *
 * @example
 * ```ts
 * import { parseTrainArgs } from "./train.ts";
 * const config = parseTrainArgs(["--steps", "10", "--out", "/tmp/ae"]);
 * ```
 */
export function parseTrainArgs(args: string[]): TrainConfig | "help" {
  const values = parseFlags(args, {
    ...COMMON_FLAGS,
    steps: { type: "string" },
    batch: { type: "string" },
    lr: { type: "string" },
    seed: { type: "string" },
    out: { type: "string" },
    "log-every": { type: "string" },
  });
  if (values.help) return "help";
  const config = { ...TRAIN_DEFAULTS, engine: engineOptions(values) };
  if (values.steps !== undefined) {
    config.steps = wholeNumber("steps", values.steps);
  }
  if (values.batch !== undefined) {
    config.batchSize = wholeNumber("batch", values.batch);
  }
  if (values.lr !== undefined) {
    config.learningRate = positiveNumber("lr", values.lr);
  }
  if (values.seed !== undefined) {
    config.seed = wholeNumber("seed", values.seed, 0);
  }
  if (values.out !== undefined) {
    if (values.out.trim() === "") {
      throw new UsageError("--out must not be empty");
    }
    config.out = values.out;
  }
  if (values["log-every"] !== undefined) {
    config.logEvery = wholeNumber("log-every", values["log-every"]);
  }
  return config;
}

/** At most 20 logged lines per run, on round step counts (1, 2, 5, 10, 20...). */
function defaultLogEvery(steps: number): number {
  for (let scale = 1;; scale *= 10) {
    for (const every of [scale, 2 * scale, 5 * scale]) {
      if (steps / every <= 20) return every;
    }
  }
}

/** A different stream from the weights' for the batch order. */
function batchSeed(seed: number): number {
  return (seed ^ 0x9e3779b9) >>> 0;
}

async function writeReconstructions(
  path: string,
  model: ConvAutoencoder,
  test: ImageSet,
): Promise<void> {
  const [, height, width, channels] = test.shape;
  const imageLength = height * width * channels;
  const count = Math.min(GRID_IMAGES, test.shape[0]);
  const originals = test.images.subarray(0, count * imageLength);
  const reconstructions = tf.tidy(() => {
    const images = tf.tensor4d(originals, [count, height, width, channels]);
    return model.reconstruct(images).dataSync() as Float32Array;
  });
  // Each row of originals is followed by the row of their reconstructions.
  const rows = Math.ceil(count / GRID_COLUMNS);
  const tiles = new Float32Array(rows * 2 * GRID_COLUMNS * imageLength);
  for (let image = 0; image < count; image++) {
    const row = Math.floor(image / GRID_COLUMNS);
    const column = image % GRID_COLUMNS;
    const source = image * imageLength;
    const above = ((2 * row) * GRID_COLUMNS + column) * imageLength;
    const below = ((2 * row + 1) * GRID_COLUMNS + column) * imageLength;
    tiles.set(originals.subarray(source, source + imageLength), above);
    tiles.set(
      reconstructions.subarray(source, source + imageLength),
      below,
    );
  }
  const grid = imageGrid(tiles, [
    rows * 2 * GRID_COLUMNS,
    height,
    width,
    channels,
  ], { columns: GRID_COLUMNS, scale: 2 });
  await writePng(path, grid);
}

/** What {@link train} returns. */
export interface TrainResult {
  engine: EngineInfo;
  /** Mean batch loss over the last logged interval. */
  trainLoss: number;
  /** Loss over the whole test split after training. */
  testLoss: number;
  /** Milliseconds per step, averaged over the run. */
  stepMs: number;
  /** Files written. */
  files: string[];
}

/**
 * Runs a whole training job: engine, data, model, loop, outputs. Prints the
 * engine line first, then progress, then a summary.
 *
 * @example Ten steps
 * ```ts
 * import { train, TRAIN_DEFAULTS } from "./train.ts";
 * await train({ ...TRAIN_DEFAULTS, steps: 10, out: "/tmp/ae" });
 * ```
 */
export async function train(config: TrainConfig): Promise<TrainResult> {
  const engine = await initEngine(config.engine);
  console.log(describeEngine(engine));
  const { train: trainSet, test } = await loadMnist();
  const [count, height, width, channels] = trainSet.shape;
  console.log(
    `MNIST: ${count} training, ${
      test.shape[0]
    } test images of ${height}x${width}`,
  );
  if (config.batchSize > count) {
    throw new UsageError(
      `--batch must be at most ${count} (the training images), got ${config.batchSize}`,
    );
  }
  await Deno.mkdir(config.out, { recursive: true });
  const metricsPath = join(config.out, "metrics.jsonl");
  const configPath = join(config.out, "config.json");
  const gridPath = join(config.out, "reconstructions.png");
  await Deno.writeTextFile(
    configPath,
    JSON.stringify({ command: "train", model: "ae", config, engine }, null, 2) +
      "\n",
  );

  const model = new ConvAutoencoder({
    imageSize: height,
    channels,
    seed: config.seed,
  });
  const optimizer = tf.train.adam(config.learningRate);
  const batches = batchIndices(count, {
    batchSize: config.batchSize,
    seed: batchSeed(config.seed),
  });
  const imageLength = height * width * channels;
  const logEvery = config.logEvery || defaultLogEvery(config.steps);
  const metrics = new MetricsLog(metricsPath);
  const progress = new Progress({ total: config.steps });
  let intervalLoss = 0;
  let intervalSteps = 0;
  let trainLoss = NaN;
  let testLoss = NaN;
  let trainingSeconds = 0;
  try {
    for (let step = 1; step <= config.steps; step++) {
      const pixels = gatherRows(
        trainSet.images,
        imageLength,
        batches.next().value,
      );
      const loss = tf.tidy(() =>
        trainStep(
          model,
          optimizer,
          tf.tensor4d(pixels, [config.batchSize, height, width, channels]),
        )
      );
      if (!Number.isFinite(loss)) {
        throw new Error(
          `loss became ${loss} at step ${step}; try a smaller --lr`,
        );
      }
      intervalLoss += loss;
      intervalSteps++;
      const last = step === config.steps;
      const logged = step % logEvery === 0 || last;
      // Shown loss: the mean over the current logging interval so far.
      progress.update(step, intervalLoss / intervalSteps, logged);
      if (!logged) continue;
      trainLoss = intervalLoss / intervalSteps;
      intervalLoss = 0;
      intervalSteps = 0;
      const record: Record<string, number> = {
        step,
        loss: trainLoss,
        stepsPerSecond: progress.rate(step),
        elapsedSeconds: progress.elapsed(),
        tensors: tf.memory().numTensors,
      };
      if (last) {
        trainingSeconds = progress.elapsed();
        progress.finish();
        testLoss = evaluateLoss(model, test);
        record.testLoss = testLoss;
      }
      metrics.write(record);
    }
    const stepMs = (1000 * trainingSeconds) / config.steps;
    await writeReconstructions(gridPath, model, test);
    console.log(
      `done: ${config.steps} steps in ${formatDuration(trainingSeconds)} (${
        stepMs.toFixed(1)
      } ms/step), train loss ${trainLoss.toFixed(4)}, test loss ${
        testLoss.toFixed(4)
      }`,
    );
    console.log(`wrote ${gridPath}, ${metricsPath}, ${configPath}`);
    return {
      engine,
      trainLoss,
      testLoss,
      stepMs,
      files: [gridPath, metricsPath, configPath],
    };
  } finally {
    progress.finish();
    metrics.close();
    optimizer.dispose();
    model.dispose();
  }
}

/**
 * Runs `train` with its arguments (the command name removed).
 *
 * @example
 * ```ts
 * import { main } from "./train.ts";
 * await main(["--steps", "5", "--out", "/tmp/ae"]);
 * ```
 */
export async function main(args: string[]): Promise<void> {
  const config = parseTrainArgs(args);
  if (config === "help") {
    console.log(HELP);
    return;
  }
  await train(config);
}
