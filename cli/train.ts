/**
 * `genwasm train`: trains any registered model (see models/registry.ts) on
 * a dataset with the shared trainer, then evaluates it on the test split.
 *
 * @module
 */
import { join } from "node:path";
import {
  describeEngine,
  type EngineOptions,
  initEngine,
} from "@genwasm/backend/engine";
import {
  type EvaluationData,
  familyOf,
  MODEL_FAMILIES,
  type ModelFamily,
} from "@genwasm/models/registry";
import type { EvaluationClassifier } from "@genwasm/eval/sample_quality";
import type { Classifier } from "@genwasm/models/classifier/classifier";
import { type ScheduleName, SCHEDULES } from "@genwasm/train/schedule";
import {
  train,
  TRAINING_DEFAULTS,
  TrainingInterrupted,
  type TrainingOptions,
} from "@genwasm/train/trainer";
import { formatDuration } from "@genwasm/train/progress";
import { RunFolder } from "@genwasm/train/run_folder";
import { type DataSpec, dataSuffix, loadImageData } from "./_data.ts";
import {
  asUsage,
  COMMON_FLAGS,
  COMMON_HELP,
  engineOptions,
  parseFlags,
  positiveNumber,
  UsageError,
  wholeNumber,
} from "./_flags.ts";
import { parseOverrides } from "./_overrides.ts";
import {
  CAPTION_DATASETS,
  type CaptionDataset,
} from "@genwasm/data/captions/attribute_classes";
import {
  type HeldOutPair,
  parseHeldOutPairs,
} from "@genwasm/data/captions/captioner";
import { openClassifier } from "./_run.ts";
import { terminalProgress } from "./_progress.ts";

/** One line for the command list. */
export const SUMMARY = "train a model (default: the canonical vae on MNIST)";

/** The model `deno task train` trains with no flags. */
export const DEFAULT_MODEL = "vae";

/** Default steps of the no-flag run: ~4 epochs of MNIST, a few minutes on 2 cores. */
export const DEFAULT_STEPS = 3000;

/** Everything `train` was asked to do. */
export interface TrainCommand {
  model: string;
  data: DataSpec;
  /** `--eval-every N`: steps between the family's training-time metrics (0: off). */
  evalEvery: number;
  overrides: Record<string, unknown>;
  training: TrainingOptions;
  /** Epochs asked for instead of steps (converted once the data is loaded). */
  epochs?: number;
  /** `--minutes M`: stop after M minutes of training (then as at the last step). */
  minutes?: number;
  /** `--skip-eval`: no evaluation on the test split after training. */
  skipEval?: boolean;
  /** `--snapshot-minutes A,B`: the marks (minutes) of snapshots, ascending. */
  snapshotMinutes?: number[];
  out: string;
  resume: boolean;
  /** `--overwrite`: start again in an --out that holds a checkpoint. */
  overwrite: boolean;
  engine: EngineOptions;
}

/**
 * The command's `--help` for `families`: the models and their `--set` keys
 * are theirs.
 */
export function trainHelp(families: readonly ModelFamily[]): string {
  return `genwasm train: ${SUMMARY}

Usage: deno task train [--model NAME] [--data mnist|fashion|folder:PATH|moons|gaussians|swissroll] [flags]

Models:
${
    families.map((f) => {
      const names = f.presets.join(", ");
      return names.length < 30
        ? `  ${names.padEnd(30)} ${f.summary}`
        : `  ${names}\n  ${"".padEnd(30)} ${f.summary}`;
    }).join("\n")
  }
${
    families.filter((f) => f.optionsHelp).map((f) =>
      `\n${f.name} options (--set KEY=VALUE):\n${f.optionsHelp!.trimEnd()}\n`
    ).join("")
  }
Writes into --out: checkpoint.safetensors (weights, Adam state, EMA, step,
random state; written atomically), metrics.jsonl, loss.png, samples.png,
and with --snapshot-minutes snapshots/10m/ etc. An --out that holds a checkpoint needs --resume or --overwrite; one that
another train is writing into is refused.

  --model NAME          model preset (default ${DEFAULT_MODEL})
  --data NAME           mnist (default), fashion (Debian dataset-fashion-mnist),
                        folder:PATH (PNG files; class sub-folders give labels),
                        moons, gaussians, swissroll (toy 2-D points)
  --image-size N        folder: images are resized to N x N (default 32)
  --channels 1|3        folder: images as grey or RGB (default 3)
  --set KEY=VALUE       override a preset key, e.g. --set latentSize=32 (repeatable)
  --conditional         class-conditional variant (same as --set conditional=true)
  --condition class|text  class: as --conditional; text: condition on captions
                        of the images (mnist or fashion; ddpm, gan), a prompt encoder
                        trained with the model, its vocabulary in the checkpoint
  --held-out PAIRS      text: captions never speak of these attribute-class
                        pairs, e.g. thick:4,left:7 (to test composition)
  --set text.KEY=VALUE  text: a key of the text block, e.g. --set text.layers=1;
                        ddpm: --set text.injection=pooled|cross|both (ddpm options above)
  --steps N             optimiser steps (default ${DEFAULT_STEPS})
  --epochs N            passes over the training set, instead of --steps
  --minutes M           stop after M minutes of training, whatever step that is
                        (checkpoint, samples and evaluation as at the end; the
                        schedule still spans --steps, so pair it with a
                        constant schedule or a --steps it will not reach)
  --snapshot-minutes A,B,...  also write the checkpoint, at the first step past
                        each mark (minutes of training, as --minutes counts
                        them), to OUT/snapshots/Am/ etc.: run folders sample
                        and eval load (a fresh run first removes OUT/snapshots;
                        not with --resume, whose clock starts again)
  --skip-eval           no evaluation on the test split after training (eval
                        the run later)
  --batch N             images per step (default 64)
  --lr X                Adam learning rate (default: the model's recipe)
  --seed N              seed of weights, batch order and noise (default 0)
  --warmup N            steps of linear learning-rate warm-up (default: the
                        model's recipe, 200 for ddpm, else 0)
  --schedule NAME       ${
    SCHEDULES.join(" | ")
  } after warm-up (default: the model's recipe)
  --clip-norm X         clip gradients to this global norm (default: off)
  --ema X               keep an EMA of the weights with this decay, e.g. 0.999
                        (0: off; default: the model's recipe, 0.999 for GANs,
                        0.995 for ddpm, else off); sample and eval use the EMA weights
  --out DIR             run folder (default runs/MODEL)
  --resume              continue the run in --out from its checkpoint
  --overwrite           start again in --out, replacing its checkpoint
  --log-every N         steps between logged lines (default 50)
  --checkpoint-every N  steps between checkpoints (default 500)
  --sample-every N      steps between sample grids (default 500)
  --eval-every N        steps between training-time metrics such as FID and
                        modes covered (text ddpm: the prompt set's class accuracy
                        and attribute agreement), logged and plotted to eval.png
                        (default: off)
${COMMON_HELP}`;
}

/** The command's `--help`. */
export const HELP = trainHelp(MODEL_FAMILIES);

/** The flag that sets each training option, for `--set` of one. */
const TRAINING_FLAGS: Record<string, string> = {
  steps: "--steps N",
  batchSize: "--batch N",
  learningRate: "--lr X",
  seed: "--seed N",
  warmupSteps: "--warmup N",
  schedule: "--schedule NAME",
  clipNorm: "--clip-norm X",
  emaDecay: "--ema X",
  logEvery: "--log-every N",
  checkpointEvery: "--checkpoint-every N",
  sampleEvery: "--sample-every N",
};

/**
 * Sorts `--set` pairs out as the family declares its keys: its training
 * settings change `training` (a usage error when the flag that sets the
 * same option was given too), its config keys are returned as overrides,
 * `text.KEY` pairs apart (keys of the text block, for `--condition text`);
 * any other key is a usage error naming it.
 */
function applySettings(
  family: ModelFamily,
  pairs: Record<string, unknown>,
  training: TrainingOptions,
  given: (flag: string) => boolean,
): { overrides: Record<string, unknown>; text: Record<string, unknown> } {
  const overrides: Record<string, unknown> = {};
  const text: Record<string, unknown> = {};
  const settings = family.trainingSettings ?? {};
  for (const [key, value] of Object.entries(pairs)) {
    if (key.includes(".")) {
      const [block, name] = key.split(".");
      if (block !== "text" || !family.textCondition) {
        throw new UsageError(
          `--set ${key}: ${family.name} has no config block "${block}"${
            family.textCondition ? ' (blocks: "text")' : ""
          }`,
        );
      }
      if (name === "dataset" || name === "heldOut") {
        throw new UsageError(
          `--set ${key}: give ${name === "dataset" ? "--data" : "--held-out"}`,
        );
      }
      text[name] = value;
      continue;
    }
    const setting = Object.hasOwn(settings, key) ? settings[key] : undefined;
    if (setting) {
      if (setting.flag && given(setting.flag)) {
        throw new UsageError(
          `give --${setting.flag} or --set ${key}, not both`,
        );
      }
      Object.assign(training, asUsage(() => setting.set(value, training)));
    } else if (family.configKeys.includes(key)) {
      overrides[key] = value;
    } else if (Object.hasOwn(TRAINING_FLAGS, key)) {
      throw new UsageError(
        `--set ${key}: a training option, not a config key of ${family.name}; use ${
          TRAINING_FLAGS[key]
        }`,
      );
    } else {
      throw new UsageError(
        `--set ${key}: unknown ${family.name} key (keys: ${
          [...family.configKeys, ...Object.keys(settings)].join(", ")
        })`,
      );
    }
  }
  return { overrides, text };
}

const FLAGS = {
  ...COMMON_FLAGS,
  model: { type: "string" },
  data: { type: "string" },
  "image-size": { type: "string" },
  channels: { type: "string" },
  set: { type: "string", multiple: true },
  conditional: { type: "boolean" },
  condition: { type: "string" },
  "held-out": { type: "string" },
  steps: { type: "string" },
  epochs: { type: "string" },
  minutes: { type: "string" },
  "snapshot-minutes": { type: "string" },
  "skip-eval": { type: "boolean" },
  batch: { type: "string" },
  lr: { type: "string" },
  seed: { type: "string" },
  warmup: { type: "string" },
  schedule: { type: "string" },
  "clip-norm": { type: "string" },
  ema: { type: "string" },
  out: { type: "string" },
  resume: { type: "boolean" },
  overwrite: { type: "boolean" },
  "log-every": { type: "string" },
  "checkpoint-every": { type: "string" },
  "sample-every": { type: "string" },
  "eval-every": { type: "string" },
} as const;

/**
 * Parses `train`'s arguments.
 *
 * @returns The command, or "help".
 * @throws UsageError naming the flag for an unknown flag or a bad value.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseTrainArgs } from "./train.ts";
 * const command = parseTrainArgs(["--model", "vae", "--steps", "10"]);
 * assert.ok(command !== "help");
 * assert.equal(command.training.steps, 10);
 * assert.equal(parseTrainArgs(["--help"]), "help");
 * ```
 */
export function parseTrainArgs(
  args: string[],
  families: readonly ModelFamily[] = MODEL_FAMILIES,
): TrainCommand | "help" {
  const values = parseFlags(args, FLAGS);
  if (values.help) return "help";
  const model = values.model ?? DEFAULT_MODEL;
  let family;
  try {
    family = familyOf(model, families);
  } catch (error) {
    throw new UsageError(`--model: ${(error as Error).message}`);
  }
  const condition = values.condition ??
    (values.conditional ? "class" : undefined);
  if (
    condition !== undefined && condition !== "class" && condition !== "text"
  ) {
    throw new UsageError(
      `--condition must be class or text, got "${condition}"`,
    );
  }
  if (values.conditional && condition !== "class") {
    throw new UsageError("give --conditional or --condition text, not both");
  }
  const training: TrainingOptions = {
    ...TRAINING_DEFAULTS,
    steps: DEFAULT_STEPS,
    ...family.training,
    ...family.trainingFor?.(model, condition),
  };
  if (values.steps !== undefined && values.epochs !== undefined) {
    throw new UsageError("give --steps or --epochs, not both");
  }
  if (values.steps !== undefined) {
    training.steps = wholeNumber("steps", values.steps);
  }
  const epochs = values.epochs !== undefined
    ? wholeNumber("epochs", values.epochs)
    : undefined;
  if (values.batch !== undefined) {
    training.batchSize = wholeNumber("batch", values.batch);
  }
  if (values.lr !== undefined) {
    training.learningRate = positiveNumber("lr", values.lr);
  }
  if (values.seed !== undefined) {
    training.seed = wholeNumber("seed", values.seed, 0);
  }
  if (values.warmup !== undefined) {
    training.warmupSteps = wholeNumber("warmup", values.warmup, 0);
  }
  if (values.schedule !== undefined) {
    if (!SCHEDULES.includes(values.schedule as ScheduleName)) {
      throw new UsageError(
        `--schedule must be ${SCHEDULES.join(", ")}; got "${values.schedule}"`,
      );
    }
    training.schedule = values.schedule as ScheduleName;
  }
  if (values["clip-norm"] !== undefined) {
    training.clipNorm = positiveNumber("clip-norm", values["clip-norm"]);
  }
  if (values.ema !== undefined) {
    const decay = Number(values.ema);
    if (!(decay >= 0 && decay < 1) || values.ema.trim() === "") {
      throw new UsageError(
        `--ema must be a decay from 0 (off) to below 1 (e.g. 0.999), got "${values.ema}"`,
      );
    }
    training.emaDecay = decay;
  }
  for (
    const [flag, key] of [
      ["log-every", "logEvery"],
      ["checkpoint-every", "checkpointEvery"],
    ] as const
  ) {
    if (values[flag] !== undefined) {
      training[key] = wholeNumber(flag, values[flag]!);
    }
  }
  if (values["sample-every"] !== undefined) {
    training.sampleEvery = wholeNumber(
      "sample-every",
      values["sample-every"],
      0,
    );
  }
  const data: DataSpec = { data: values.data ?? "mnist" };
  if (values["image-size"] !== undefined) {
    data.imageSize = wholeNumber("image-size", values["image-size"]);
  }
  if (values.channels !== undefined) {
    if (values.channels !== "1" && values.channels !== "3") {
      throw new UsageError(
        `--channels must be 1 or 3, got "${values.channels}"`,
      );
    }
    data.channels = Number(values.channels) as 1 | 3;
  }
  const out = values.out ?? join("runs", model + dataSuffix(data.data));
  if (out.trim() === "") throw new UsageError("--out must not be empty");
  if (values.resume && values.overwrite) {
    throw new UsageError("give --resume or --overwrite, not both");
  }
  if (values.resume && values["snapshot-minutes"] !== undefined) {
    // A resumed run's clock starts again at 0: its marks would be wrong.
    throw new UsageError(
      "--snapshot-minutes counts minutes from the start of a run: not with --resume",
    );
  }
  const { overrides, text } = applySettings(
    family,
    parseOverrides(values.set ?? []),
    training,
    (flag) => values[flag as keyof typeof values] !== undefined,
  );
  if (condition === "class") {
    if (!family.configKeys.includes("conditional")) {
      throw new UsageError(
        `--conditional: ${model} has no class-conditional variant`,
      );
    }
    overrides.conditional = true;
  }
  if (condition === "text") {
    overrides.text = {
      ...text,
      ...textBlock(family, model, data.data, values["held-out"]),
    };
    // Text replaces class labels, also in a preset that has them (cgan).
    if (family.configKeys.includes("conditional")) {
      overrides.conditional = false;
    }
  } else if (values["held-out"] !== undefined) {
    throw new UsageError("--held-out applies to --condition text only");
  } else if (Object.keys(text).length > 0) {
    throw new UsageError(
      `--set text.${Object.keys(text)[0]} applies to --condition text only`,
    );
  }
  const minutes = values.minutes !== undefined
    ? positiveNumber("minutes", values.minutes)
    : undefined;
  const snapshotMinutes = values["snapshot-minutes"] !== undefined
    ? parseSnapshotMinutes(values["snapshot-minutes"], minutes)
    : undefined;
  return {
    model,
    data,
    evalEvery: values["eval-every"] !== undefined
      ? wholeNumber("eval-every", values["eval-every"], 0)
      : 0,
    overrides,
    training,
    ...(epochs !== undefined ? { epochs } : {}),
    ...(minutes !== undefined ? { minutes } : {}),
    ...(snapshotMinutes !== undefined ? { snapshotMinutes } : {}),
    ...(values["skip-eval"] ? { skipEval: true } : {}),
    out,
    resume: values.resume ?? false,
    overwrite: values.overwrite ?? false,
    engine: engineOptions(values),
  };
}

/**
 * `--snapshot-minutes A,B,...`: positive minutes, each once, ascending.
 *
 * @throws UsageError for an empty list, a value that is not a positive
 * number, a repeated mark, or a mark after `--minutes` ends the run.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseSnapshotMinutes } from "./train.ts";
 * assert.deepEqual(parseSnapshotMinutes("20,10,30", 30), [10, 20, 30]);
 * assert.throws(() => parseSnapshotMinutes("10,40", 30), /after --minutes 30/);
 * ```
 */
export function parseSnapshotMinutes(
  text: string,
  minutes: number | undefined,
): number[] {
  const parts = text.split(",").map((part) => part.trim());
  if (parts.some((part) => part === "")) {
    throw new UsageError(
      `--snapshot-minutes takes minutes separated by commas, e.g. 10,20,30; got "${text}"`,
    );
  }
  const marks = parts.map((part) => positiveNumber("snapshot-minutes", part))
    .sort((a, b) => a - b);
  const repeated = marks.find((mark, i) => i > 0 && mark === marks[i - 1]);
  if (repeated !== undefined) {
    throw new UsageError(`--snapshot-minutes names ${repeated} twice`);
  }
  const late = marks.find((mark) => minutes !== undefined && mark > minutes);
  if (late !== undefined) {
    throw new UsageError(
      `--snapshot-minutes ${late} comes after --minutes ${minutes} ends the run`,
    );
  }
  return marks;
}

/** The folder name of a snapshot mark: "10m", "0.05m". */
export function snapshotName(minutes: number): string {
  return `${minutes}m`;
}

/**
 * The config's `text` block for `--condition text`: captions of `data`
 * with the `--held-out` pairs left unspoken (the rest of the block: the
 * family's defaults).
 *
 * @throws UsageError for a family without text conditioning, data without
 * captions, or a bad pair.
 */
function textBlock(
  family: ModelFamily,
  model: string,
  data: string,
  heldOut: string | undefined,
): { dataset: CaptionDataset; heldOut: HeldOutPair[] } {
  if (!family.textCondition) {
    throw new UsageError(`--condition text: ${model} takes no text condition`);
  }
  const dataset = CAPTION_DATASETS.find((name) => name === data);
  if (!dataset) {
    throw new UsageError(
      `--condition text: captions exist for ${
        CAPTION_DATASETS.join(" and ")
      }, not ${data}`,
    );
  }
  return {
    dataset,
    heldOut: asUsage(() => parseHeldOutPairs(heldOut ?? "", dataset)),
  };
}

/**
 * Runs a whole training job: engine, data, model, trainer, evaluation.
 *
 * @example Ten steps of the small VAE
 * ```ts
 * import { parseTrainArgs, runTrain } from "./train.ts";
 * const out = await Deno.makeTempDir(); // say, runs/flow2d
 * const command = parseTrainArgs(["--model", "flow2d", "--data", "moons", "--steps", "10", "--out", out]);
 * if (command !== "help") console.log(await runTrain(command)); // { nll_nats: 2.56, ... }
 * await Deno.remove(out, { recursive: true });
 * ```
 */
export async function runTrain(
  command: TrainCommand,
): Promise<Record<string, number>> {
  // Claimed first: a refused folder costs no engine start or data load.
  const folder = await RunFolder.claim(command.out, command);
  try {
    return await trainInto(folder, command);
  } finally {
    await folder.release();
  }
}

/** {@link runTrain} in its claimed run folder. */
async function trainInto(
  folder: RunFolder,
  command: TrainCommand,
): Promise<Record<string, number>> {
  const family = familyOf(command.model);
  const engine = await initEngine(command.engine);
  console.log(describeEngine(engine));
  const data = await loadImageData(command.data);
  const count = data.train.shape[0];
  const training = { ...command.training };
  if (training.batchSize > count) {
    throw new UsageError(
      `--batch must be at most ${count} (the training images), got ${training.batchSize}`,
    );
  }
  if (command.epochs !== undefined) {
    training.steps = command.epochs * Math.floor(count / training.batchSize);
  }
  const accepted = family.dataKinds ?? ["images"];
  if (!accepted.includes(data.kind)) {
    throw new UsageError(
      `--data ${data.name}: ${command.model} trains on ${
        accepted.join(" or ")
      }, not ${data.kind === "points" ? "2-D points" : "images"}`,
    );
  }
  const overrides = { ...command.overrides };
  if (data.kind === "images") {
    const [, height, , channels] = data.train.shape;
    overrides.imageSize ??= height;
    overrides.channels ??= channels;
  }
  let model;
  try {
    model = family.create(command.model, overrides, training.seed, {
      classes: data.classes,
    });
  } catch (error) {
    throw new UsageError(`--set: ${(error as Error).message}`);
  }
  try {
    console.log(
      `${command.model} on ${data.name}: ${count} training images, ${training.steps} steps of ${training.batchSize}` +
        (command.resume ? `, resuming ${command.out}` : ""),
    );
    // Opened when first needed: its reference statistics take a pass over
    // the test set, which a run without --eval-every does only at the end.
    let classifier:
      | Promise<EvaluationClassifier<Classifier> | undefined>
      | undefined;
    const evaluationData = async (): Promise<EvaluationData> => {
      classifier ??= family.name === "classifier"
        ? Promise.resolve(undefined)
        : openClassifier(undefined, data);
      return {
        ...data,
        classifier: await classifier,
        ...terminalProgress(),
      };
    };
    const release = async () => (await classifier)?.model.dispose();
    let result;
    const stop = stopOnInterrupt();
    try {
      result = await train(model, data.train, training, {
        out: folder,
        keepAverage: true,
        signal: stop.signal,
        source: { ...command.data },
        ...(command.minutes !== undefined
          ? { timeLimitSeconds: 60 * command.minutes }
          : {}),
        ...(command.snapshotMinutes !== undefined
          ? {
            snapshots: command.snapshotMinutes.map((minutes) => ({
              name: snapshotName(minutes),
              seconds: 60 * minutes,
            })),
          }
          : {}),
        ...(command.evalEvery > 0
          ? {
            monitor: {
              every: command.evalEvery,
              measure: async () =>
                family.monitor
                  ? await family.monitor(model, await evaluationData())
                  : {},
            },
          }
          : {}),
      });
      // A Ctrl-C during the last step's checkpoint, samples or monitor reaches
      // its listener only now; honour it before the (long) final evaluation.
      await new Promise((resolve) => setTimeout(resolve, 0));
      if (stop.signal.aborted) {
        result.average?.dispose();
        throw new TrainingInterrupted(
          result.step,
          result.checkpoint,
          `final evaluation skipped; run deno task eval --run ${command.out}`,
        );
      }
    } catch (error) {
      await release();
      throw error;
    } finally {
      stop.release();
    }
    const perStep = `${(1000 * result.secondsPerStep).toFixed(1)} ms/step`;
    console.log(
      result.step < training.steps
        ? `--minutes ${command.minutes} used up at step ${result.step} of ${training.steps} (${perStep})`
        : `trained to step ${result.step} (${perStep}, ${
          formatDuration(result.secondsPerStep * training.steps)
        } for the run)`,
    );
    if (command.skipEval) {
      result.average?.dispose();
      await release();
      console.log(
        `wrote ${command.out}/ (final evaluation skipped: deno task eval --run ${command.out})`,
      );
      return {};
    }
    // Evaluate what sample and eval use: the EMA weights when the run keeps
    // them, in place of the trained ones (as saved in the checkpoint).
    const averaged = result.average;
    const evaluate = async () => family.evaluate(model, await evaluationData());
    let metrics;
    try {
      metrics = averaged
        ? await averaged.withAveragesAsync(evaluate)
        : await evaluate();
    } finally {
      averaged?.dispose();
      await release();
    }
    console.log(
      `test${averaged ? " (EMA weights)" : ""}: ${
        Object.entries(metrics).map(([k, v]) => `${k} ${+v.toFixed(4)}`).join(
          ", ",
        )
      }`,
    );
    console.log(
      `wrote ${command.out}/ (checkpoint.safetensors, metrics.jsonl, loss.png, samples.png${
        command.snapshotMinutes ? ", snapshots/" : ""
      })`,
    );
    return metrics;
  } finally {
    model.dispose();
  }
}

/** Runs `train` with its arguments (the command name removed). */
export async function main(args: string[]): Promise<void> {
  const command = parseTrainArgs(args);
  if (command === "help") {
    console.log(HELP);
    return;
  }
  await runTrain(command);
}

/**
 * Ctrl-C (SIGINT) or SIGTERM asks the trainer to stop after the step in
 * flight and save a checkpoint; a second Ctrl-C exits at once (130). Once
 * released (the final evaluation), Ctrl-C ends the process as usual: the
 * checkpoint is already written.
 */
function stopOnInterrupt(): { signal: AbortSignal; release(): void } {
  const controller = new AbortController();
  const signals: Deno.Signal[] = Deno.build.os === "windows"
    ? ["SIGINT"]
    : ["SIGINT", "SIGTERM"];
  const onSignal = () => {
    if (controller.signal.aborted) Deno.exit(130);
    console.error(
      "\nstopping after this step and saving a checkpoint (Ctrl-C again to quit now)",
    );
    controller.abort();
  };
  for (const name of signals) Deno.addSignalListener(name, onSignal);
  return {
    signal: controller.signal,
    release: () => {
      for (const name of signals) Deno.removeSignalListener(name, onSignal);
    },
  };
}
