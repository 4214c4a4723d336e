/**
 * A fake Fashion-MNIST folder for tests: gzipped IDX files written to a temp
 * folder under Debian's file names.
 *
 * @module
 */
import { join } from "node:path";
import { FASHION_MNIST_DIR_VARIABLE } from "../../data/fashion_mnist.ts";

/** The bytes of an unsigned-byte IDX file holding `values` with `shape`. */
export function idxBytes(
  shape: number[],
  values: ArrayLike<number>,
): Uint8Array {
  const header = new Uint8Array(4 + 4 * shape.length);
  const view = new DataView(header.buffer);
  header.set([0, 0, 0x08, shape.length]);
  shape.forEach((size, axis) => view.setUint32(4 + 4 * axis, size, false));
  const bytes = new Uint8Array(header.length + values.length);
  bytes.set(header);
  bytes.set(Uint8Array.from(values), header.length);
  return bytes;
}

/** Gzips `bytes` (CompressionStream). */
export async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream()
    .pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Images in the fake training and test files. */
export const TRAIN_COUNT = 5;
export const TEST_COUNT = 3;

/** Pixel `index` of image `image`: a pattern that differs per image. */
export const pixel = (image: number, index: number) =>
  (image * 37 + index) % 256;

/**
 * A fake Fashion-MNIST folder: the four files under Debian's names, gzipped,
 * with a few 28 x 28 images each. `plain` lists files to write un-gzipped.
 */
export async function fakeFashionFolder(plain: string[] = []): Promise<string> {
  const folder = await Deno.makeTempDir({ prefix: "genwasm_fashion_" });
  const split = async (prefix: string, count: number, offset: number) => {
    const images = Array.from(
      { length: count * 784 },
      (_, index) => pixel(offset + Math.floor(index / 784), index % 784),
    );
    const labels = Array.from(
      { length: count },
      (_, index) => (offset + index) % 10,
    );
    const files: [string, Uint8Array][] = [
      [`${prefix}-images-idx3-ubyte`, idxBytes([count, 28, 28], images)],
      [`${prefix}-labels-idx1-ubyte`, idxBytes([count], labels)],
    ];
    for (const [name, bytes] of files) {
      if (plain.includes(name)) await Deno.writeFile(join(folder, name), bytes);
      else await Deno.writeFile(join(folder, `${name}.gz`), await gzip(bytes));
    }
  };
  await split("train", TRAIN_COUNT, 0);
  await split("t10k", TEST_COUNT, 100);
  return folder;
}

/** Runs `body` with `$GENWASM_FASHION_DIR` set to `value`, then restores it. */
export async function withFashionDir(
  value: string,
  body: () => Promise<void>,
): Promise<void> {
  const saved = Deno.env.get(FASHION_MNIST_DIR_VARIABLE);
  Deno.env.set(FASHION_MNIST_DIR_VARIABLE, value);
  try {
    await body();
  } finally {
    if (saved === undefined) Deno.env.delete(FASHION_MNIST_DIR_VARIABLE);
    else Deno.env.set(FASHION_MNIST_DIR_VARIABLE, saved);
  }
}
