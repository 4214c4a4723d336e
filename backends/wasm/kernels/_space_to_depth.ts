/**
 * Strided convolutions as stride-1 ones over space-to-depth blocks, so
 * that the Winograd kernels run them: with stride s and a k x k filter,
 *
 *   y[oy, ox] = sum_{a, b < ceil(k / s)} xs[oy + a, ox + b, :] . w'[a, b, :]
 *
 * where xs[i, j, (ry, rx, c)] = x[i*s + ry - padTop, j*s + rx - padLeft, c]
 * (x's s x s blocks as channels, zero outside x) and w'[a, b, (ry, rx, c)]
 * = w[a*s + ry, b*s + rx, c] (zero past the filter). The GANs' and the
 * VAE's 4x4 stride-2 convolutions become 2x2 ones over 4x the channels,
 * which F(3x3, 2x2) runs with 1.4x fewer multiplies on 7x7 outputs (1.7x
 * faster than XNNPACK on the GANs' 14x14x64 -> 7x7x128). Their filter
 * gradients stay on the direct SIMD kernels: the blocked Winograd one ran
 * 1.05-1.15x slower there.
 *
 * @module
 */
import { type TensorInfo, tf } from "../../tf.ts";
import type { KernelScope } from "./_scope.ts";
import { heapAddress } from "./_padded.ts";
import { activeSimdKernels } from "../simd/kernels.ts";
import { spaceToDepth } from "../simd/pad.ts";
import { winogradPaddedSize, type WinogradShape } from "../simd/winograd.ts";
import type { WinogradAlgorithm } from "../simd/winograd_algorithms.ts";
import { winogradAlgorithmFor } from "./_winograd.ts";

/** The fewest blocked input channels worth the Winograd path. */
const MIN_BLOCKED_CHANNELS = 16;

/**
 * The stride-1 convolution over x's blocks that a strided `conv` is, and
 * the Winograd algorithm that runs it; undefined where `conv` has stride 1
 * (or dilation) or the blocked convolution takes no Winograd path.
 */
export function blockedWinograd(
  conv: tf.backend_util.Conv2DInfo,
):
  | { blocked: tf.backend_util.Conv2DInfo; algorithm: WinogradAlgorithm }
  | undefined {
  const { strideHeight: sh, strideWidth: sw } = conv;
  if (sh === 1 && sw === 1) return undefined;
  if (conv.dilationHeight !== 1 || conv.dilationWidth !== 1) return undefined;
  // Blocks of one input channel make sums too short for the GEMMs: the
  // VAE's and GANs' first layers (1 -> 32, 1 -> 64, 4 blocked channels)
  // ran 1.2-1.5x slower. The Winograd kernels take blocked channels in 4s.
  const blockedChannels = sh * sw * conv.inChannels;
  if (blockedChannels % 4 !== 0 || blockedChannels < MIN_BLOCKED_CHANNELS) {
    return undefined;
  }
  const taps = [
    Math.ceil(conv.filterHeight / sh),
    Math.ceil(conv.filterWidth / sw),
  ];
  const blocked = tf.backend_util.computeConv2DInfo(
    [
      conv.batchSize,
      conv.outHeight + taps[0] - 1,
      conv.outWidth + taps[1] - 1,
      sh * sw * conv.inChannels,
    ],
    [taps[0], taps[1], sh * sw * conv.inChannels, conv.outChannels],
    1,
    1,
    "valid",
  );
  const algorithm = winogradAlgorithmFor(blocked);
  return algorithm && { blocked, algorithm };
}

/**
 * x's blocks for `conv` (made in `scope`), as many as the Winograd tiles of
 * `algorithm` read, and the shape the Winograd kernels take.
 */
export function blocksForWinograd(
  scope: KernelScope,
  x: TensorInfo,
  conv: tf.backend_util.Conv2DInfo,
  algorithm: WinogradAlgorithm,
): { padded: TensorInfo; shape: WinogradShape } {
  const { strideHeight: sh, strideWidth: sw, outHeight, outWidth } = conv;
  const [paddedHeight, paddedWidth] = winogradPaddedSize(
    algorithm,
    outHeight,
    outWidth,
  );
  const inChannels = sh * sw * conv.inChannels;
  const padded = scope.make([
    conv.batchSize,
    paddedHeight,
    paddedWidth,
    inChannels,
  ]);
  spaceToDepth(
    activeSimdKernels()!.pool,
    heapAddress(scope.backend, x),
    heapAddress(scope.backend, padded),
    x.shape,
    {
      blockRows: sh,
      blockCols: sw,
      top: conv.padInfo.top,
      left: conv.padInfo.left,
      outHeight: paddedHeight,
      outWidth: paddedWidth,
    },
  );
  return {
    padded,
    shape: {
      batch: conv.batchSize,
      paddedHeight,
      paddedWidth,
      inChannels,
      outHeight,
      outWidth,
      outChannels: conv.outChannels,
    },
  };
}

/** `filter` [k, k', Ci, Co] as the blocked convolution's filter (made in `scope`). */
export function blockedFilter(
  scope: KernelScope,
  filter: TensorInfo,
  blocked: tf.backend_util.Conv2DInfo,
  sh: number,
  sw: number,
): TensorInfo {
  const out = scope.make(blocked.filterShape);
  // Views only after the last allocation: a growing heap moves.
  const source = scope.backend.typedArrayFromHeap(filter) as Float32Array;
  const target = scope.backend.typedArrayFromHeap(out) as Float32Array;
  const [kh, kw, inChannels, outChannels] = filter.shape;
  const [ja, jb] = blocked.filterShape;
  // Taps (a, b, ry, rx) are runs of Ci x Co in both; zeros past the filter.
  const run = inChannels * outChannels;
  target.fill(0);
  for (let a = 0; a < ja; a++) {
    for (let b = 0; b < jb; b++) {
      for (let ry = 0; ry < sh; ry++) {
        for (let rx = 0; rx < sw; rx++) {
          const row = a * sh + ry, column = b * sw + rx;
          if (row >= kh || column >= kw) continue;
          const from = (row * kw + column) * run;
          target.set(
            source.subarray(from, from + run),
            (((a * jb + b) * sh + ry) * sw + rx) * run,
          );
        }
      }
    }
  }
  return out;
}
