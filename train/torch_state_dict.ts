/**
 * Weights that travel: a model's weights as a PyTorch state dict (a
 * safetensors file with the key names and layouts of the reference modules
 * in bench/peers/models.py), and a run folder made from such a file. The
 * names and layouts are the families' (`models/<family>/torch_names.ts`,
 * moved by `models/torch_layout.ts`); this module reads and writes
 * variables, files and checkpoints.
 *
 * @module
 */
import { tf } from "@genwasm/backend/tf";
import type { TrainableModel } from "@genwasm/models/contract";
import {
  fromStateDict,
  type TorchMapping,
  toStateDict,
} from "@genwasm/models/torch_layout";
import { writeFileAtomic } from "@genwasm/data/atomic_write";
import { readFileNamed, saveCheckpoint, storeTensor } from "./checkpoint.ts";
import { RunFolder } from "./run_folder.ts";
import { initialRandomState } from "./trainer.ts";
import {
  decodeWideSafetensors,
  encodeSafetensors,
  type Safetensors,
  type StoredTensor,
  type WideTensor,
} from "./safetensors.ts";

/** The `genwasm` metadata entry of every exported state dict. */
export const STATE_DICT_FORMAT = "genwasm-torch-state-dict-1";

/** A model's variables and buffers by name. */
function tensorsOf(model: TrainableModel): Map<string, tf.Variable> {
  return new Map([
    ...Object.values(model.groups).flatMap((group) => [...group]),
    ...(model.buffers ?? []),
  ]);
}

/** What an export records besides the weights. */
export interface ExportInfo {
  /** The run's step. */
  step: number;
  /** Whether the weights are the run's EMA averages. */
  averaged: boolean;
}

/**
 * The model's weights (as they are now) as a state dict with metadata:
 * `format` "pt" (as safetensors' PyTorch writer), `genwasm`
 * ({@link STATE_DICT_FORMAT}), `preset`, `config` (JSON), `module` (the
 * reference module to build, e.g. `Vae(latent_size=16, base_width=32)`),
 * `step` and `weights` ("ema" or "raw").
 */
export function stateDictOf(
  model: TrainableModel,
  mapping: TorchMapping,
  info: ExportInfo,
): Safetensors<WideTensor> {
  const variables = tensorsOf(model);
  const tensors = toStateDict(mapping, (name) => {
    const variable = variables.get(name);
    if (!variable) throw new Error(`${model.preset} has no tensor ${name}`);
    return {
      shape: variable.shape,
      data: Float32Array.from(variable.dataSync() as Float32Array),
    };
  });
  return {
    tensors: tensors as Map<string, WideTensor>,
    metadata: {
      format: "pt",
      genwasm: STATE_DICT_FORMAT,
      preset: model.preset,
      config: JSON.stringify(model.config),
      module: mapping.module,
      step: String(info.step),
      weights: info.averaged ? "ema" : "raw",
    },
  };
}

/** Writes a state dict to `path` atomically. */
export async function writeStateDict(
  path: string,
  stateDict: Safetensors<WideTensor>,
): Promise<void> {
  await writeFileAtomic(
    path,
    encodeSafetensors(stateDict.tensors, stateDict.metadata),
  );
}

/** Reads a safetensors file of any dtype; errors name the file. */
export async function readStateDict(
  path: string,
): Promise<Safetensors<WideTensor>> {
  return decodeWideSafetensors(
    await readFileNamed(path, "no such file"),
    path,
  );
}

/**
 * Loads a state dict into `model` (weights and buffers; the buffers the
 * mapping fills, e.g. ActNorm's flag, set). Everything is checked before
 * anything is assigned: one-line errors start with `source` and name the
 * key (see `fromStateDict` in models/torch_layout.ts).
 */
export function loadStateDict(
  model: TrainableModel,
  mapping: TorchMapping,
  tensors: ReadonlyMap<string, WideTensor>,
  source: string,
): void {
  const variables = tensorsOf(model);
  const shapes = new Map(
    [...variables].map(([name, variable]) => [name, variable.shape]),
  );
  const values = fromStateDict(
    mapping,
    shapes,
    tensors,
    source,
    model.preset,
  );
  tf.tidy(() => {
    for (const [name, data] of values) {
      const variable = variables.get(name)!;
      variable.assign(tf.tensor(data, variable.shape, variable.dtype));
    }
    for (const { ours, value } of mapping.fills) {
      const variable = variables.get(ours);
      if (!variable) throw new Error(`${model.preset} has no buffer ${ours}`);
      variable.assign(tf.fill(variable.shape, value, variable.dtype));
    }
  });
}

/** How {@link writeImportedRun} records the run. */
export interface ImportedRunOptions {
  /**
   * The run's training record: the data `sample` and `eval` load (`data`)
   * and where the weights came from. Without the optimiser's settings
   * (batch size, learning rate, betas, seed), which the checkpoint's
   * fresh Adam does not depend on, `train --resume` takes any.
   */
  training: Record<string, unknown>;
  /** Keep EMA averages (equal to the weights), as the family's recipe does. */
  ema: boolean;
  /** Replace a checkpoint already in `dir`. */
  overwrite?: boolean;
}

/**
 * Makes `dir` a run at step 0 holding `model`'s weights: the checkpoint
 * `sample`, `eval` and `train --resume` read, with a fresh optimizer state
 * (Adam at iteration 0, no moments), the random stream of a fresh run with
 * seed 0 and, with `ema`, averages equal to the weights. Refused, writing nothing, when `dir`
 * holds a checkpoint (unless `overwrite`) or is in use.
 *
 * @returns The checkpoint's path.
 */
export async function writeImportedRun(
  dir: string,
  model: TrainableModel,
  { training, ema, overwrite = false }: ImportedRunOptions,
): Promise<string> {
  const tensors = new Map<string, StoredTensor>();
  for (const [group, variables] of Object.entries(model.groups)) {
    for (const [name, variable] of variables) {
      tensors.set(`model.${name}`, storeTensor(variable));
    }
    tensors.set(`optimizer.${group}.iterations`, {
      dtype: "I32",
      shape: [],
      data: new Int32Array([0]),
    });
  }
  if (ema) {
    for (const variables of Object.values(model.groups)) {
      for (const [name, variable] of variables) {
        tensors.set(`ema.${name}`, storeTensor(variable));
      }
    }
  }
  for (const [name, variable] of model.buffers ?? []) {
    tensors.set(`buffer.${name}`, storeTensor(variable));
  }
  const folder = await RunFolder.claim(dir, { overwrite });
  try {
    await saveCheckpoint(folder.checkpoint, {
      preset: model.preset,
      config: model.config,
      step: 0,
      randomState: initialRandomState(0),
      training,
      tensors,
    });
  } finally {
    await folder.release();
  }
  return folder.checkpoint;
}
