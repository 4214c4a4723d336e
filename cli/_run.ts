/**
 * The CLI's side of opening a run folder (train/run_folder.ts does the
 * opening): the family that made a run, rebuilt with the stored weights
 * (the EMA weights when the run kept them, unless asked otherwise), and
 * the evaluation classifier's run.
 *
 * @module
 */
import { join } from "node:path";
import { type LoadedRun, loadRun, RUN_FILES } from "@genwasm/train/run_folder";
import {
  familyOf,
  type ModelFamily,
  rebuildModel,
} from "@genwasm/models/registry";
import type { TrainableModel } from "@genwasm/models/contract";
import type { ImageSet } from "@genwasm/data/image_set";
import type { Classifier } from "@genwasm/models/classifier/classifier";
import { referenceStatistics } from "@genwasm/eval/reference_statistics";
import type { EvaluationClassifier } from "@genwasm/eval/sample_quality";
import { dataSuffix } from "./_data.ts";
import { UsageError } from "./_flags.ts";

/** A trained model ready to sample or evaluate, with its family. */
export interface OpenedRun extends LoadedRun<TrainableModel> {
  family: ModelFamily;
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
  options: { useAverage?: boolean } = {},
): Promise<OpenedRun> {
  const run = await loadRun(
    runDir,
    (preset, config) => rebuildModel(familyOf(preset), preset, config),
    options,
  );
  return { ...run, family: familyOf(run.preset) };
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
