/**
 * Checkpoints: one safetensors file per run holding everything a resume
 * needs, written atomically.
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
import {
  decodeSafetensors,
  encodeSafetensors,
  type StoredTensor,
} from "./safetensors.ts";
import { writeFileAtomic } from "@genwasm/data/atomic_write";

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

/** Writes `contents` to `path` atomically. */
export async function saveCheckpoint(
  path: string,
  contents: CheckpointContents,
): Promise<void> {
  const metadata = {
    format: CHECKPOINT_FORMAT,
    preset: contents.preset,
    config: JSON.stringify(contents.config),
    step: String(contents.step),
    random_state: String(contents.randomState),
    training: JSON.stringify(contents.training),
  };
  const hash = await sha256(contents.tensors, metadata);
  await writeFileAtomic(
    path,
    encodeSafetensors(contents.tensors, { ...metadata, sha256: hash }),
  );
}

/**
 * Reads and checks a checkpoint: format, metadata and content hash. Every
 * error names the file.
 */
export async function loadCheckpoint(
  path: string,
): Promise<CheckpointContents> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Error(`${path}: no checkpoint there`);
    }
    throw new Error(`${path}: cannot read (${(error as Error).message})`);
  }
  return await parseCheckpoint(bytes, path);
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
