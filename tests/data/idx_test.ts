import assert from "node:assert/strict";
import { join } from "node:path";
import { type IdxArray, parseIdx, readIdx } from "../../data/idx.ts";

/** The bytes of an unsigned-byte IDX file holding `values` with `shape`. */
function idxBytes(shape: number[], values: ArrayLike<number>): Uint8Array {
  const header = new Uint8Array(4 + 4 * shape.length);
  const view = new DataView(header.buffer);
  header.set([0, 0, 0x08, shape.length]);
  shape.forEach((size, axis) => view.setUint32(4 + 4 * axis, size, false));
  const bytes = new Uint8Array(header.length + values.length);
  bytes.set(header);
  bytes.set(Uint8Array.from(values), header.length);
  return bytes;
}

async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream()
    .pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

async function withFile(
  name: string,
  bytes: Uint8Array,
  body: (path: string) => Promise<void>,
): Promise<void> {
  const folder = await Deno.makeTempDir({ prefix: "genwasm_idx_" });
  try {
    const path = join(folder, name);
    await Deno.writeFile(path, bytes);
    await body(path);
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
}

/** Asserts `promise` rejects with a message that names `path` and matches `pattern`. */
async function rejectsNaming(
  promise: Promise<IdxArray>,
  path: string,
  pattern: RegExp,
): Promise<void> {
  await assert.rejects(promise, (error: Error) => {
    assert.ok(
      error.message.startsWith(`${path}: `),
      `"${error.message}" should start with the file name`,
    );
    assert.match(error.message, pattern);
    return true;
  });
}

const SHAPE = [3, 2, 4];
const VALUES = Array.from({ length: 24 }, (_, index) => (index * 11) % 256);

Deno.test("parseIdx() reads the shape and values of a valid array", () => {
  const { shape, data } = parseIdx(idxBytes(SHAPE, VALUES), "valid.idx");
  assert.deepEqual(shape, SHAPE);
  assert.deepEqual([...data], VALUES);
});

Deno.test("parseIdx() accepts a shape matching the expectation, null as any size", () => {
  const { shape } = parseIdx(idxBytes(SHAPE, VALUES), "valid.idx", {
    shape: [null, 2, 4],
  });
  assert.deepEqual(shape, SHAPE);
});

Deno.test("readIdx() round-trips a file written to disk", async () => {
  await withFile("images-idx3-ubyte", idxBytes(SHAPE, VALUES), async (path) => {
    const { shape, data } = await readIdx(path);
    assert.deepEqual(shape, SHAPE);
    assert.deepEqual([...data], VALUES);
  });
});

Deno.test("readIdx() reads a gzipped file", async () => {
  const bytes = await gzip(idxBytes(SHAPE, VALUES));
  await withFile("images-idx3-ubyte.gz", bytes, async (path) => {
    const { shape, data } = await readIdx(path, { shape: [3, 2, 4] });
    assert.deepEqual(shape, SHAPE);
    assert.deepEqual([...data], VALUES);
  });
});

Deno.test("readIdx() rejects a bad magic number, naming the file", async () => {
  const bytes = idxBytes(SHAPE, VALUES);
  bytes[0] = 0x42;
  await withFile("bad-magic", bytes, async (path) => {
    await rejectsNaming(
      readIdx(path),
      path,
      /not an IDX file: starts with 42 00 08 03/,
    );
  });
});

Deno.test("readIdx() rejects a value type other than unsigned byte, naming the file", async () => {
  const bytes = idxBytes(SHAPE, VALUES);
  bytes[2] = 0x0d;
  await withFile("floats", bytes, async (path) => {
    await rejectsNaming(
      readIdx(path),
      path,
      /0x0d \(32-bit float\) is not supported/,
    );
  });
});

Deno.test("readIdx() rejects dimensions other than expected, naming the file", async () => {
  await withFile("wrong-dims", idxBytes(SHAPE, VALUES), async (path) => {
    await rejectsNaming(
      readIdx(path, { shape: [null, 28, 28] }),
      path,
      /shape \[3, 2, 4\] does not match the expected \[any, 28, 28\]/,
    );
    await rejectsNaming(
      readIdx(path, { shape: [null] }),
      path,
      /does not match the expected \[any\]/,
    );
  });
});

Deno.test("readIdx() rejects a file truncated in the data, naming the file", async () => {
  const bytes = idxBytes(SHAPE, VALUES).subarray(0, 4 + 12 + 20);
  await withFile("truncated-data", bytes, async (path) => {
    await rejectsNaming(
      readIdx(path),
      path,
      /truncated: .* needs 24 data bytes, file has 20/,
    );
  });
});

Deno.test("readIdx() rejects a file truncated in the header, naming the file", async () => {
  for (const length of [0, 3, 9]) {
    const bytes = idxBytes(SHAPE, VALUES).subarray(0, length);
    await withFile(`truncated-${length}`, bytes, async (path) => {
      await rejectsNaming(readIdx(path), path, /too short|truncated/);
    });
  }
});

Deno.test("readIdx() rejects trailing bytes, naming the file", async () => {
  const bytes = idxBytes(SHAPE, [...VALUES, 1, 2]);
  await withFile("trailing", bytes, async (path) => {
    await rejectsNaming(readIdx(path), path, /2 bytes of trailing data/);
  });
});

Deno.test("readIdx() rejects a truncated gzip file, naming the file", async () => {
  const bytes = await gzip(idxBytes([100, 100], new Uint8Array(10000).fill(7)));
  await withFile(
    "cut.gz",
    bytes.subarray(0, bytes.length - 10),
    async (path) => {
      await rejectsNaming(readIdx(path), path, /cannot decompress gzip data/);
    },
  );
});

Deno.test("readIdx() names a missing file", async () => {
  const path = join(Deno.cwd(), "no-such-dir", "missing-idx1-ubyte");
  await rejectsNaming(readIdx(path), path, /no such file/);
});
