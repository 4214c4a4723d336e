/**
 * Winograd convolutions (backends/wasm/simd/winograd.ts), F(2x2, 3x3),
 * F(4x4, 3x3) and F(3x3, 2x2): the matrices against the 1-D definition,
 * the filter transform against hand-computed values; the kernels on their
 * own heap against a float64 loop over the definition (output sizes that
 * leave partial tiles,
 * so partial tiles; enough tiles for several blocks per thread, runs that
 * cross image rows and images; bias and ReLU), on 1 and 3 threads; the
 * filter gradient likewise; and through tfjs, conv2d, fused conv2d and
 * both gradients against the cpu backend.
 */
import assert from "node:assert/strict";
import { tf } from "../../../backends/tf.ts";
import { initEngine } from "../../../backends/engine.ts";
import {
  useWinograd,
  WINOGRAD_MIN_MULTIPLY_ADDS,
  winogradAlgorithmFor,
} from "../../../backends/wasm/kernels/_winograd.ts";
import {
  F2_3,
  F3_2,
  F4_3,
  tileSize,
  WINOGRAD_ALGORITHMS,
  type WinogradAlgorithm,
} from "../../../backends/wasm/simd/winograd_algorithms.ts";
import {
  type OutputLayout,
  packWinogradFilter,
  plainLayout,
  tilesPerBlock,
  winogradConvolution,
  winogradPaddedSize,
  winogradScratchBytes,
  type WinogradShape,
} from "../../../backends/wasm/simd/winograd.ts";
import {
  untransformFilterGradient,
  winogradFilterGradient,
  winogradFilterGradientScratch,
} from "../../../backends/wasm/simd/winograd_filter_gradient.ts";
import type { SimdKernels } from "../../../backends/wasm/simd/kernels.ts";
import { buildSimdKernels } from "../../../backends/wasm/simd/node_kernels.ts";
import { blockedWinograd } from "../../../backends/wasm/kernels/_space_to_depth.ts";
import { defaultCacheDir } from "../../../backends/wasm/_loader.ts";
import {
  assertBackendsAgree,
  assertClose,
  quietCpuBackend,
  Rng,
} from "../../_helpers.ts";

/** y = act(conv(xp, w) + bias), r x r, stride 1, over the padded input, in float64. */
function reference(
  r: number,
  xp: Float32Array,
  w: Float32Array,
  bias: Float32Array | undefined,
  relu: boolean,
  s: WinogradShape,
): Float64Array {
  const y = new Float64Array(
    s.batch * s.outHeight * s.outWidth * s.outChannels,
  );
  for (let n = 0; n < s.batch; n++) {
    for (let oh = 0; oh < s.outHeight; oh++) {
      for (let ow = 0; ow < s.outWidth; ow++) {
        for (let co = 0; co < s.outChannels; co++) {
          let sum = bias ? bias[co] : 0;
          for (let kh = 0; kh < r; kh++) {
            for (let kw = 0; kw < r; kw++) {
              const row = (n * s.paddedHeight + oh + kh) * s.paddedWidth;
              for (let ci = 0; ci < s.inChannels; ci++) {
                sum += xp[(row + ow + kw) * s.inChannels + ci] *
                  w[((kh * r + kw) * s.inChannels + ci) * s.outChannels + co];
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

/** dW[kh, kw, ci, co] = sum xp[n, oh + kh, ow + kw, ci] dy[n, oh, ow, co], in float64. */
function filterGradientReference(
  r: number,
  xp: Float32Array,
  dy: Float32Array,
  s: WinogradShape,
): Float64Array {
  const { inChannels: ci, outChannels: co } = s;
  const dw = new Float64Array(r * r * ci * co);
  for (let n = 0; n < s.batch; n++) {
    for (let oh = 0; oh < s.outHeight; oh++) {
      for (let ow = 0; ow < s.outWidth; ow++) {
        const dyAt = ((n * s.outHeight + oh) * s.outWidth + ow) * co;
        for (let tap = 0; tap < r * r; tap++) {
          const row = n * s.paddedHeight + oh + Math.floor(tap / r);
          const xAt = (row * s.paddedWidth + ow + tap % r) * ci;
          for (let i = 0; i < ci; i++) {
            for (let o = 0; o < co; o++) {
              dw[(tap * ci + i) * co + o] += xp[xAt + i] * dy[dyAt + o];
            }
          }
        }
      }
    }
  }
  return dw;
}

for (const algorithm of WINOGRAD_ALGORITHMS) {
  const { m, r } = algorithm;
  Deno.test(`F(${m}, ${r})'s matrices compute m outputs of an r-tap correlation`, () => {
    const rng = new Rng(m * 10 + r);
    const d = Array.from(rng.uniform(tileSize(algorithm)));
    const g = Array.from(rng.uniform(r));
    const apply = (matrix: readonly (readonly number[])[], v: number[]) =>
      matrix.map((row) => row.reduce((sum, c, k) => sum + c * v[k], 0));
    const gd = apply(algorithm.g, g), bd = apply(algorithm.bt, d);
    const y = apply(algorithm.at, gd.map((v, i) => v * bd[i]));
    for (let i = 0; i < m; i++) {
      let direct = 0;
      for (let k = 0; k < r; k++) direct += d[i + k] * g[k];
      assert.ok(Math.abs(y[i] - direct) < 1e-12, `output ${i}`);
    }
  });
}

Deno.test("packWinogradFilter gives G g G^T, by position, in panels of 8 output channels", async () => {
  // One input channel, 16 output channels; channel 8's filter is 1..9 (row
  // major), the others zero. G g = [1 2 3; 6 7.5 9; 2 2.5 3; 7 8 9], then
  // each row [a b c] -> [a, (a+b+c)/2, (a-b+c)/2, c].
  const memory = new WebAssembly.Memory({ initial: 1 });
  const kernels = await buildSimdKernels(memory, 1, defaultCacheDir());
  assert.ok(kernels, "the kernels must build where SIMD runs");
  try {
    const heap = new Float32Array(memory.buffer);
    const packedAt = 9 * 16;
    for (let tap = 0; tap < 9; tap++) heap[tap * 16 + 8] = tap + 1;
    heap.fill(NaN, packedAt, packedAt + 16 * 16);
    packWinogradFilter(kernels.pool, F2_3, 0, 1, 16, 4 * packedAt);
    const packed = heap.subarray(packedAt, packedAt + 16 * 16);
    const expected = [
      [1, 3, 1, 3],
      [6, 11.25, 3.75, 9],
      [2, 3.75, 1.25, 3],
      [7, 12, 4, 9],
    ].flat();
    // Position p's panels: [p][panel 0: channels 0-7][panel 1: 8-15].
    assert.deepEqual(
      Array.from({ length: 16 }, (_, p) => packed[p * 16 + 8]),
      expected,
    );
    for (let p = 0; p < 16; p++) {
      packed[p * 16 + 8] = 0;
      assert.deepEqual(
        Array.from(packed.subarray(p * 16, p * 16 + 16)),
        new Array(16).fill(0),
      );
    }
  } finally {
    kernels.pool.close();
  }
});

Deno.test("tilesPerBlock keeps a block's V and M within the budget, in rows of 6", () => {
  // 2^16 floats / (16 positions x 128 channels) = 32 tiles, down to 30.
  assert.equal(tilesPerBlock(64, 64), 30);
  // 36 positions: 2^16 / (36 x 128) = 14.2, down to 12.
  assert.equal(tilesPerBlock(64, 64, 36), 12);
  for (const [ci, co] of [[4, 8], [32, 32], [64, 64], [128, 64], [512, 512]]) {
    for (const positions of [16, 36]) {
      const tiles = tilesPerBlock(ci, co, positions);
      assert.equal(tiles % 6, 0);
      assert.ok(tiles >= 6 && tiles <= 96);
      if (tiles > 6) assert.ok(positions * tiles * (ci + co) <= 1 << 16);
    }
  }
});

const cacheDir = defaultCacheDir();

/** One Winograd convolution case on a heap of its own. */
interface WinogradCase {
  algorithm: WinogradAlgorithm;
  batch: number;
  outHeight: number;
  outWidth: number;
  inChannels: number;
  outChannels: number;
  withBias: boolean;
  relu: boolean;
  layout?: OutputLayout;
  seed: number;
}

/**
 * Runs `c` through packWinogradFilter and winogradConvolution on `kernels`
 * (x, the filter and the bias at random, then U, y and a guard that must
 * stay untouched, then the scratch), and returns y with the float64
 * definition laid out the same way.
 */
function runWinogradCase(
  kernels: SimdKernels,
  memory: WebAssembly.Memory,
  c: WinogradCase,
): { actual: Float32Array; expected: Float64Array } {
  const { algorithm, batch, inChannels: ci, outChannels: co } = c;
  const { r } = algorithm, a = tileSize(algorithm);
  const rng = new Rng(c.seed);
  const [paddedHeight, paddedWidth] = winogradPaddedSize(
    algorithm,
    c.outHeight,
    c.outWidth,
  );
  const s: WinogradShape = {
    batch,
    paddedHeight,
    paddedWidth,
    inChannels: ci,
    outHeight: c.outHeight,
    outWidth: c.outWidth,
    outChannels: co,
  };
  const layout = c.layout ?? plainLayout(s);
  const xpSize = batch * paddedHeight * paddedWidth * ci;
  const wSize = r * r * ci * co, uSize = a * a * ci * co;
  const ySize = batch * layout.height * layout.width * layout.channels;
  const xp = rng.uniform(xpSize), w = rng.uniform(wSize);
  const bias = c.withBias ? rng.uniform(co) : undefined;
  const wAt = xpSize, uAt = wAt + wSize, biasAt = uAt + uSize;
  const yAt = biasAt + co, guardAt = yAt + ySize, scratchAt = guardAt + 64;
  assert.ok(
    4 * scratchAt + winogradScratchBytes(algorithm, s, kernels.pool.threads) <=
      memory.buffer.byteLength,
  );
  const heap = new Float32Array(memory.buffer);
  heap.set(xp, 0);
  heap.set(w, wAt);
  if (bias) heap.set(bias, biasAt);
  heap.fill(NaN, yAt, guardAt);
  heap.fill(7, guardAt, scratchAt);
  packWinogradFilter(kernels.pool, algorithm, 4 * wAt, ci, co, 4 * uAt);
  winogradConvolution(
    kernels.pool,
    algorithm,
    0,
    4 * uAt,
    bias ? 4 * biasAt : 0,
    4 * yAt,
    c.relu,
    4 * scratchAt,
    s,
    layout,
  );
  assert.ok(heap.subarray(guardAt, scratchAt).every((v) => v === 7));
  return {
    actual: heap.slice(yAt, guardAt),
    expected: laidOut(reference(r, xp, w, bias, c.relu, s), s, layout),
  };
}

for (const threads of [1, 3]) {
  Deno.test(`Winograd convolution on ${threads} thread${threads > 1 ? "s (shared memory)" : " (plain memory)"} matches the definition`, async (t) => {
    const memory = new WebAssembly.Memory(
      threads > 1
        ? { initial: 64, maximum: 256, shared: true }
        : { initial: 64 },
    );
    const kernels = await buildSimdKernels(memory, threads, cacheDir);
    assert.ok(kernels, "the kernels must build where SIMD runs");
    const cases = [
      // [batch, outHeight, outWidth, inChannels, outChannels, bias, relu]
      [2, 7, 8, 4, 8, false, false],
      [3, 5, 5, 8, 16, true, false],
      [1, 6, 9, 12, 8, true, true],
      // 64 tiles of 12 -> 24 channels: several blocks of 60 on each thread.
      [4, 14, 15, 12, 24, true, false],
    ] as const;
    try {
      for (
        const [algorithm, [batch, oh, ow, ci, co, withBias, relu]]
          of WINOGRAD_ALGORITHMS.flatMap((a) =>
            cases.map((c) => [a, c] as const)
          )
      ) {
        const { m, r } = algorithm;
        const name = `F(${m}, ${r}) ${batch}x${oh}x${ow}, ${ci} -> ${co}` +
          `${withBias ? ", bias" : ""}${relu ? ", ReLU" : ""}`;
        await t.step(name, () => {
          const { actual, expected } = runWinogradCase(kernels, memory, {
            algorithm,
            batch,
            outHeight: oh,
            outWidth: ow,
            inChannels: ci,
            outChannels: co,
            withBias,
            relu,
            seed: oh * 100 + ci,
          });
          assertClose(actual, expected, algorithm === F4_3 ? 1e-4 : 1e-5, name);
        });
      }
    } finally {
      kernels.pool.close();
    }
  });
}

/** `y` (a plain [batch, outHeight, outWidth, phases * channels] output) rearranged as `layout` says. */
function laidOut(
  y: Float64Array,
  s: WinogradShape,
  layout: OutputLayout,
): Float64Array {
  const { phaseRows, phaseCols, cropTop, cropLeft, height, width, channels } =
    layout;
  const out = new Float64Array(s.batch * height * width * channels).fill(NaN);
  for (let n = 0; n < s.batch; n++) {
    for (let qy = 0; qy < s.outHeight; qy++) {
      for (let qx = 0; qx < s.outWidth; qx++) {
        for (let o = 0; o < s.outChannels; o++) {
          const phase = Math.floor(o / channels), c = o % channels;
          const row = qy * phaseRows + Math.floor(phase / phaseCols) - cropTop;
          const col = qx * phaseCols + phase % phaseCols - cropLeft;
          if (row < 0 || row >= height || col < 0 || col >= width) continue;
          out[((n * height + row) * width + col) * channels + c] =
            y[((n * s.outHeight + qy) * s.outWidth + qx) * s.outChannels + o];
        }
      }
    }
  }
  return out;
}

Deno.test("Winograd convolution writes its sub-pixel phases straight into a cropped depth-to-space layout, every pixel once", async (t) => {
  const memory = new WebAssembly.Memory({
    initial: 64,
    maximum: 256,
    shared: true,
  });
  const kernels = await buildSimdKernels(memory, 3, defaultCacheDir());
  assert.ok(kernels, "the kernels must build where SIMD runs");
  // [algorithm, batch, outHeight, outWidth, inChannels, phase rows, phase
  // columns, channels, crop top, crop left, height, width]
  const cases = [
    // The GANs' 4x4 stride-2 transposed convolution: 8x8 phases of a 7x7
    // input, cropped by one on each side to 14x14.
    [F3_2, 2, 8, 8, 8, 2, 2, 4, 1, 1, 14, 14],
    // Uneven crops, partial tiles, a row and column dropped at the end.
    [F3_2, 3, 5, 7, 4, 2, 2, 8, 1, 0, 8, 13],
    [F2_3, 2, 6, 5, 8, 1, 2, 4, 0, 1, 6, 8],
    [F4_3, 1, 9, 6, 4, 2, 1, 8, 2, 0, 15, 6],
    // The plain layout, spelt out.
    [F2_3, 2, 5, 5, 4, 1, 1, 16, 0, 0, 5, 5],
  ] as const;
  try {
    for (
      const [
        algorithm,
        batch,
        oh,
        ow,
        ci,
        pr,
        pc,
        channels,
        top,
        left,
        height,
        width,
      ] of cases
    ) {
      const co = pr * pc * channels;
      const layout: OutputLayout = {
        phaseRows: pr,
        phaseCols: pc,
        cropTop: top,
        cropLeft: left,
        height,
        width,
        channels,
      };
      const name = `F(${algorithm.m}, ${algorithm.r}) ${batch}x${oh}x${ow}, ` +
        `${pr}x${pc} phases of ${channels}, crop ${top},${left} -> ${height}x${width}`;
      await t.step(name, () => {
        const { actual, expected } = runWinogradCase(kernels, memory, {
          algorithm,
          batch,
          outHeight: oh,
          outWidth: ow,
          inChannels: ci,
          outChannels: co,
          withBias: false,
          relu: false,
          layout,
          seed: oh * 31 + ow,
        });
        // Every pixel of y comes from some phase output: none is left NaN.
        assert.ok(expected.every((v) => !Number.isNaN(v)), "cases cover y");
        assertClose(actual, expected, 1e-4, name);
      });
    }
  } finally {
    kernels.pool.close();
  }
});

Deno.test("winogradConvolution refuses a layout whose phases do not make up the output channels", async () => {
  const memory = new WebAssembly.Memory({ initial: 1 });
  const kernels = await buildSimdKernels(memory, 1, defaultCacheDir());
  assert.ok(kernels);
  try {
    const shape: WinogradShape = {
      batch: 1,
      paddedHeight: 4,
      paddedWidth: 4,
      inChannels: 4,
      outHeight: 2,
      outWidth: 2,
      outChannels: 16,
    };
    assert.throws(
      () =>
        winogradConvolution(kernels.pool, F2_3, 0, 0, 0, 0, false, 0, shape, {
          phaseRows: 2,
          phaseCols: 2,
          cropTop: 0,
          cropLeft: 0,
          height: 4,
          width: 4,
          channels: 8,
        }),
      /16 channels as phases of a multiple of 4, got 4 x 8/,
    );
  } finally {
    kernels.pool.close();
  }
});

for (const threads of [1, 3]) {
  Deno.test(`Winograd filter gradient on ${threads} thread${threads > 1 ? "s (shared memory)" : " (plain memory)"} matches the definition`, async (t) => {
    const memory = new WebAssembly.Memory(
      threads > 1
        ? { initial: 64, maximum: 256, shared: true }
        : { initial: 64 },
    );
    const kernels = await buildSimdKernels(memory, threads, cacheDir);
    assert.ok(kernels, "the kernels must build where SIMD runs");
    const cases = [
      // [batch, outHeight, outWidth, inChannels, outChannels]
      [2, 7, 8, 4, 8],
      [3, 5, 5, 8, 16],
      // 64 tiles of 12 -> 24 channels: several blocks of 60 on each thread.
      [4, 14, 15, 12, 24],
    ] as const;
    try {
      for (
        const [algorithm, [batch, oh, ow, ci, co]] of WINOGRAD_ALGORITHMS
          .flatMap((a) => cases.map((c) => [a, c] as const))
      ) {
        const { m, r } = algorithm;
        await t.step(
          `F(${m}, ${r}) ${batch}x${oh}x${ow}, ${ci} -> ${co}`,
          () => {
            const rng = new Rng(oh * 10 + co);
            const [paddedHeight, paddedWidth] = winogradPaddedSize(
              algorithm,
              oh,
              ow,
            );
            const s: WinogradShape = {
              batch,
              paddedHeight,
              paddedWidth,
              inChannels: ci,
              outHeight: oh,
              outWidth: ow,
              outChannels: co,
            };
            const [evenHeight, evenWidth] = [
              m * Math.ceil(oh / m),
              m * Math.ceil(ow / m),
            ];
            const xp = rng.uniform(batch * paddedHeight * paddedWidth * ci);
            const dy = rng.uniform(batch * oh * ow * co);
            // dy zero-padded to whole tiles, as the kernel takes it.
            const dyp = new Float32Array(batch * evenHeight * evenWidth * co);
            for (let n = 0; n < batch; n++) {
              for (let h = 0; h < oh; h++) {
                dyp.set(
                  dy.subarray(
                    ((n * oh + h) * ow) * co,
                    ((n * oh + h + 1) * ow) * co,
                  ),
                  ((n * evenHeight + h) * evenWidth) * co,
                );
              }
            }
            const sizes = winogradFilterGradientScratch(algorithm, s, threads);
            const heap = new Float32Array(memory.buffer);
            const dyAt = xp.length, duAt = dyAt + dyp.length;
            const scratchAt = duAt + sizes.gradients / 4;
            assert.ok(4 * scratchAt + sizes.blocks <= memory.buffer.byteLength);
            heap.set(xp, 0);
            heap.set(dyp, dyAt);
            heap.fill(0, duAt, scratchAt);
            heap.fill(NaN, scratchAt, scratchAt + sizes.blocks / 4);
            winogradFilterGradient(
              kernels.pool,
              algorithm,
              0,
              4 * dyAt,
              4 * duAt,
              4 * scratchAt,
              s,
            );
            const dw = untransformFilterGradient(
              algorithm,
              heap.subarray(duAt, scratchAt),
              threads,
              ci,
              co,
              new Float32Array(r * r * ci * co),
            );
            assertClose(
              dw,
              filterGradientReference(r, xp, dy, s),
              algorithm === F4_3 ? 1e-4 : 1e-5,
              "dW",
            );
          },
        );
      }
    } finally {
      kernels.pool.close();
    }
  });
}

Deno.test("conv2d, fused conv2d and both gradients through Winograd match the cpu backend", async (t) => {
  await initEngine({ threads: 2 });
  quietCpuBackend();
  const rng = new Rng(20261207);
  type Shape = [number, number, number, number];
  type Padding = "same" | "valid" | tf.backend_util.ExplicitPadding;
  const cases: [Shape, number, Padding][] = [
    // [x shape, output channels, padding]
    [[4, 16, 16, 16], 16, "same"],
    [[3, 15, 13, 20], 24, "same"],
    [[2, 18, 17, 32], 32, "valid"],
    [[3, 14, 14, 8], 64, [[0, 0], [2, 1], [0, 2], [0, 0]]],
  ];
  const choices: [number, WinogradAlgorithm][] = [[3, F4_3], [3, F2_3], [
    2,
    F3_2,
  ]];
  try {
    for (const [r, algorithm] of choices) {
      useWinograd(true, r === 3 ? algorithm : undefined);
      for (const [shape, co, pad] of cases) {
        // 2x2 filters need a larger batch to pass the size threshold.
        const xShape: Shape = [
          shape[0] * (r === 2 ? 3 : 1),
          ...shape.slice(1),
        ] as Shape;
        const ci = xShape[3];
        const conv = tf.backend_util.computeConv2DInfo(
          xShape,
          [r, r, ci, co],
          1,
          1,
          pad,
        );
        assert.equal(winogradAlgorithmFor(conv), algorithm, `${xShape}`);
        const x = rng.uniform(xShape.reduce((a, b) => a * b, 1));
        const w = rng.uniform(r * r * ci * co, -0.3, 0.3);
        const bias = rng.uniform(co);
        const dy = rng.uniform(conv.outShape.reduce((a, b) => a * b, 1));
        const name = `F(${algorithm.m}, ${r}) ${xShape} -> ${co}, ${
          JSON.stringify(pad)
        }`;
        await t.step(name, async () => {
          await assertBackendsAgree(
            () => {
              const xt = tf.tensor4d(x, xShape);
              const wt = tf.tensor4d(w, [r, r, ci, co]);
              const bt = tf.tensor1d(bias);
              const dyt = tf.tensor(dy, conv.outShape);
              const p = pad as "same";
              const conv2d = (a: tf.Tensor, b: tf.Tensor) =>
                tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, p);
              return [
                conv2d(xt, wt),
                tf.fused.conv2d({
                  x: xt,
                  filter: wt,
                  bias: bt,
                  pad: p,
                  strides: 1,
                  activation: "relu",
                }),
                tf.grad((v) => conv2d(v, wt))(xt, dyt),
                tf.grad((v) => conv2d(xt, v))(wt, dyt),
              ];
            },
            ["conv2d", "bias + relu", "input gradient", "filter gradient"],
            algorithm === F4_3 ? 1e-4 : 1e-5,
          );
        });
      }
    }
  } finally {
    useWinograd(true);
  }
});

Deno.test("4x4 stride-2 transposed convolutions (a 2x2 stride-1 convolution per phase) through F(3x3, 2x2) match the cpu backend", async () => {
  await initEngine({ threads: 2 });
  quietCpuBackend();
  const rng = new Rng(77);
  // The canonical GAN generator's 7x7x128 -> 14x14x64 and the VAE
  // encoder's 14x14x32 -> 7x7x64 input gradient.
  const z = rng.uniform(16 * 7 * 7 * 128);
  const w = rng.uniform(4 * 4 * 64 * 128, -0.1, 0.1);
  const x = rng.uniform(16 * 14 * 14 * 32);
  const w2 = rng.uniform(4 * 4 * 32 * 64, -0.1, 0.1);
  const dy = rng.uniform(16 * 7 * 7 * 64);
  const phaseConv = tf.backend_util.computeConv2DInfo(
    [16, 7, 7, 128],
    [2, 2, 128, 4 * 64],
    1,
    1,
    [[0, 0], [1, 1], [1, 1], [0, 0]],
  );
  assert.equal(winogradAlgorithmFor(phaseConv), F3_2);
  await assertBackendsAgree(
    () => {
      const zt = tf.tensor4d(z, [16, 7, 7, 128]);
      const wt = tf.tensor4d(w, [4, 4, 64, 128]);
      const xt = tf.tensor4d(x, [16, 14, 14, 32]);
      const w2t = tf.tensor4d(w2, [4, 4, 32, 64]);
      const dyt = tf.tensor4d(dy, [16, 7, 7, 64]);
      return [
        tf.conv2dTranspose(zt, wt, [16, 14, 14, 64], 2, "same"),
        tf.grad((v) => tf.conv2d(v as tf.Tensor4D, w2t, 2, "same"))(xt, dyt),
      ];
    },
    ["transposed conv", "input gradient"],
    1e-5,
  );
});

/** `op` of a random input and filter (entries in +-0.1) on wasm against the cpu backend. */
async function assertConvAgrees(
  rng: Rng,
  inShape: [number, number, number, number],
  filterShape: [number, number, number, number],
  op: (x: tf.Tensor4D, w: tf.Tensor4D) => tf.Tensor,
  label: string,
  rtol: number,
): Promise<void> {
  const x = rng.uniform(inShape.reduce((a, b) => a * b));
  const w = rng.uniform(filterShape.reduce((a, b) => a * b), -0.1, 0.1);
  await assertBackendsAgree(
    () => [op(tf.tensor4d(x, inShape), tf.tensor4d(w, filterShape))],
    [label],
    rtol,
  );
}

Deno.test("strided transposed convolutions of other geometries (3x3 filters, valid padding, odd sizes) through Winograd's phases match the cpu backend", async () => {
  await initEngine({ threads: 2 });
  quietCpuBackend();
  const rng = new Rng(78);
  // [input, filter, output shape, stride, padding]
  const cases: [
    [number, number, number, number],
    [number, number, number, number],
    [number, number, number, number],
    number,
    "same" | "valid",
  ][] = [
    [[8, 7, 7, 64], [3, 3, 32, 64], [8, 14, 14, 32], 2, "same"],
    [[8, 7, 7, 64], [4, 4, 32, 64], [8, 16, 16, 32], 2, "valid"],
    [[8, 7, 7, 64], [3, 3, 32, 64], [8, 13, 13, 32], 2, "same"],
    [[8, 9, 6, 32], [4, 4, 16, 32], [8, 18, 12, 16], 2, "same"],
  ];
  for (const [inShape, filterShape, outShape, stride, pad] of cases) {
    const phaseConv = tf.backend_util.computeConv2DInfo(
      inShape,
      [2, 2, filterShape[3], 4 * filterShape[2]],
      1,
      1,
      "same",
    );
    assert.equal(winogradAlgorithmFor(phaseConv), F3_2, `${filterShape}`);
    await assertConvAgrees(
      rng,
      inShape,
      filterShape,
      (z, w) => tf.conv2dTranspose(z, w, outShape, stride, pad),
      `${inShape} * ${filterShape} -> ${outShape}, ${pad}`,
      1e-5,
    );
  }
});

Deno.test("strided convolutions as stride-1 ones over space-to-depth blocks (Winograd) match the cpu backend", async () => {
  await initEngine({ threads: 2 });
  quietCpuBackend();
  const rng = new Rng(79);
  // One input channel (4 blocked) stays on XNNPACK (the VAE's and GANs'
  // first layers).
  assert.equal(
    blockedWinograd(
      tf.backend_util.computeConv2DInfo(
        [64, 28, 28, 1],
        [4, 4, 1, 32],
        2,
        1,
        "same",
      ),
    ),
    undefined,
  );
  // [input, filter, stride, padding]: the GAN discriminator's 4x4 stride-2
  // layer, 3x3 and 5x5
  // filters (2 and 3 taps a block: F(3x3, 2x2), F(2x2, 3x3)), valid
  // padding, odd and uneven sizes.
  const cases: [
    [number, number, number, number],
    [number, number, number, number],
    number | [number, number],
    "same" | "valid",
  ][] = [
    [[4, 14, 14, 64], [4, 4, 64, 128], 2, "same"],
    [[8, 15, 15, 32], [3, 3, 32, 64], 2, "same"],
    [[8, 14, 14, 32], [4, 4, 32, 64], 2, "valid"],
    [[8, 17, 13, 16], [5, 5, 16, 32], 2, "same"],
    [[8, 16, 15, 16], [4, 2, 16, 32], [2, 1], "same"],
    // The cgan discriminator's image and 10 label maps: 44 blocked channels.
    [[8, 28, 28, 11], [4, 4, 11, 16], 2, "same"],
  ];
  for (const [inShape, filterShape, strides, pad] of cases) {
    const conv = tf.backend_util.computeConv2DInfo(
      inShape,
      filterShape,
      strides,
      1,
      pad,
    );
    assert.ok(blockedWinograd(conv), `${inShape} * ${filterShape} blocked`);
    await assertConvAgrees(
      rng,
      inShape,
      filterShape,
      (x, w) => tf.conv2d(x, w, strides, pad),
      `${inShape} * ${filterShape} / ${strides} ${pad}`,
      1e-4,
    );
  }
});

Deno.test("the Winograd path runs (its rounding differs from XNNPACK's) and can be turned off", async () => {
  await initEngine({ threads: 2 });
  const rng = new Rng(5);
  const x = tf.tensor4d(rng.uniform(4 * 16 * 16 * 16), [4, 16, 16, 16]);
  const w = tf.tensor4d(rng.uniform(9 * 16 * 16), [3, 3, 16, 16]);
  try {
    const winograd = tf.conv2d(x, w, 1, "same").dataSync();
    useWinograd(false);
    const direct = tf.conv2d(x, w, 1, "same").dataSync();
    assertClose(winograd, direct, 1e-4, "Winograd vs direct");
    assert.ok(winograd.some((v, i) => v !== direct[i]));
  } finally {
    useWinograd(true);
    tf.dispose([x, w]);
  }
});

Deno.test("Winograd takes 3x3 (F(4x4, 3x3) on sides in 4s, else F(2x2, 3x3)) and 2x2 (F(3x3, 2x2)) stride-1 convolutions with channels in 4s -> 8s, above the size threshold, and nothing else", () => {
  const info = (
    x: [number, number, number, number],
    filter: [number, number, number, number],
    stride = 1,
  ) => tf.backend_util.computeConv2DInfo(x, filter, stride, 1, "same");
  const algorithm = (
    x: [number, number, number, number],
    filter: [number, number, number, number],
    stride = 1,
  ) => winogradAlgorithmFor(info(x, filter, stride));
  assert.equal(algorithm([64, 28, 28, 64], [3, 3, 64, 64]), F4_3);
  assert.equal(algorithm([64, 14, 14, 64], [3, 3, 64, 64]), F2_3);
  assert.equal(algorithm([64, 7, 7, 64], [3, 3, 64, 64]), F2_3);
  assert.equal(algorithm([64, 7, 7, 128], [2, 2, 128, 256]), F3_2);
  assert.equal(algorithm([64, 28, 28, 64], [3, 3, 64, 64], 2), undefined);
  assert.equal(algorithm([64, 28, 28, 64], [4, 4, 64, 64]), undefined);
  assert.equal(algorithm([64, 28, 28, 64], [1, 1, 64, 64]), undefined);
  assert.equal(algorithm([64, 28, 28, 64], [3, 2, 64, 64]), undefined);
  assert.equal(algorithm([64, 28, 28, 6], [3, 3, 6, 64]), undefined);
  assert.equal(algorithm([64, 28, 28, 64], [3, 3, 64, 12]), undefined);
  // Just above 2^21 multiply-adds (16 x 16 x 9 x 16 x 64) and just below
  // (16 x 14 x ...).
  assert.equal(WINOGRAD_MIN_MULTIPLY_ADDS, 2 ** 21);
  assert.equal(algorithm([1, 16, 16, 16], [3, 3, 16, 64]), F4_3);
  assert.equal(algorithm([1, 16, 14, 16], [3, 3, 16, 64]), undefined);
  useWinograd(true, F4_3);
  assert.equal(algorithm([64, 14, 14, 64], [3, 3, 64, 64]), F4_3);
  useWinograd(true, F2_3);
  assert.equal(algorithm([64, 28, 28, 64], [3, 3, 64, 64]), F2_3);
  useWinograd(false);
  assert.equal(algorithm([64, 28, 28, 64], [3, 3, 64, 64]), undefined);
  useWinograd(true);
});
