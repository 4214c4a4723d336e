/**
 * What the kernels on genwasm's SIMD convolutions (Conv2D, FusedConv2D,
 * Conv2DBackpropFilter) share: x zero-padded (on the kernels' threads) so
 * that every tap of every output position reads inside it, and heap
 * addresses to hand the kernels.
 *
 * @module
 */
import type { TensorInfo, tf } from "../../tf.ts";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import type { KernelScope } from "./_scope.ts";
import type { PaddedConvShape } from "../simd/shape.ts";
import { padSpatial, type SpatialPadding } from "../simd/pad.ts";
import { activeSimdKernels } from "../simd/kernels.ts";

/**
 * NHWC float32 `x` zero-padded in height and width (made in `scope`) on
 * the SIMD kernels' threads; `x` itself where the padding is all zeros.
 * Needs the SIMD kernels built (the convolutions that call it do).
 */
export function padHeightWidth(
  scope: KernelScope,
  x: TensorInfo,
  padding: SpatialPadding,
): TensorInfo {
  const { top, bottom, left, right } = padding;
  if (top === 0 && bottom === 0 && left === 0 && right === 0) return x;
  const [batch, height, width, channels] = x.shape;
  const padded = scope.make([
    batch,
    top + height + bottom,
    left + width + right,
    channels,
  ]);
  padSpatial(
    activeSimdKernels()!.pool,
    heapAddress(scope.backend, x),
    heapAddress(scope.backend, padded),
    x.shape,
    padding,
  );
  return padded;
}

/** x padded for `conv` (made in `scope`), and the shape the SIMD kernels take. */
export function padForTaps(
  scope: KernelScope,
  x: TensorInfo,
  conv: tf.backend_util.Conv2DInfo,
): { padded: TensorInfo; shape: PaddedConvShape } {
  const [batch, height, width, inChannels] = x.shape;
  const { top, left } = conv.padInfo;
  // Rows and columns past the end that the last taps read (none if the
  // forward conv leaves some unread).
  const bottom = Math.max(
    0,
    (conv.outHeight - 1) * conv.strideHeight + conv.filterHeight - height -
      top,
  );
  const right = Math.max(
    0,
    (conv.outWidth - 1) * conv.strideWidth + conv.filterWidth - width - left,
  );
  const padded = padHeightWidth(scope, x, { top, bottom, left, right });
  const { outHeight, outWidth, outChannels, filterHeight, filterWidth } = conv;
  return {
    padded,
    shape: {
      batch,
      paddedHeight: padded.shape[1],
      paddedWidth: padded.shape[2],
      inChannels,
      outHeight,
      outWidth,
      outChannels,
      filterHeight,
      filterWidth,
      strideHeight: conv.strideHeight,
      strideWidth: conv.strideWidth,
    },
  };
}

/**
 * The byte address of `info`'s data on the heap; take it after the last
 * allocation of the kernel, since a growing heap moves.
 */
export function heapAddress(backend: BackendWasm, info: TensorInfo): number {
  return (backend.typedArrayFromHeap(info) as Float32Array).byteOffset;
}
