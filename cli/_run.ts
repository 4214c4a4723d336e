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
import { familyOf, type ModelFamily } from "../models/registry.ts";
import type { TrainableModel } from "../train/task.ts";

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

/** Loads `runDir`/checkpoint.safetensors and rebuilds its model. */
export async function openRun(
  runDir: string,
  { useAverage = true } = {},
): Promise<OpenedRun> {
  const path = join(runDir, RUN_FILES.checkpoint);
  const saved = await loadCheckpoint(path);
  const family = familyOf(saved.preset);
  const model = family.create(saved.preset, saved.config, 0);
  try {
    const weights = new Map(
      Object.values(model.groups).flatMap((group) => [...group]),
    );
    const averaged = useAverage &&
      [...weights.keys()].every((name) => saved.tensors.has(`ema.${name}`));
    assignVariables(weights, saved.tensors, averaged ? "ema." : "model.", path);
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
