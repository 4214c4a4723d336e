/**
 * Opening a run folder: its checkpoint, the family that made it, and the
 * model rebuilt from the stored config with the stored weights (the EMA
 * weights when the run kept them, unless asked otherwise).
 *
 * @module
 */
import { join } from "node:path";
import { assignVariables, loadCheckpoint } from "../train/checkpoint.ts";
import { RUN_FILES } from "../train/trainer.ts";
import {
  familyOf,
  type ModelFamily,
  rebuildModel,
} from "../models/registry.ts";
import type { TrainableModel } from "../models/contract.ts";
import type { ImageSet } from "../data/image_set.ts";
import type { Classifier } from "../models/classifier/classifier.ts";
import { referenceStatistics } from "../eval/reference_statistics.ts";
import type { EvaluationClassifier } from "../eval/sample_quality.ts";
import { dataSuffix } from "./_data.ts";
import { UsageError } from "./_flags.ts";

/** A trained model ready to sample or evaluate. */
export interface OpenedRun {
  family: ModelFamily;
  model: TrainableModel;
  preset: string;
  step: number;
  /** Whether the weights are the EMA averages. */
  averaged: boolean;
  /** The run's training options as saved. */
  training: Record<string, unknown>;
}

/** The `--run DIR` of sample, eval and encode; a usage error when missing. */
export function requireRun(values: { run?: string }): string {
  if (!values.run) {
    throw new UsageError("--run DIR is required (a folder written by train)");
  }
  return values.run;
}

/** Loads `runDir`/checkpoint.safetensors and rebuilds its model. */
export async function openRun(
  runDir: string,
  { useAverage = true } = {},
): Promise<OpenedRun> {
  const path = join(runDir, RUN_FILES.checkpoint);
  const saved = await loadCheckpoint(path);
  const family = familyOf(saved.preset);
  const model = rebuildModel(family, saved.preset, saved.config);
  try {
    const weights = new Map(
      Object.values(model.groups).flatMap((group) => [...group]),
    );
    const averaged = useAverage &&
      [...weights.keys()].every((name) => saved.tensors.has(`ema.${name}`));
    assignVariables(weights, saved.tensors, averaged ? "ema." : "model.", path);
    if (model.buffers) {
      assignVariables(model.buffers, saved.tensors, "buffer.", path);
    }
    return {
      family,
      model,
      preset: saved.preset,
      step: saved.step,
      averaged,
      training: saved.training,
    };
  } catch (error) {
    model.dispose();
    throw error;
  }
}

/**
 * Where `train --model classifier` puts the evaluation classifier of a
 * dataset by default: runs/classifier (MNIST), runs/classifier-fashion.
 */
export function defaultClassifierRun(data: string): string {
  return join("runs", `classifier${dataSuffix(data)}`);
}

/**
 * The evaluation classifier for sample metrics: `dir` if given (an error if
 * it holds none), else the data's default run when it exists, else
 * undefined (also for toy points, which have no classifier).
 */
export async function openClassifier(
  dir: string | undefined,
  data: { name: string; kind: "images" | "points"; test: ImageSet },
): Promise<EvaluationClassifier<Classifier> | undefined> {
  if (data.kind === "points") return undefined;
  const test = data.test;
  const path = dir ?? defaultClassifierRun(data.name);
  if (dir === undefined) {
    try {
      await Deno.stat(join(path, RUN_FILES.checkpoint));
    } catch {
      return undefined;
    }
  }
  const run = await openRun(path);
  if (run.family.name !== "classifier") {
    run.model.dispose();
    throw new Error(`${path}: holds a ${run.preset} model, not a classifier`);
  }
  const model = run.model as Classifier;
  return { model, reference: referenceStatistics(model, test) };
}
