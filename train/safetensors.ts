/**
 * The safetensors format (https://huggingface.co/docs/safetensors), which
 * PyTorch users can read with `safetensors.torch.load_file`:
 *
 *   u64 little-endian N | N bytes of JSON header | raw little-endian data
 *
 * The header maps each tensor name to `{dtype, shape, data_offsets}` (offsets
 * into the data section) and may hold `__metadata__`, a string-to-string map.
 * Decoding trusts nothing: every length and offset is checked against the
 * file before anything is allocated, and errors name the file.
 *
 * @module
 */

/** The element types genwasm stores in its checkpoints. */
export type SafetensorsDtype = "F32" | "I32" | "U8";

/** One stored tensor. */
export interface StoredTensor {
  dtype: SafetensorsDtype;
  shape: number[];
  data: Float32Array | Int32Array | Uint8Array;
}

/**
 * The element types of PyTorch state dicts too: I64 (BatchNorm's
 * `num_batches_tracked`) and F64 (refused by import, but read to say so).
 */
export type WideDtype = SafetensorsDtype | "I64" | "F64";

/** A tensor of any {@link WideDtype}. */
export interface WideTensor {
  dtype: WideDtype;
  shape: number[];
  data: StoredTensor["data"] | BigInt64Array | Float64Array;
}

/** A decoded file: tensors by name, and the string metadata. */
export interface Safetensors<T = StoredTensor> {
  tensors: Map<string, T>;
  metadata: Record<string, string>;
}

const BYTES_PER_ELEMENT: Record<WideDtype, number> = {
  F32: 4,
  I32: 4,
  U8: 1,
  I64: 8,
  F64: 8,
};

/** The typed array that holds each dtype. */
const ARRAY_OF = {
  F32: Float32Array,
  I32: Int32Array,
  U8: Uint8Array,
  I64: BigInt64Array,
  F64: Float64Array,
} as const;

/** Headers above this size are refused (real ones are a few KiB). */
const MAX_HEADER_BYTES = 64 * 1024 * 1024;

function dtypeOf(data: WideTensor["data"]): WideDtype {
  if (data instanceof Float32Array) return "F32";
  if (data instanceof Int32Array) return "I32";
  if (data instanceof BigInt64Array) return "I64";
  if (data instanceof Float64Array) return "F64";
  return "U8";
}

/**
 * Serialises tensors and metadata. The header is padded with spaces to a
 * multiple of 8 bytes so that every tensor starts aligned.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeSafetensors, encodeSafetensors } from "./safetensors.ts";
 * const bytes = encodeSafetensors(
 *   new Map([["w", { dtype: "F32", shape: [2], data: new Float32Array([1, 2]) }]]),
 *   { step: "10" },
 * );
 * const { tensors, metadata } = decodeSafetensors(bytes, "memory");
 * assert.deepEqual(tensors.get("w")?.data, Float32Array.of(1, 2));
 * assert.equal(metadata.step, "10");
 * ```
 */
export function encodeSafetensors(
  tensors: ReadonlyMap<string, WideTensor>,
  metadata: Record<string, string> = {},
): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, tensor] of tensors) {
    const count = tensor.shape.reduce((a, b) => a * b, 1);
    if (count !== tensor.data.length) {
      throw new Error(
        `tensor ${name}: shape [${tensor.shape}] holds ${count} values, data has ${tensor.data.length}`,
      );
    }
    if (dtypeOf(tensor.data) !== tensor.dtype) {
      throw new Error(
        `tensor ${name}: dtype ${tensor.dtype} does not match its data`,
      );
    }
    const end = offset + tensor.data.byteLength;
    header[name] = {
      dtype: tensor.dtype,
      shape: tensor.shape,
      data_offsets: [offset, end],
    };
    offset = end;
  }
  let json = JSON.stringify(header);
  json += " ".repeat((8 - (new TextEncoder().encode(json).length % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let position = 8 + headerBytes.length;
  for (const tensor of tensors.values()) {
    out.set(
      new Uint8Array(
        tensor.data.buffer,
        tensor.data.byteOffset,
        tensor.data.byteLength,
      ),
      position,
    );
    position += tensor.data.byteLength;
  }
  return out;
}

function isShape(value: unknown): value is number[] {
  return Array.isArray(value) &&
    value.every((d) => Number.isSafeInteger(d) && d >= 0);
}

/**
 * Parses and checks a safetensors file held in memory. `source` (a file
 * name) starts every error message.
 */
export function decodeSafetensors(
  bytes: Uint8Array,
  source: string,
): Safetensors {
  return decode(bytes, source, ["F32", "I32", "U8"]) as Safetensors;
}

/**
 * {@link decodeSafetensors} for files of any {@link WideDtype}, such as
 * PyTorch state dicts.
 */
export function decodeWideSafetensors(
  bytes: Uint8Array,
  source: string,
): Safetensors<WideTensor> {
  return decode(bytes, source, Object.keys(ARRAY_OF) as WideDtype[]);
}

function decode(
  bytes: Uint8Array,
  source: string,
  dtypes: readonly WideDtype[],
): Safetensors<WideTensor> {
  const fail = (why: string): never => {
    throw new Error(`${source}: not a valid safetensors file: ${why}`);
  };
  if (bytes.length < 8) {
    fail(`${bytes.length} bytes is too short for the header length`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getBigUint64(0, true);
  if (headerLength > BigInt(Math.min(MAX_HEADER_BYTES, bytes.length - 8))) {
    fail(
      `header length ${headerLength} runs past the end of the ${bytes.length}-byte file`,
    );
  }
  const dataStart = 8 + Number(headerLength);
  let header: unknown;
  try {
    header = JSON.parse(
      new TextDecoder("utf-8", { fatal: true }).decode(
        bytes.subarray(8, dataStart),
      ),
    );
  } catch (error) {
    fail(
      `header is not JSON (${error instanceof Error ? error.message : error})`,
    );
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) {
    fail("header is not a JSON object");
  }
  const dataLength = bytes.length - dataStart;
  const tensors = new Map<string, WideTensor>();
  const ranges: [begin: number, end: number, name: string][] = [];
  let metadata: Record<string, string> = {};
  for (
    const [name, entry] of Object.entries(header as Record<string, unknown>)
  ) {
    if (name === "__metadata__") {
      const ok = typeof entry === "object" && entry !== null &&
        Object.values(entry).every((v) => typeof v === "string");
      if (!ok) fail("__metadata__ must map strings to strings");
      metadata = entry as Record<string, string>;
      continue;
    }
    const { dtype, shape, data_offsets: offsets } = (entry ?? {}) as Record<
      string,
      unknown
    >;
    if (!dtypes.includes(dtype as WideDtype)) {
      fail(
        `tensor ${name} has dtype ${JSON.stringify(dtype)}; genwasm reads ${
          dtypes.slice(0, -1).join(", ")
        } and ${dtypes.at(-1)}`,
      );
    }
    if (!isShape(shape)) {
      fail(
        `tensor ${name} has shape ${JSON.stringify(shape)}`,
      );
    }
    if (!isShape(offsets) || offsets.length !== 2 || offsets[0] > offsets[1]) {
      fail(`tensor ${name} has data_offsets ${JSON.stringify(offsets)}`);
    }
    const [begin, end] = offsets as number[];
    ranges.push([begin, end, name]);
    if (end > dataLength) {
      fail(
        `tensor ${name} ends at byte ${end} of a ${dataLength}-byte data section`,
      );
    }
    const width = BYTES_PER_ELEMENT[dtype as WideDtype];
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    if (count * width !== end - begin) {
      fail(
        `tensor ${name}: shape [${shape}] needs ${
          count * width
        } bytes, offsets give ${end - begin}`,
      );
    }
    // Copy out, so the tensor is aligned and owns its memory.
    const raw = bytes.slice(dataStart + begin, dataStart + end).buffer;
    const data = new ARRAY_OF[dtype as WideDtype](raw);
    tensors.set(name, {
      dtype: dtype as WideDtype,
      shape: shape as number[],
      data,
    });
  }
  // As the reference implementation does: the tensors must tile the data
  // section exactly (no gaps, no overlaps, no trailing bytes).
  ranges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let covered = 0;
  for (const [begin, end, name] of ranges) {
    if (begin !== covered) {
      fail(
        `tensor ${name} starts at byte ${begin} of the data section, expected ${covered} (a gap or an overlap)`,
      );
    }
    covered = end;
  }
  if (covered !== dataLength) {
    fail(
      `the tensors cover ${covered} of the ${dataLength} bytes after the header (trailing bytes)`,
    );
  }
  return { tensors, metadata };
}
