/**
 * The SIMD filter-gradient microkernels (backends/wasm/simd) against a
 * plain loop over the definition, on their own heap, for every channel
 * remainder and lane width they handle: on the calling thread alone (plain
 * memory), and shared with two pool workers (shared memory).
 */
import assert from "node:assert/strict";
import { filterGradient } from "../../../backends/wasm/simd/filter_gradient.ts";
import type { PaddedConvShape } from "../../../backends/wasm/simd/shape.ts";
import { buildSimdKernels } from "../../../backends/wasm/simd/node_kernels.ts";
import { defaultCacheDir } from "../../../backends/wasm/_loader.ts";
import { Rng } from "../../_helpers.ts";

function reference(
  xp: Float32Array,
  dy: Float32Array,
  s: PaddedConvShape,
): Float64Array {
  const dw = new Float64Array(
    s.filterHeight * s.filterWidth * s.inChannels * s.outChannels,
  );
  for (let n = 0; n < s.batch; n++) {
    for (let oh = 0; oh < s.outHeight; oh++) {
      for (let ow = 0; ow < s.outWidth; ow++) {
        for (let kh = 0; kh < s.filterHeight; kh++) {
          for (let kw = 0; kw < s.filterWidth; kw++) {
            const ih = oh * s.strideHeight + kh, iw = ow * s.strideWidth + kw;
            for (let ci = 0; ci < s.inChannels; ci++) {
              const x = xp[
                ((n * s.paddedHeight + ih) * s.paddedWidth + iw) *
                  s.inChannels + ci
              ];
              for (let co = 0; co < s.outChannels; co++) {
                dw[
                  ((kh * s.filterWidth + kw) * s.inChannels + ci) *
                    s.outChannels + co
                ] += x *
                  dy[
                    ((n * s.outHeight + oh) * s.outWidth + ow) *
                      s.outChannels + co
                  ];
              }
            }
          }
        }
      }
    }
  }
  return dw;
}

const CASES: [string, PaddedConvShape][] = [
  ["3x3 stride 1, 7 -> 12 channels", {
    batch: 2,
    paddedHeight: 7,
    paddedWidth: 6,
    inChannels: 7,
    outHeight: 5,
    outWidth: 4,
    outChannels: 12,
    filterHeight: 3,
    filterWidth: 3,
    strideHeight: 1,
    strideWidth: 1,
  }],
  ["4x4 stride 2, 13 -> 8 channels", {
    batch: 3,
    paddedHeight: 10,
    paddedWidth: 10,
    inChannels: 13,
    outHeight: 4,
    outWidth: 4,
    outChannels: 8,
    filterHeight: 4,
    filterWidth: 4,
    strideHeight: 2,
    strideWidth: 2,
  }],
  ["1x1, 2 -> 4 channels", {
    batch: 2,
    paddedHeight: 3,
    paddedWidth: 5,
    inChannels: 2,
    outHeight: 3,
    outWidth: 5,
    outChannels: 4,
    filterHeight: 1,
    filterWidth: 1,
    strideHeight: 1,
    strideWidth: 1,
  }],
];

// Where the engine writes its worker scripts too.
const cacheDir = defaultCacheDir();

for (const threads of [1, 3]) {
  for (const [name, shape] of CASES) {
    Deno.test(`SIMD filter gradient, ${name}, ${threads} thread${threads > 1 ? "s (shared memory)" : " (plain memory)"}: matches the definition`, async () => {
      const memory = new WebAssembly.Memory(
        threads > 1
          ? { initial: 1, maximum: 16, shared: true }
          : { initial: 1 },
      );
      const kernels = await buildSimdKernels(
        memory,
        threads,
        cacheDir,
      );
      assert.ok(kernels, "the kernels must build where SIMD runs");
      assert.equal(kernels.pool.threads, threads);
      const rng = new Rng(shape.inChannels);
      const xpSize = shape.batch * shape.paddedHeight * shape.paddedWidth *
        shape.inChannels;
      const dySize = shape.batch * shape.outHeight * shape.outWidth *
        shape.outChannels;
      const dwSize = shape.filterHeight * shape.filterWidth *
        shape.inChannels * shape.outChannels;
      const heap = new Float32Array(memory.buffer);
      const xp = Float32Array.from(rng.uniform(xpSize, -1, 1));
      const dy = Float32Array.from(rng.uniform(dySize, -1, 1));
      heap.set(xp, 0);
      heap.set(dy, xpSize);
      const dwAt = xpSize + dySize;
      heap.fill(0, dwAt, dwAt + dwSize);
      try {
        filterGradient(kernels.pool, 0, 4 * xpSize, 4 * dwAt, shape);
      } finally {
        kernels.pool.close();
      }
      const expected = reference(xp, dy, shape);
      for (let i = 0; i < dwSize; i++) {
        assert.ok(
          Math.abs(heap[dwAt + i] - expected[i]) < 1e-4,
          `dW[${i}] = ${heap[dwAt + i]}, expected ${expected[i]}`,
        );
      }
    });
  }
}
