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
import { writeFileAtomic } from "@genwasm/data/atomic_write";
import {
  type CheckpointContents,
  encodeCheckpoint,
  parseCheckpoint,
} from "./checkpoint_format.ts";

export * from "./checkpoint_format.ts";

/** Writes `contents` to `path` atomically. */
export async function saveCheckpoint(
  path: string,
  contents: CheckpointContents,
): Promise<void> {
  await writeFileAtomic(path, await encodeCheckpoint(contents));
}

/**
 * The bytes of the file at `path`; an error naming it otherwise, ending in
 * `missing` where there is no such file.
 */
export async function readFileNamed(
  path: string,
  missing: string,
): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Error(`${path}: ${missing}`);
    }
    throw new Error(`${path}: cannot read (${(error as Error).message})`);
  }
}

/**
 * Reads and checks a checkpoint: format, metadata and content hash. Every
 * error names the file.
 */
export async function loadCheckpoint(
  path: string,
): Promise<CheckpointContents> {
  return await parseCheckpoint(
    await readFileNamed(path, "no checkpoint there"),
    path,
  );
}
