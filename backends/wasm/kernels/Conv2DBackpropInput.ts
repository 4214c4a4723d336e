/**
 * Conv2DBackpropInput (the input gradient of conv2d, and the forward pass of
 * conv2dTranspose) as ONE threaded convolution (XNNPACK's, or genwasm's
 * narrow one where the input has few channels: ./Conv2D.ts).
 *
 * Sub-pixel decomposition: with stride s, input row h = q*s + r - padTop gets
 * dy rows q - j through filter rows r + j*s. For each phase r that is a
 * stride-1 correlation over dy with a flipped, sub-sampled filter; stacking
 * the s*s phases as output channels gives one conv whose output is
 * rearranged (depth-to-space) and cropped; at stride 1 (one phase) dy is
 * padded so that the output needs no crop. The stock kernel is a
 * single-threaded scalar loop, ~20x slower than this.
 *
 * @module
 */
import { type TensorInfo, tf } from "../../tf.ts";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { type KernelArgs, KernelScope } from "./_scope.ts";
import { winogradConv2d } from "./Conv2D.ts";
import { winogradAlgorithmFor } from "./_winograd.ts";

/**
 * The sub-pixel filter of an HWIO `filter` [KH, KW, Ci, Co] at stride
 * sh x sw: [jh, jw, Co, sh * sw * Ci] with jh = ceil(KH / sh), jw likewise,
 * where tap (a, b) of phase (ry, rx) holds filter row (jh - 1 - a) * sh + ry
 * and column (jw - 1 - b) * sw + rx, flipped, (zero past the filter's
 * edge), with Co and Ci swapped. Written in one pass in JavaScript: as five
 * stock kernels (pad, reverse, two transposes) it cost 6 ms for the GANs'
 * 4x4x64x128 filter.
 */
function subPixelFilter(
  scope: KernelScope,
  filter: TensorInfo,
  sh: number,
  sw: number,
): TensorInfo {
  const [kh, kw, inChannels, outChannels] = filter.shape;
  const jh = Math.ceil(kh / sh), jw = Math.ceil(kw / sw);
  const phaseChannels = sh * sw * inChannels;
  const out = scope.make([jh, jw, outChannels, phaseChannels]);
  // Views only after the last allocation: a growing heap moves.
  const source = scope.backend.typedArrayFromHeap(filter) as Float32Array;
  const target = scope.backend.typedArrayFromHeap(out) as Float32Array;
  for (let a = 0; a < jh; a++) {
    for (let b = 0; b < jw; b++) {
      const tap = (a * jw + b) * outChannels * phaseChannels;
      for (let ry = 0; ry < sh; ry++) {
        const row = (jh - 1 - a) * sh + ry;
        for (let rx = 0; rx < sw; rx++) {
          const column = (jw - 1 - b) * sw + rx;
          const phase = tap + (ry * sw + rx) * inChannels;
          if (row >= kh || column >= kw) {
            for (let o = 0; o < outChannels; o++) {
              target.fill(
                0,
                phase + o * phaseChannels,
                phase + o * phaseChannels + inChannels,
              );
            }
            continue;
          }
          const from = (row * kw + column) * inChannels * outChannels;
          for (let c = 0; c < inChannels; c++) {
            for (let o = 0; o < outChannels; o++) {
              target[phase + o * phaseChannels + c] =
                source[from + c * outChannels + o];
            }
          }
        }
      }
    }
  }
  return out;
}

/**
 * dx = conv2dBackpropInput(dy, filter) for NHWC `dy` [N, OH, OW, Co] and
 * HWIO `filter` [KH, KW, Ci, Co], given the forward conv's geometry.
 */
export function conv2dBackpropInputInto(
  scope: KernelScope,
  dy: TensorInfo,
  filter: TensorInfo,
  conv: tf.backend_util.Conv2DInfo,
): TensorInfo {
  const [batch, height, width, inChannels] = conv.inShape;
  const {
    filterHeight: kh,
    filterWidth: kw,
    strideHeight: sh,
    strideWidth: sw,
  } = conv;
  const [outHeight, outWidth] = [dy.shape[1], dy.shape[2]];
  const { top: padTop, left: padLeft } = conv.padInfo;
  // Taps per phase, and the sub-pixel filter [jh, jw, Co, sh*sw*Ci].
  const jh = Math.ceil(kh / sh), jw = Math.ceil(kw / sw);
  const f = subPixelFilter(scope, filter, sh, sw);
  const { bottom, right } = conv.padInfo;
  if (
    sh === 1 && sw === 1 && Math.max(padTop, bottom) < kh &&
    Math.max(padLeft, right) < kw
  ) {
    // One phase: dy padded so that the conv's output is exactly dx.
    return scope.conv2d(dy, f, [[kh - 1 - padTop, kh - 1 - bottom], [
      kw - 1 - padLeft,
      kw - 1 - right,
    ]]);
  }
  // Phase rows q cover input rows q*s + r - padTop; enough q for all of them.
  const rowsNeeded = Math.floor((padTop + height - 1) / sh) + 1;
  const colsNeeded = Math.floor((padLeft + width - 1) / sw) + 1;
  const padBottom = Math.max(0, rowsNeeded - outHeight);
  const padRight = Math.max(0, colsNeeded - outWidth);
  const phasePadding: [[number, number], [number, number]] = [
    [jh - 1, padBottom],
    [jw - 1, padRight],
  ];
  const phaseConv = tf.backend_util.computeConv2DInfo(
    dy.shape as [number, number, number, number],
    f.shape as [number, number, number, number],
    1,
    1,
    [[0, 0], ...phasePadding, [0, 0]] as tf.backend_util.ExplicitPadding,
  );
  const algorithm = winogradAlgorithmFor(phaseConv);
  if (algorithm && inChannels % 4 === 0) {
    // The phases written straight to dx: no rearranging copy, no crop.
    return scope.own(winogradConv2d(
      scope.backend,
      algorithm,
      dy,
      f,
      undefined,
      false,
      phaseConv,
      {
        phaseRows: sh,
        phaseCols: sw,
        cropTop: padTop,
        cropLeft: padLeft,
        height,
        width,
        channels: inChannels,
      },
    ));
  }
  let y = scope.conv2d(dy, f, phasePadding);
  const [qh, qw] = [y.shape[1], y.shape[2]];
  if (sh > 1 || sw > 1) {
    // [N, qh, qw, (sh, sw, Ci)] -> [N, qh*sh, qw*sw, Ci]
    y = scope.reshape(y, [batch * qh, qw, sh, sw * inChannels]);
    y = scope.transpose(y, [0, 2, 1, 3]);
    y = scope.reshape(y, [batch, qh * sh, qw * sw, inChannels]);
  }
  return scope.slice(y, [0, padTop, padLeft, 0], [
    batch,
    height,
    width,
    inChannels,
  ]);
}

function conv2dBackpropInput(
  args: KernelArgs,
): TensorInfo {
  const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } = args
    .attrs as unknown as tf.Conv2DBackpropInputAttrs;
  if (dataFormat !== undefined && dataFormat !== "NHWC") {
    throw new Error(
      `Conv2DBackpropInput on wasm supports NHWC only, got ${dataFormat}`,
    );
  }
  const conv = tf.backend_util.computeConv2DInfo(
    inputShape,
    filter.shape as [number, number, number, number],
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const scope = new KernelScope(args.backend as BackendWasm);
  return scope.keep(conv2dBackpropInputInto(scope, dy, filter, conv));
}

/** Replaces tfjs-backend-wasm's scalar Conv2DBackpropInput. */
export const conv2DBackpropInputConfig: tf.KernelConfig = {
  kernelName: tf.Conv2DBackpropInput,
  backendName: "wasm",
  kernelFunc: conv2dBackpropInput as unknown as tf.KernelFunc,
};
