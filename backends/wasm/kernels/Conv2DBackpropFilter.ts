/**
 * Conv2DBackpropFilter (the filter gradient of conv2d), missing from
 * tfjs-backend-wasm, as ONE threaded XNNPACK convolution:
 *
 *   dW[kh, kw, ci, co] = sum_{n, oh, ow} x[n, oh*s + kh - pt, ow*s + kw - pl, ci] dy[n, oh, ow, co]
 *
 * is a conv over x transposed to [Ci, H, W, N] (batch = Ci, channels = N)
 * with dy transposed to [OH, OW, N, Co] as the filter, dilated by the stride.
 *
 * Filters with few rows of dW (1x1 kernels, or one input channel) are
 * faster as one GEMM when the stride is 1: the kh*kw shifted copies of x,
 * channels first, stacked as [kh*kw*Ci, N*OH*OW], times dy as
 * [N*OH*OW, Co] (measured 2x for 1x1 64->64 at 14x14, 4x for 3x3 1->32 at
 * 28x28; slower than the conv when Ci*kh*kw is large or Co is small).
 *
 * Both are fallbacks: where the engine built genwasm's SIMD microkernels
 * (../simd/filter_gradient.ts) and Co is a multiple of 4, they compute dW
 * in place on the heap, 1.3-4.9x faster than either path at one thread.
 * Stride-1 3x3 and 2x2 ones with channels in 4s -> 8s go first to the
 * Winograd filter gradients (../simd/winograd_filter_gradient.ts), which
 * need 4x (F(4x4, 3x3)) and 2.25x (F(3x3, 2x2)) fewer multiply-adds.
 *
 * @module
 */
import { type TensorInfo, tf } from "../../tf.ts";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { type KernelArgs, KernelScope } from "./_scope.ts";
import { filterGradient } from "../simd/filter_gradient.ts";
import { activeSimdKernels } from "../simd/kernels.ts";
import { heapAddress, padForTaps, padHeightWidth } from "./_padded.ts";
import { padForWinograd, winogradAlgorithmFor } from "./_winograd.ts";
import {
  untransformFilterGradient,
  winogradFilterGradient,
  winogradFilterGradientScratch,
} from "../simd/winograd_filter_gradient.ts";

/** Which way {@link conv2dBackpropFilterInto} computes dW for `conv`. */
export function filterGradientPath(
  conv: tf.backend_util.Conv2DInfo,
): "winograd" | "simd" | "gemm" | "conv" {
  if (winogradAlgorithmFor(conv)) return "winograd";
  if (
    activeSimdKernels() && conv.outChannels % 4 === 0 &&
    conv.dilationHeight === 1 && conv.dilationWidth === 1
  ) {
    return "simd";
  }
  return prefersGemm(conv) ? "gemm" : "conv";
}

/** dW by the SIMD microkernels, on x zero-padded so every tap reads inside it. */
function simdFilterGradient(
  scope: KernelScope,
  x: TensorInfo,
  dy: TensorInfo,
  conv: tf.backend_util.Conv2DInfo,
): TensorInfo {
  const { padded, shape } = padForTaps(scope, x, conv);
  const dw = scope.make(conv.filterShape);
  const address = (info: TensorInfo) => heapAddress(scope.backend, info);
  (scope.backend.typedArrayFromHeap(dw) as Float32Array).fill(0);
  filterGradient(
    activeSimdKernels()!.pool,
    address(padded),
    address(dy),
    address(dw),
    shape,
  );
  return dw;
}

/**
 * dW by a Winograd algorithm: x padded as the forward pass pads it, dy to
 * multiples of the tile (zeros fill the partial tiles), each thread's dU
 * summed and mapped back here.
 */
function winogradFilterGradientOf(
  scope: KernelScope,
  x: TensorInfo,
  dy: TensorInfo,
  conv: tf.backend_util.Conv2DInfo,
): TensorInfo {
  const algorithm = winogradAlgorithmFor(conv)!;
  const { padded, shape } = padForWinograd(scope, x, conv, algorithm);
  const { outHeight, outWidth, inChannels, outChannels } = shape;
  const { m } = algorithm;
  const dyPadded = padHeightWidth(scope, dy, {
    top: 0,
    bottom: m * Math.ceil(outHeight / m) - outHeight,
    left: 0,
    right: m * Math.ceil(outWidth / m) - outWidth,
  });
  const pool = activeSimdKernels()!.pool;
  const sizes = winogradFilterGradientScratch(algorithm, shape, pool.threads);
  const blocks = scope.make([sizes.blocks / 4]);
  const sums = scope.make([sizes.gradients / 4]);
  const dw = scope.make(conv.filterShape);
  // Views only after the last allocation: a growing heap moves.
  const view = (info: TensorInfo) =>
    scope.backend.typedArrayFromHeap(info) as Float32Array;
  view(sums).fill(0);
  const address = (info: TensorInfo) => heapAddress(scope.backend, info);
  winogradFilterGradient(
    pool,
    algorithm,
    address(padded),
    address(dyPadded),
    address(sums),
    address(blocks),
    shape,
  );
  untransformFilterGradient(
    algorithm,
    view(sums),
    pool.threads,
    inChannels,
    outChannels,
    view(dw),
  );
  return dw;
}

/** Whether {@link shiftedInputGemm} beats the convolution for this geometry. */
function prefersGemm(conv: tf.backend_util.Conv2DInfo): boolean {
  const taps = conv.filterHeight * conv.filterWidth;
  return conv.strideHeight === 1 && conv.strideWidth === 1 &&
    conv.dilationHeight === 1 && conv.dilationWidth === 1 &&
    conv.outChannels >= 16 && (taps === 1 || taps * conv.inChannels <= 16);
}

/** dW as one GEMM of the shifted inputs (stride 1; see the module note). */
function shiftedInputGemm(
  scope: KernelScope,
  x: TensorInfo,
  dy: TensorInfo,
  conv: tf.backend_util.Conv2DInfo,
): TensorInfo {
  const [batch, outHeight, outWidth, outChannels] = dy.shape;
  const { filterHeight: kh, filterWidth: kw, inChannels } = conv;
  const { top, bottom, left, right } = conv.padInfo;
  const padded = top || bottom || left || right
    ? scope.pad(x, [[0, 0], [top, bottom], [left, right], [0, 0]])
    : x;
  const channelsFirst = scope.transpose(padded, [3, 0, 1, 2]);
  const rows = batch * outHeight * outWidth;
  const taps: TensorInfo[] = [];
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const tap = kh * kw === 1 ? channelsFirst : scope.slice(
        channelsFirst,
        [0, 0, i, j],
        [inChannels, batch, outHeight, outWidth],
      );
      taps.push(scope.reshape(tap, [inChannels, rows]));
    }
  }
  const stacked = taps.length === 1 ? taps[0] : scope.run(
    "Concat",
    taps as unknown as Record<string, TensorInfo>,
    { axis: 0 },
  );
  const product = scope.run(
    "BatchMatMul",
    {
      a: scope.reshape(stacked, [1, kh * kw * inChannels, rows]),
      b: scope.reshape(dy, [1, rows, outChannels]),
    },
    { transposeA: false, transposeB: false },
    { stock: true },
  );
  return scope.reshape(product, [kh, kw, inChannels, outChannels]);
}

/** dW for NHWC `x` and `dy`, given the forward conv's geometry. */
export function conv2dBackpropFilterInto(
  scope: KernelScope,
  x: TensorInfo,
  dy: TensorInfo,
  conv: tf.backend_util.Conv2DInfo,
): TensorInfo {
  const [, height, width] = x.shape;
  const [, outHeight, outWidth] = dy.shape;
  const {
    filterHeight: kh,
    filterWidth: kw,
    strideHeight: sh,
    strideWidth: sw,
  } = conv;
  const path = filterGradientPath(conv);
  if (path === "winograd") {
    return winogradFilterGradientOf(scope, x, dy, conv);
  }
  if (path === "simd") return simdFilterGradient(scope, x, dy, conv);
  if (path === "gemm") return shiftedInputGemm(scope, x, dy, conv);
  const { top: padTop, left: padLeft } = conv.padInfo;
  // Bottom/right padding that makes the output exactly kh x kw; negative means
  // the forward conv never read the last rows, so crop them instead.
  let padBottom = kh + (outHeight - 1) * sh - height - padTop;
  let padRight = kw + (outWidth - 1) * sw - width - padLeft;
  let xt = scope.transpose(x, [3, 1, 2, 0]);
  if (padBottom < 0 || padRight < 0) {
    const [c, h, w, n] = xt.shape;
    xt = scope.slice(xt, [0, 0, 0, 0], [
      c,
      h + Math.min(0, padBottom),
      w + Math.min(0, padRight),
      n,
    ]);
    padBottom = Math.max(0, padBottom);
    padRight = Math.max(0, padRight);
  }
  const dyt = scope.transpose(dy, [1, 2, 0, 3]);
  const dw = scope.conv2d(xt, dyt, [[padTop, padBottom], [padLeft, padRight]], [
    sh,
    sw,
  ]);
  return scope.transpose(dw, [1, 2, 0, 3]);
}

function conv2dBackpropFilter(
  args: KernelArgs,
): TensorInfo {
  const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = args
    .attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  if (dataFormat !== undefined && dataFormat !== "NHWC") {
    throw new Error(
      `Conv2DBackpropFilter on wasm supports NHWC only, got ${dataFormat}`,
    );
  }
  const conv = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const scope = new KernelScope(args.backend as BackendWasm);
  return scope.keep(conv2dBackpropFilterInto(scope, x, dy, conv));
}

/** Adds the conv2d filter gradient that tfjs-backend-wasm lacks. */
export const conv2DBackpropFilterConfig: tf.KernelConfig = {
  kernelName: tf.Conv2DBackpropFilter,
  backendName: "wasm",
  kernelFunc: conv2dBackpropFilter as unknown as tf.KernelFunc,
};
