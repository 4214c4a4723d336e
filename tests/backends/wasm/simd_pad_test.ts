/**
 * The threaded zero padding (backends/wasm/simd/pad.ts) on its own heap
 * against the definition, on 1 and 3 threads (so shares that start and end
 * inside an image and inside the padding rows), and the guard after the
 * output left untouched; its space-to-depth variant likewise.
 */
import assert from "node:assert/strict";
import { padSpatial, spaceToDepth } from "../../../backends/wasm/simd/pad.ts";
import type { SimdKernels } from "../../../backends/wasm/simd/kernels.ts";
import { buildSimdKernels } from "../../../backends/wasm/simd/node_kernels.ts";
import { defaultCacheDir } from "../../../backends/wasm/_loader.ts";
import { Rng } from "../../_helpers.ts";

/** Kernels on a heap of their own (shared where `threads` > 1), closed after `fn`. */
async function withKernels(
  threads: number,
  fn: (kernels: SimdKernels, memory: WebAssembly.Memory) => Promise<void>,
): Promise<void> {
  const memory = new WebAssembly.Memory(
    threads > 1 ? { initial: 4, maximum: 16, shared: true } : { initial: 4 },
  );
  const kernels = await buildSimdKernels(memory, threads, defaultCacheDir());
  assert.ok(kernels, "the kernels must build where SIMD runs");
  try {
    await fn(kernels, memory);
  } finally {
    kernels.pool.close();
  }
}

/**
 * Puts `x` at the heap's start, runs `copy` into the `size` floats after
 * it, and checks each against `expected(i)` (the x index it copies, or -1
 * for a zero) and the guard after them left as it was.
 */
function checkCopy(
  memory: WebAssembly.Memory,
  x: Float32Array,
  size: number,
  copy: (dstBytes: number) => void,
  expected: (i: number) => number,
): void {
  const dstAt = x.length;
  const heap = new Float32Array(memory.buffer);
  heap.set(x, 0);
  heap.fill(NaN, dstAt, dstAt + size);
  heap.fill(7, dstAt + size, dstAt + size + 16);
  copy(4 * dstAt);
  for (let i = 0; i < size; i++) {
    const from = expected(i);
    assert.equal(heap[dstAt + i], from < 0 ? 0 : x[from], `element ${i}`);
  }
  assert.ok(
    heap.subarray(dstAt + size, dstAt + size + 16).every((v) => v === 7),
  );
}

for (const threads of [1, 3]) {
  Deno.test(`padSpatial on ${threads} thread${threads > 1 ? "s" : ""} zero-pads height and width`, async (t) => {
    await withKernels(threads, async (kernels, memory) => {
      const cases = [
        // [batch, height, width, channels, top, bottom, left, right]
        [2, 5, 4, 3, 1, 1, 1, 1],
        [3, 7, 7, 8, 1, 2, 0, 3],
        [1, 4, 6, 4, 0, 0, 2, 0],
        [5, 3, 2, 1, 2, 0, 0, 0],
      ];
      for (const [n, h, w, c, top, bottom, left, right] of cases) {
        await t.step(
          `${n}x${h}x${w}x${c} by ${[top, bottom, left, right]}`,
          () => {
            const x = new Rng(h * w + c).uniform(n * h * w * c, 1, 2);
            const [ph, pw] = [top + h + bottom, left + w + right];
            checkCopy(
              memory,
              x,
              n * ph * pw * c,
              (dst) =>
                padSpatial(kernels.pool, 0, dst, [n, h, w, c], {
                  top,
                  bottom,
                  left,
                  right,
                }),
              (i) => {
                const ch = i % c, col = Math.floor(i / c) % pw;
                const row = Math.floor(i / (c * pw)) % ph;
                const image = Math.floor(i / (c * pw * ph));
                const [y, xx] = [row - top, col - left];
                return y >= 0 && y < h && xx >= 0 && xx < w
                  ? ((image * h + y) * w + xx) * c + ch
                  : -1;
              },
            );
          },
        );
      }
    });
  });
}

for (const threads of [1, 3]) {
  Deno.test(`spaceToDepth on ${threads} thread${threads > 1 ? "s" : ""} writes x's blocks as channels, zeros outside x`, async (t) => {
    await withKernels(threads, async (kernels, memory) => {
      const cases = [
        // [batch, height, width, channels, block rows, block columns, top,
        // left, out height, out width]
        // The GANs' 14x14 'same' 4x4 stride 2, blocks for F(3x3, 2x2) tiles.
        [2, 14, 14, 4, 2, 2, 1, 1, 10, 10],
        // Uneven blocks, odd sizes, edge blocks cut on both sides.
        [3, 7, 9, 2, 2, 3, 1, 2, 5, 5],
        // No padding, blocks past x, one row of blocks.
        [1, 4, 6, 3, 1, 2, 0, 0, 6, 4],
        // Fewer blocks than x holds: x's last rows and columns unread.
        [2, 9, 9, 1, 3, 3, 0, 0, 2, 2],
      ];
      for (const [n, h, w, c, br, bc, top, left, oh, ow] of cases) {
        const name =
          `${n}x${h}x${w}x${c} in ${br}x${bc} blocks from ${top},${left} -> ${oh}x${ow}`;
        await t.step(name, () => {
          const x = new Rng(h * w + c).uniform(n * h * w * c, 1, 2);
          const depth = br * bc * c;
          checkCopy(
            memory,
            x,
            n * oh * ow * depth,
            (dst) =>
              spaceToDepth(kernels.pool, 0, dst, [n, h, w, c], {
                blockRows: br,
                blockCols: bc,
                top,
                left,
                outHeight: oh,
                outWidth: ow,
              }),
            (i) => {
              const ch = i % c, rx = Math.floor(i / c) % bc;
              const ry = Math.floor(i / (c * bc)) % br;
              const col = Math.floor(i / depth) % ow;
              const row = Math.floor(i / (depth * ow)) % oh;
              const image = Math.floor(i / (depth * ow * oh));
              const [y, xx] = [row * br + ry - top, col * bc + rx - left];
              return y >= 0 && y < h && xx >= 0 && xx < w
                ? ((image * h + y) * w + xx) * c + ch
                : -1;
            },
          );
        });
      }
    });
  });
}

Deno.test("spaceToDepth refuses empty blocks and negative padding", async () => {
  await withKernels(1, (kernels) => {
    const geometry = {
      blockRows: 2,
      blockCols: 2,
      top: -1,
      left: 0,
      outHeight: 2,
      outWidth: 2,
    };
    assert.throws(
      () => spaceToDepth(kernels.pool, 0, 64, [1, 4, 4, 1], geometry),
      /spaceToDepth takes blocks >= 1 and padding >= 0, got .*"top":-1/,
    );
    assert.throws(
      () =>
        spaceToDepth(kernels.pool, 0, 64, [1, 4, 4, 1], {
          ...geometry,
          top: 0,
          blockCols: 0,
        }),
      /blocks >= 1/,
    );
    return Promise.resolve();
  });
});
