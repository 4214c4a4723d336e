/**
 * The threaded zero padding (backends/wasm/simd/pad.ts) on its own heap
 * against the definition, on 1 and 3 threads (so shares that start and end
 * inside an image and inside the padding rows), and the guard after the
 * output left untouched.
 */
import assert from "node:assert/strict";
import { padSpatial } from "../../../backends/wasm/simd/pad.ts";
import { buildSimdKernels } from "../../../backends/wasm/simd/kernels.ts";
import { defaultCacheDir } from "../../../backends/wasm/_loader.ts";
import { Rng } from "../../_helpers.ts";

for (const threads of [1, 3]) {
  Deno.test(`padSpatial on ${threads} thread${threads > 1 ? "s" : ""} zero-pads height and width`, async (t) => {
    const memory = new WebAssembly.Memory(
      threads > 1 ? { initial: 4, maximum: 16, shared: true } : { initial: 4 },
    );
    const kernels = await buildSimdKernels(memory, threads, defaultCacheDir());
    assert.ok(kernels, "the kernels must build where SIMD runs");
    const cases = [
      // [batch, height, width, channels, top, bottom, left, right]
      [2, 5, 4, 3, 1, 1, 1, 1],
      [3, 7, 7, 8, 1, 2, 0, 3],
      [1, 4, 6, 4, 0, 0, 2, 0],
      [5, 3, 2, 1, 2, 0, 0, 0],
    ];
    try {
      for (const [n, h, w, c, top, bottom, left, right] of cases) {
        await t.step(
          `${n}x${h}x${w}x${c} by ${[top, bottom, left, right]}`,
          () => {
            const x = new Rng(h * w + c).uniform(n * h * w * c, 1, 2);
            const [ph, pw] = [top + h + bottom, left + w + right];
            const size = n * ph * pw * c, dstAt = x.length;
            const heap = new Float32Array(memory.buffer);
            heap.set(x, 0);
            heap.fill(NaN, dstAt, dstAt + size);
            heap.fill(7, dstAt + size, dstAt + size + 16);
            padSpatial(kernels.pool, 0, 4 * dstAt, [n, h, w, c], {
              top,
              bottom,
              left,
              right,
            });
            for (let i = 0; i < size; i++) {
              const ch = i % c, col = Math.floor(i / c) % pw;
              const row = Math.floor(i / (c * pw)) % ph;
              const image = Math.floor(i / (c * pw * ph));
              const [y, xx] = [row - top, col - left];
              const expected = y >= 0 && y < h && xx >= 0 && xx < w
                ? x[((image * h + y) * w + xx) * c + ch]
                : 0;
              assert.equal(heap[dstAt + i], expected, `element ${i}`);
            }
            assert.ok(
              heap.subarray(dstAt + size, dstAt + size + 16).every((v) =>
                v === 7
              ),
            );
          },
        );
      }
    } finally {
      kernels.pool.close();
    }
  });
}
