/**
 * The SIMD narrow-convolution microkernels (backends/wasm/simd) against a
 * plain loop over the definition, on their own heap, for every output
 * channel count up to 8 (one block of 1-4, or blocks of 4 and a remainder),
 * strides 1 and 2, with and without bias and ReLU: on the calling thread
 * alone (plain memory), and shared with two pool workers (shared memory).
 */
import assert from "node:assert/strict";
import {
  narrowConvolution,
  packNarrowFilter,
} from "../../../backends/wasm/simd/narrow_convolution.ts";
import type { PaddedConvShape } from "../../../backends/wasm/simd/shape.ts";
import { buildSimdKernels } from "../../../backends/wasm/simd/node_kernels.ts";
import { defaultCacheDir } from "../../../backends/wasm/_loader.ts";
import { Rng } from "../../_helpers.ts";

function reference(
  xp: Float32Array,
  w: Float32Array,
  bias: Float32Array | undefined,
  relu: boolean,
  s: PaddedConvShape,
): Float64Array {
  const y = new Float64Array(
    s.batch * s.outHeight * s.outWidth * s.outChannels,
  );
  for (let n = 0; n < s.batch; n++) {
    for (let oh = 0; oh < s.outHeight; oh++) {
      for (let ow = 0; ow < s.outWidth; ow++) {
        for (let co = 0; co < s.outChannels; co++) {
          let sum = bias ? bias[co] : 0;
          for (let kh = 0; kh < s.filterHeight; kh++) {
            for (let kw = 0; kw < s.filterWidth; kw++) {
              const ih = oh * s.strideHeight + kh;
              const iw = ow * s.strideWidth + kw;
              for (let ci = 0; ci < s.inChannels; ci++) {
                sum += xp[
                  ((n * s.paddedHeight + ih) * s.paddedWidth + iw) *
                    s.inChannels + ci
                ] *
                  w[
                    ((kh * s.filterWidth + kw) * s.inChannels + ci) *
                      s.outChannels + co
                  ];
              }
            }
          }
          y[((n * s.outHeight + oh) * s.outWidth + ow) * s.outChannels + co] =
            relu ? Math.max(sum, 0) : sum;
        }
      }
    }
  }
  return y;
}

const shape = (
  inChannels: number,
  outChannels: number,
  stride: number,
): PaddedConvShape => ({
  batch: 2,
  paddedHeight: 9,
  paddedWidth: 10,
  inChannels,
  outHeight: stride === 1 ? 7 : 4,
  outWidth: stride === 1 ? 8 : 4,
  outChannels,
  filterHeight: 3,
  filterWidth: 3,
  strideHeight: stride,
  strideWidth: stride,
});

// Where the engine writes its worker scripts too.
const cacheDir = defaultCacheDir();

for (const threads of [1, 3]) {
  Deno.test(`SIMD narrow convolution, 1-8 output channels, ${threads} thread${threads > 1 ? "s (shared memory)" : " (plain memory)"}: matches the definition`, async (t) => {
    const memory = new WebAssembly.Memory(
      threads > 1 ? { initial: 4, maximum: 16, shared: true } : { initial: 4 },
    );
    const kernels = await buildSimdKernels(memory, threads, cacheDir);
    assert.ok(kernels, "the kernels must build where SIMD runs");
    assert.equal(kernels.pool.threads, threads);
    try {
      for (let outChannels = 1; outChannels <= 8; outChannels++) {
        const inChannels = [4, 8, 20][outChannels % 3];
        const stride = 1 + (outChannels % 2);
        const withBias = outChannels % 3 !== 1;
        const relu = outChannels % 4 < 2;
        const s = shape(inChannels, outChannels, stride);
        const name = `${inChannels} -> ${outChannels}, stride ${stride}` +
          `${withBias ? ", bias" : ""}${relu ? ", ReLU" : ""}`;
        await t.step(name, () => {
          const rng = new Rng(outChannels);
          const xpSize = s.batch * s.paddedHeight * s.paddedWidth *
            inChannels;
          const wSize = 9 * inChannels * outChannels;
          const ySize = s.batch * s.outHeight * s.outWidth * outChannels;
          const xp = Float32Array.from(rng.uniform(xpSize, -1, 1));
          const w = Float32Array.from(rng.uniform(wSize, -1, 1));
          const bias = withBias
            ? Float32Array.from(rng.uniform(outChannels, -1, 1))
            : undefined;
          const heap = new Float32Array(memory.buffer);
          const [wAt, biasAt, yAt] = [
            xpSize,
            xpSize + wSize,
            xpSize + wSize + 8,
          ];
          heap.set(xp, 0);
          packNarrowFilter(w, 9, inChannels, outChannels, heap.subarray(wAt));
          if (bias) heap.set(bias, biasAt);
          heap.fill(NaN, yAt, yAt + ySize);
          narrowConvolution(
            kernels.pool,
            0,
            4 * wAt,
            bias ? 4 * biasAt : 0,
            4 * yAt,
            relu,
            s,
          );
          const expected = reference(xp, w, bias, relu, s);
          for (let i = 0; i < ySize; i++) {
            assert.ok(
              Math.abs(heap[yAt + i] - expected[i]) < 1e-4,
              `y[${i}] = ${heap[yAt + i]}, expected ${expected[i]}`,
            );
          }
        });
      }
    } finally {
      kernels.pool.close();
    }
  });
}

Deno.test("packNarrowFilter lays out blocks of 4 output channels, each [tap, input channels / 4, channel, 4 lanes]", () => {
  // 1 tap, 4 input channels, 5 output channels: w[ci][co] = 10 ci + co.
  const w = Float32Array.from(
    { length: 20 },
    (_, i) => 10 * (i / 5 | 0) + i % 5,
  );
  const packed = Array.from(packNarrowFilter(w, 1, 4, 5));
  assert.deepEqual(packed, [
    0,
    10,
    20,
    30,
    1,
    11,
    21,
    31,
    2,
    12,
    22,
    32,
    3,
    13,
    23,
    33, // co 0-3
    4,
    14,
    24,
    34, // co 4
  ]);
});
