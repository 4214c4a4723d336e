/**
 * The checkpoint format without files: encoding and checking the bytes, and
 * a model rebuilt from them (what a browser page needs). ./checkpoint.ts
 * reads and writes the files.
 *
 * Tensors: `model.<name>` (the weights, HWIO for convolutions),
 * `ema.<name>` (weight averages), `optimizer.<group>.<name>.m` / `.v`
 * (Adam moments) and `optimizer.<group>.iterations`. Metadata: the format,
 * preset, model config (JSON), step, random-stream state, the run's training
 * options (JSON) and a SHA-256 checked on load: of every other metadata
 * entry and every tensor's name, type, shape and bytes (format 2; format 1
 * files hashed the tensor bytes alone and still load).
 *
 * @module
 */
import { tf } from "@genwasm/backend/tf";
import type { TrainableModel } from "@genwasm/models/contract";
import {
  decodeSafetensors,
  encodeSafetensors,
  type StoredTensor,
} from "./safetensors.ts";

/** The format tag written into every checkpoint. */
export const CHECKPOINT_FORMAT = "genwasm-checkpoint-2";

/** The earlier format, whose hash covered only the tensor bytes. */
const TENSORS_ONLY_FORMAT = "genwasm-checkpoint-1";

/** Everything a checkpoint holds, as plain data. */
export interface CheckpointContents {
  preset: string;
  config: Record<string, unknown>;
  step: number;
  randomState: number;
  training: Record<string, unknown>;
  /** All tensors by their checkpoint names (see the module doc). */
  tensors: Map<string, StoredTensor>;
}

/**
 * SHA-256 (hex) of the tensor bytes, preceded (unless `tensorsOnly`) by the
 * metadata and each tensor's name, dtype and shape as JSON.
 */
async function sha256(
  tensors: Map<string, StoredTensor>,
  metadata: Record<string, string>,
  tensorsOnly = false,
): Promise<string> {
  const parts: Uint8Array[] = [];
  if (!tensorsOnly) {
    const described = [...tensors].map(([name, t]) => [name, t.dtype, t.shape]);
    parts.push(
      new TextEncoder().encode(
        JSON.stringify([Object.entries(metadata).sort(), described]),
      ),
    );
  }
  for (const { data } of tensors.values()) {
    parts.push(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  }
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    bytes.set(part, offset);
    offset += part.length;
  }
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0"))
    .join("");
}

/** Reads a variable's values into a stored tensor. */
export function storeTensor(tensor: tf.Tensor): StoredTensor {
  if (tensor.dtype === "int32") {
    return {
      dtype: "I32",
      shape: tensor.shape,
      data: tensor.dataSync() as Int32Array,
    };
  }
  return {
    dtype: "F32",
    shape: tensor.shape,
    data: Float32Array.from(tensor.dataSync() as Float32Array),
  };
}

/** The bytes of a checkpoint file holding `contents`. */
export async function encodeCheckpoint(
  contents: CheckpointContents,
): Promise<Uint8Array> {
  const metadata = {
    format: CHECKPOINT_FORMAT,
    preset: contents.preset,
    config: JSON.stringify(contents.config),
    step: String(contents.step),
    random_state: String(contents.randomState),
    training: JSON.stringify(contents.training),
  };
  const hash = await sha256(contents.tensors, metadata);
  return encodeSafetensors(contents.tensors, { ...metadata, sha256: hash });
}

/**
 * Checks and decodes the bytes of a checkpoint file; `path` names it in
 * every error.
 */
export async function parseCheckpoint(
  bytes: Uint8Array,
  path: string,
): Promise<CheckpointContents> {
  const { tensors, metadata } = decodeSafetensors(bytes, path);
  const fail = (why: string): never => {
    throw new Error(`${path}: not a genwasm checkpoint: ${why}`);
  };
  const format = metadata.format;
  if (format !== CHECKPOINT_FORMAT && format !== TENSORS_ONLY_FORMAT) {
    fail(
      `format is ${
        JSON.stringify(metadata.format)
      }, expected ${CHECKPOINT_FORMAT}`,
    );
  }
  const parse = (key: string): Record<string, unknown> => {
    try {
      const value = JSON.parse(metadata[key]);
      if (typeof value === "object" && value !== null) return value;
    } catch { /* reported below */ }
    return fail(`metadata ${key} is not a JSON object`);
  };
  const step = Number(metadata.step),
    randomState = Number(metadata.random_state);
  if (!Number.isSafeInteger(step) || step < 0) fail(`step is ${metadata.step}`);
  if (!Number.isSafeInteger(randomState)) {
    fail(`random_state is ${metadata.random_state}`);
  }
  if (typeof metadata.preset !== "string" || metadata.preset === "") {
    fail("no preset");
  }
  const { sha256: stored, ...hashed } = metadata;
  if (
    stored !== await sha256(tensors, hashed, format === TENSORS_ONLY_FORMAT)
  ) {
    fail("content hash does not match (the file is corrupt or was edited)");
  }
  return {
    preset: metadata.preset,
    config: parse("config"),
    step,
    randomState,
    training: parse("training"),
    tensors,
  };
}

/** Assigns stored values to variables, checking names and shapes. */
export function assignVariables(
  variables: Map<string, tf.Variable>,
  tensors: Map<string, StoredTensor>,
  prefix: string,
  source: string,
): void {
  for (const [name, variable] of variables) {
    const stored = tensors.get(`${prefix}${name}`);
    if (!stored) throw new Error(`${source}: has no tensor ${prefix}${name}`);
    if (stored.shape.join(",") !== variable.shape.join(",")) {
      throw new Error(
        `${source}: tensor ${prefix}${name} has shape [${stored.shape}], the model needs [${variable.shape}]`,
      );
    }
    tf.tidy(() =>
      variable.assign(tf.tensor(stored.data, stored.shape, variable.dtype))
    );
  }
}

/** A run's model rebuilt with its saved weights. */
export interface LoadedRun<M extends TrainableModel> {
  model: M;
  preset: string;
  step: number;
  /** Whether the weights are the EMA averages. */
  averaged: boolean;
  /** The run's training options as saved. */
  training: Record<string, unknown>;
}

/**
 * Loads a checkpoint's weights into the model `build` makes from its preset
 * and config: the EMA weights when the run kept them (unless `useAverage`
 * is false), else the trained weights, and the buffers. `source` names the
 * checkpoint in errors; the model is disposed if they do not fit.
 */
export function restoreModel<M extends TrainableModel>(
  saved: CheckpointContents,
  build: (preset: string, config: CheckpointContents["config"]) => M,
  { useAverage = true } = {},
  source: string,
): LoadedRun<M> {
  const model = build(saved.preset, saved.config);
  try {
    const weights = new Map(
      Object.values(model.groups).flatMap((group) => [...group]),
    );
    const averaged = useAverage &&
      [...weights.keys()].every((name) => saved.tensors.has(`ema.${name}`));
    assignVariables(
      weights,
      saved.tensors,
      averaged ? "ema." : "model.",
      source,
    );
    if (model.buffers) {
      assignVariables(model.buffers, saved.tensors, "buffer.", source);
    }
    return {
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
