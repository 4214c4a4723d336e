/**
 * What the kernels on genwasm's Winograd F(2x2, 3x3) convolutions (Conv2D,
 * FusedConv2D, and through them Conv2DBackpropInput; Conv2DBackpropFilter)
 * share: which convolutions take that path, and x padded for it.
 *
 * @module
 */
import type { TensorInfo, tf } from "../../tf.ts";
import type { KernelScope } from "./_scope.ts";
import { activeSimdKernels } from "../simd/kernels.ts";
import { winogradPaddedSize, type WinogradShape } from "../simd/winograd.ts";

/**
 * The smallest convolution (in direct multiply-adds) worth the Winograd
 * path's fixed costs (padding copy, filter transform, a pool round trip):
 * below ~2M XNNPACK takes well under a millisecond.
 */
export const WINOGRAD_MIN_MULTIPLY_ADDS = 1 << 21;

let winogradEnabled = true;

/**
 * Turns the Winograd paths on or off (on by default), for benchmarks and
 * tests that compare them with the direct convolutions.
 */
export function useWinograd(enabled: boolean): void {
  winogradEnabled = enabled;
}

/**
 * Whether `conv` (its forward pass, input gradient or filter gradient)
 * goes to Winograd's F(2x2, 3x3): the SIMD kernels are built, float32 NHWC
 * assumed, 3x3, stride 1, no dilation, input channels in 4s, output
 * channels in 8s, and large enough to pay.
 */
export function isWinogradConvolution(
  conv: tf.backend_util.Conv2DInfo,
): boolean {
  const multiplyAdds = conv.batchSize * conv.outHeight * conv.outWidth * 9 *
    conv.inChannels * conv.outChannels;
  return winogradEnabled && activeSimdKernels() !== undefined &&
    conv.filterHeight === 3 && conv.filterWidth === 3 &&
    conv.strideHeight === 1 && conv.strideWidth === 1 &&
    conv.dilationHeight === 1 && conv.dilationWidth === 1 &&
    conv.inChannels % 4 === 0 && conv.outChannels % 8 === 0 &&
    multiplyAdds >= WINOGRAD_MIN_MULTIPLY_ADDS;
}

/**
 * x zero-padded (in `scope`) so that every 2x2 output tile's 4x4 window of
 * `conv` lies inside it, and the shape the Winograd kernels take.
 */
export function padForWinograd(
  scope: KernelScope,
  x: TensorInfo,
  conv: tf.backend_util.Conv2DInfo,
): { padded: TensorInfo; shape: WinogradShape } {
  const [batch, height, width, inChannels] = x.shape;
  const { outHeight, outWidth, outChannels } = conv;
  const { top, left } = conv.padInfo;
  const [paddedHeight, paddedWidth] = winogradPaddedSize(outHeight, outWidth);
  const padded = scope.pad(x, [
    [0, 0],
    [top, paddedHeight - height - top],
    [left, paddedWidth - width - left],
    [0, 0],
  ]);
  return {
    padded,
    shape: {
      batch,
      paddedHeight,
      paddedWidth,
      inChannels,
      outHeight,
      outWidth,
      outChannels,
    },
  };
}
