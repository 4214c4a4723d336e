/**
 * Winograd F(2x2, 3x3) convolution (backends/wasm/simd/winograd.ts):
 * the filter transform against hand-computed values; the kernels on their
 * own heap against a float64 loop over the definition (odd output sizes,
 * so partial tiles; enough tiles for several blocks per thread, runs that
 * cross image rows and images; bias and ReLU), on 1 and 3 threads; the
 * filter gradient likewise; and through tfjs, conv2d, fused conv2d and
 * both gradients against the cpu backend.
 */
import assert from "node:assert/strict";
import { tf } from "../../../backends/tf.ts";
import { initEngine } from "../../../backends/engine.ts";
import {
  isWinogradConvolution,
  useWinograd,
  WINOGRAD_MIN_MULTIPLY_ADDS,
} from "../../../backends/wasm/kernels/_winograd.ts";
import {
  packWinogradFilter,
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
import { buildSimdKernels } from "../../../backends/wasm/simd/kernels.ts";
import { defaultCacheDir } from "../../../backends/wasm/_loader.ts";
import {
  assertBackendsAgree,
  assertClose,
  quietCpuBackend,
  Rng,
} from "../../_helpers.ts";

/** y = act(conv3x3(xp, w) + bias), stride 1, over the padded input, in float64. */
function reference(
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
          for (let kh = 0; kh < 3; kh++) {
            for (let kw = 0; kw < 3; kw++) {
              const row = (n * s.paddedHeight + oh + kh) * s.paddedWidth;
              for (let ci = 0; ci < s.inChannels; ci++) {
                sum += xp[(row + ow + kw) * s.inChannels + ci] *
                  w[((kh * 3 + kw) * s.inChannels + ci) * s.outChannels + co];
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
  xp: Float32Array,
  dy: Float32Array,
  s: WinogradShape,
): Float64Array {
  const { inChannels: ci, outChannels: co } = s;
  const dw = new Float64Array(9 * ci * co);
  for (let n = 0; n < s.batch; n++) {
    for (let oh = 0; oh < s.outHeight; oh++) {
      for (let ow = 0; ow < s.outWidth; ow++) {
        const dyAt = ((n * s.outHeight + oh) * s.outWidth + ow) * co;
        for (let tap = 0; tap < 9; tap++) {
          const row = n * s.paddedHeight + oh + Math.floor(tap / 3);
          const xAt = (row * s.paddedWidth + ow + tap % 3) * ci;
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

Deno.test("packWinogradFilter gives G g G^T, by position, in panels of 8 output channels", () => {
  // One input channel, 8 output channels; channel 0's filter is 1..9 (row
  // major), the others zero. G g = [1 2 3; 6 7.5 9; 2 2.5 3; 7 8 9], then
  // each row [a b c] -> [a, (a+b+c)/2, (a-b+c)/2, c].
  const w = new Float32Array(9 * 8);
  for (let tap = 0; tap < 9; tap++) w[tap * 8] = tap + 1;
  const packed = packWinogradFilter(w, 1, 8, new Float32Array(16 * 8));
  const expected = [
    [1, 3, 1, 3],
    [6, 11.25, 3.75, 9],
    [2, 3.75, 1.25, 3],
    [7, 12, 4, 9],
  ].flat();
  assert.deepEqual(
    Array.from({ length: 16 }, (_, p) => packed[p * 8]),
    expected,
  );
  for (let p = 0; p < 16; p++) {
    assert.deepEqual(Array.from(packed.subarray(p * 8 + 1, p * 8 + 8)), [
      0,
      0,
      0,
      0,
      0,
      0,
      0,
    ]);
  }
});

Deno.test("tilesPerBlock keeps a block's V and M within the budget, in rows of 6", () => {
  // 2^16 floats / (16 positions x 128 channels) = 32 tiles, down to 30.
  assert.equal(tilesPerBlock(64, 64), 30);
  for (const [ci, co] of [[4, 8], [32, 32], [64, 64], [128, 64], [512, 512]]) {
    const tiles = tilesPerBlock(ci, co);
    assert.equal(tiles % 6, 0);
    assert.ok(tiles >= 6 && tiles <= 96);
    if (tiles > 6) assert.ok(16 * tiles * (ci + co) <= 1 << 16);
  }
});

const cacheDir = defaultCacheDir();

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
      for (const [batch, oh, ow, ci, co, withBias, relu] of cases) {
        const name = `${batch}x${oh}x${ow}, ${ci} -> ${co}` +
          `${withBias ? ", bias" : ""}${relu ? ", ReLU" : ""}`;
        await t.step(name, () => {
          const rng = new Rng(oh * 100 + ci);
          const [paddedHeight, paddedWidth] = winogradPaddedSize(oh, ow);
          const s: WinogradShape = {
            batch,
            paddedHeight,
            paddedWidth,
            inChannels: ci,
            outHeight: oh,
            outWidth: ow,
            outChannels: co,
          };
          const xpSize = batch * paddedHeight * paddedWidth * ci;
          const wSize = 9 * ci * co, uSize = 16 * ci * co;
          const ySize = batch * oh * ow * co;
          const xp = rng.uniform(xpSize);
          const w = rng.uniform(wSize);
          const bias = withBias ? rng.uniform(co) : undefined;
          const heap = new Float32Array(memory.buffer);
          const uAt = xpSize, biasAt = uAt + uSize, yAt = biasAt + co;
          // The guard after y must stay untouched.
          const guardAt = yAt + ySize, scratchAt = guardAt + 64;
          assert.ok(
            4 * scratchAt + winogradScratchBytes(s, threads) <=
              memory.buffer.byteLength,
          );
          heap.set(xp, 0);
          packWinogradFilter(w, ci, co, heap.subarray(uAt, uAt + uSize));
          if (bias) heap.set(bias, biasAt);
          heap.fill(NaN, yAt, guardAt);
          heap.fill(7, guardAt, scratchAt);
          winogradConvolution(
            kernels.pool,
            0,
            4 * uAt,
            bias ? 4 * biasAt : 0,
            4 * yAt,
            relu,
            4 * scratchAt,
            s,
          );
          assertClose(
            heap.subarray(yAt, guardAt),
            reference(xp, w, bias, relu, s),
            1e-5,
            name,
          );
          assert.ok(heap.subarray(guardAt, scratchAt).every((v) => v === 7));
        });
      }
    } finally {
      kernels.pool.close();
    }
  });
}

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
      for (const [batch, oh, ow, ci, co] of cases) {
        await t.step(`${batch}x${oh}x${ow}, ${ci} -> ${co}`, () => {
          const rng = new Rng(oh * 10 + co);
          const [paddedHeight, paddedWidth] = winogradPaddedSize(oh, ow);
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
            2 * Math.ceil(oh / 2),
            2 * Math.ceil(ow / 2),
          ];
          const xp = rng.uniform(batch * paddedHeight * paddedWidth * ci);
          const dy = rng.uniform(batch * oh * ow * co);
          // dy zero-padded to even height and width, as the kernel takes it.
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
          const sizes = winogradFilterGradientScratch(s, threads);
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
            0,
            4 * dyAt,
            4 * duAt,
            4 * scratchAt,
            s,
          );
          const dw = untransformFilterGradient(
            heap.subarray(duAt, scratchAt),
            threads,
            ci,
            co,
            new Float32Array(9 * ci * co),
          );
          assertClose(dw, filterGradientReference(xp, dy, s), 1e-5, "dW");
        });
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
  for (const [xShape, co, pad] of cases) {
    const ci = xShape[3];
    const conv = tf.backend_util.computeConv2DInfo(
      xShape,
      [3, 3, ci, co],
      1,
      1,
      pad,
    );
    assert.ok(isWinogradConvolution(conv), `${xShape} takes Winograd`);
    const x = rng.uniform(xShape.reduce((a, b) => a * b, 1));
    const w = rng.uniform(9 * ci * co, -0.3, 0.3);
    const bias = rng.uniform(co);
    const dy = rng.uniform(conv.outShape.reduce((a, b) => a * b, 1));
    await t.step(`${xShape} -> ${co}, ${JSON.stringify(pad)}`, async () => {
      await assertBackendsAgree(
        () => {
          const xt = tf.tensor4d(x, xShape);
          const wt = tf.tensor4d(w, [3, 3, ci, co]);
          const bt = tf.tensor1d(bias);
          const dyt = tf.tensor(dy, conv.outShape);
          const p = pad as "same";
          const dx = tf.grad((v) => tf.conv2d(v as tf.Tensor4D, wt, 1, p))(
            xt,
            dyt,
          );
          const dw = tf.grad((v) => tf.conv2d(xt, v as tf.Tensor4D, 1, p))(
            wt,
            dyt,
          );
          return [
            tf.conv2d(xt, wt, 1, p),
            tf.fused.conv2d({
              x: xt,
              filter: wt,
              bias: bt,
              pad: p,
              strides: 1,
              activation: "relu",
            }),
            dx,
            dw,
          ];
        },
        ["conv2d", "bias + relu", "input gradient", "filter gradient"],
        1e-5,
      );
    });
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
    assertClose(winograd, direct, 1e-5, "Winograd vs direct");
    assert.ok(winograd.some((v, i) => v !== direct[i]));
  } finally {
    useWinograd(true);
    tf.dispose([x, w]);
  }
});

Deno.test("Winograd takes 3x3 stride-1 convolutions with channels in 4s -> 8s, above the size threshold, and nothing else", () => {
  const info = (
    x: [number, number, number, number],
    filter: [number, number, number, number],
    stride = 1,
  ) => tf.backend_util.computeConv2DInfo(x, filter, stride, 1, "same");
  assert.ok(isWinogradConvolution(info([64, 28, 28, 64], [3, 3, 64, 64])));
  assert.ok(!isWinogradConvolution(info([64, 28, 28, 64], [3, 3, 64, 64], 2)));
  assert.ok(!isWinogradConvolution(info([64, 28, 28, 64], [4, 4, 64, 64])));
  assert.ok(!isWinogradConvolution(info([64, 28, 28, 64], [1, 1, 64, 64])));
  assert.ok(!isWinogradConvolution(info([64, 28, 28, 6], [3, 3, 6, 64])));
  assert.ok(!isWinogradConvolution(info([64, 28, 28, 64], [3, 3, 64, 12])));
  // Just above 2^21 multiply-adds (16 x 16 x 9 x 16 x 64) and just below
  // (16 x 14 x ...).
  assert.equal(WINOGRAD_MIN_MULTIPLY_ADDS, 2 ** 21);
  assert.ok(isWinogradConvolution(info([1, 16, 16, 16], [3, 3, 16, 64])));
  assert.ok(!isWinogradConvolution(info([1, 16, 14, 16], [3, 3, 16, 64])));
});
