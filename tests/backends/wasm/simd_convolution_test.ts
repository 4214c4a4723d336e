/**
 * The SIMD convolution microkernels (backends/wasm/simd/convolution.ts)
 * against a plain loop over the definition, on their own heap: every
 * position remainder and lane width, with and without bias and ReLU, on the
 * calling thread alone and with two pool workers.
 */
import assert from "node:assert/strict";
import { convolution } from "../../../backends/wasm/simd/convolution.ts";
import type { PaddedConvShape } from "../../../backends/wasm/simd/shape.ts";
import { buildSimdKernels } from "../../../backends/wasm/simd/kernels.ts";
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
          let total = bias ? bias[co] : 0;
          for (let kh = 0; kh < s.filterHeight; kh++) {
            for (let kw = 0; kw < s.filterWidth; kw++) {
              for (let ci = 0; ci < s.inChannels; ci++) {
                const ih = oh * s.strideHeight + kh;
                const iw = ow * s.strideWidth + kw;
                total += xp[
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
            relu ? Math.max(total, 0) : total;
        }
      }
    }
  }
  return y;
}

const CASES: [string, PaddedConvShape, boolean, boolean][] = [
  [
    "3x3 stride 1, 7 -> 12 channels, 11 wide, bias and ReLU",
    {
      batch: 2,
      paddedHeight: 6,
      paddedWidth: 13,
      inChannels: 7,
      outHeight: 4,
      outWidth: 11,
      outChannels: 12,
      filterHeight: 3,
      filterWidth: 3,
      strideHeight: 1,
      strideWidth: 1,
    },
    true,
    true,
  ],
  [
    "4x3 stride 2x1, 3 -> 8 channels, no bias",
    {
      batch: 3,
      paddedHeight: 9,
      paddedWidth: 10,
      inChannels: 3,
      outHeight: 3,
      outWidth: 8,
      outChannels: 8,
      filterHeight: 4,
      filterWidth: 3,
      strideHeight: 2,
      strideWidth: 1,
    },
    false,
    false,
  ],
  [
    "1x1, 5 -> 4 channels, bias",
    {
      batch: 2,
      paddedHeight: 3,
      paddedWidth: 5,
      inChannels: 5,
      outHeight: 3,
      outWidth: 5,
      outChannels: 4,
      filterHeight: 1,
      filterWidth: 1,
      strideHeight: 1,
      strideWidth: 1,
    },
    true,
    false,
  ],
];

// Where the engine writes its worker scripts too.
const cacheDir = defaultCacheDir();

for (const threads of [1, 3]) {
  for (const [name, shape, withBias, relu] of CASES) {
    Deno.test(`SIMD convolution, ${name}, ${threads} thread${threads > 1 ? "s" : ""}: matches the definition`, async () => {
      const memory = new WebAssembly.Memory(
        threads > 1
          ? { initial: 1, maximum: 16, shared: true }
          : { initial: 1 },
      );
      const kernels = await buildSimdKernels(memory, threads, cacheDir);
      assert.ok(kernels, "the kernels must build where SIMD runs");
      const rng = new Rng(shape.inChannels + 100);
      const sizes = {
        xp: shape.batch * shape.paddedHeight * shape.paddedWidth *
          shape.inChannels,
        w: shape.filterHeight * shape.filterWidth * shape.inChannels *
          shape.outChannels,
        bias: shape.outChannels,
        y: shape.batch * shape.outHeight * shape.outWidth * shape.outChannels,
      };
      const xp = rng.uniform(sizes.xp, -1, 1);
      const w = rng.uniform(sizes.w, -1, 1);
      const bias = withBias ? rng.uniform(sizes.bias, -1, 1) : undefined;
      // Laid out from float 4 on: address 0 means "no bias".
      const at = { xp: 4, w: 4 + sizes.xp, bias: 4 + sizes.xp + sizes.w };
      const yAt = at.bias + sizes.bias;
      const heap = new Float32Array(memory.buffer);
      heap.set(xp, at.xp);
      heap.set(w, at.w);
      if (bias) heap.set(bias, at.bias);
      heap.fill(Number.NaN, yAt, yAt + sizes.y);
      try {
        convolution(
          kernels.pool,
          4 * at.xp,
          4 * at.w,
          bias ? 4 * at.bias : 0,
          4 * yAt,
          relu,
          shape,
        );
      } finally {
        kernels.pool.close();
      }
      const expected = reference(xp, w, bias, relu, shape);
      for (let i = 0; i < sizes.y; i++) {
        assert.ok(
          Math.abs(heap[yAt + i] - expected[i]) < 1e-4,
          `y[${i}] = ${heap[yAt + i]}, expected ${expected[i]}`,
        );
      }
    });
  }
}
