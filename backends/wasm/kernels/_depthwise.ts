/**
 * Depthwise conv gradients through the dense conv gradients: a depthwise
 * filter [KH, KW, Ci, M] is the block-diagonal dense filter
 * [KH, KW, Ci, Ci*M] (output channel ci*M + m reads input channel ci only).
 * Ci times the FLOPs of a dedicated kernel; no canonical model uses depthwise
 * convolutions, so correctness and threads matter here more than FLOPs.
 *
 * @module
 */
import type { TensorInfo } from "../../tf.ts";
import type { KernelScope } from "./_scope.ts";

/** The Ci x Ci identity as float32, shaped [1, Ci, Ci, 1] for broadcasting. */
export function identityMask(scope: KernelScope, channels: number): TensorInfo {
  const range = scope.run("Range", {}, {
    start: 0,
    stop: channels,
    step: 1,
    dtype: "int32",
  });
  const eye = scope.run("OneHot", { indices: range }, {
    depth: channels,
    onValue: 1,
    offValue: 0,
    dtype: "float32",
  });
  return scope.reshape(eye, [1, channels, channels, 1]);
}

/** Depthwise filter [KH, KW, Ci, M] -> block-diagonal dense [KH, KW, Ci, Ci*M]. */
export function denseFromDepthwise(
  scope: KernelScope,
  filter: TensorInfo,
): TensorInfo {
  const [kh, kw, channels, multiplier] = filter.shape;
  const taps = scope.reshape(filter, [kh * kw, channels, 1, multiplier]);
  const dense = scope.run("Multiply", {
    a: taps,
    b: identityMask(scope, channels),
  });
  return scope.reshape(dense, [kh, kw, channels, channels * multiplier]);
}

/** Dense filter gradient [KH, KW, Ci, Ci*M] -> its depthwise diagonal [KH, KW, Ci, M]. */
export function depthwiseFromDense(
  scope: KernelScope,
  dense: TensorInfo,
): TensorInfo {
  const [kh, kw, channels, outChannels] = dense.shape;
  const multiplier = outChannels / channels;
  const blocks = scope.reshape(dense, [
    kh * kw,
    channels,
    channels,
    multiplier,
  ]);
  const diagonal = scope.run("Multiply", {
    a: blocks,
    b: identityMask(scope, channels),
  });
  const summed = scope.run("Sum", { x: diagonal }, {
    axis: [2],
    keepDims: false,
  });
  return scope.reshape(summed, [kh, kw, channels, multiplier]);
}
