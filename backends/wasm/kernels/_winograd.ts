/**
 * What the kernels on genwasm's Winograd convolutions (Conv2D, FusedConv2D,
 * and through them Conv2DBackpropInput; Conv2DBackpropFilter) share: which
 * convolutions take that path with which algorithm, and x padded for it.
 *
 * @module
 */
import type { TensorInfo, tf } from "../../tf.ts";
import type { KernelScope } from "./_scope.ts";
import { padHeightWidth } from "./_padded.ts";
import { activeSimdKernels } from "../simd/kernels.ts";
import { winogradPaddedSize, type WinogradShape } from "../simd/winograd.ts";
import {
  F2_3,
  F3_2,
  F4_3,
  type WinogradAlgorithm,
} from "../simd/winograd_algorithms.ts";

/**
 * The smallest convolution (in direct multiply-adds) worth the Winograd
 * path's fixed costs (padding copy, filter transform, a pool round trip):
 * below ~2M XNNPACK takes well under a millisecond.
 */
export const WINOGRAD_MIN_MULTIPLY_ADDS = 1 << 21;

let winogradEnabled = true;
let forcedThreeByThree: WinogradAlgorithm | undefined;

/**
 * Turns the Winograd paths on or off (on by default), and forces one
 * algorithm for 3x3 filters (by default each convolution gets
 * {@link threeByThreeAlgorithm}'s), for benchmarks and tests that compare
 * them with each other and with direct convolution.
 */
export function useWinograd(
  enabled: boolean,
  threeByThree?: WinogradAlgorithm,
): void {
  winogradEnabled = enabled;
  forcedThreeByThree = threeByThree;
}

/**
 * F(4x4, 3x3) where the output's sides are multiples of 4 (the 28x28
 * layers: 4x fewer multiplies, 1.3x faster than F(2x2, 3x3) there), else
 * F(2x2, 3x3): on 14x14 and 7x7 outputs F(4x4, 3x3)'s partial tiles and
 * larger transforms left it no faster, and its float32 rounding is larger.
 */
export function threeByThreeAlgorithm(
  outHeight: number,
  outWidth: number,
): WinogradAlgorithm {
  return outHeight % 4 === 0 && outWidth % 4 === 0 ? F4_3 : F2_3;
}

/**
 * The Winograd algorithm for `conv` (its forward pass, input gradient or
 * filter gradient), or undefined where it takes another path: the SIMD
 * kernels are built, float32 NHWC assumed, a 3x3 filter
 * ({@link threeByThreeAlgorithm}) or a 2x2 one (F(3x3, 2x2)), stride 1, no
 * dilation, input channels in 4s, output channels in 8s, and large enough
 * to pay.
 */
export function winogradAlgorithmFor(
  conv: tf.backend_util.Conv2DInfo,
): WinogradAlgorithm | undefined {
  const { filterHeight: kh, filterWidth: kw } = conv;
  const multiplyAdds = conv.batchSize * conv.outHeight * conv.outWidth * kh *
    kw * conv.inChannels * conv.outChannels;
  const applies = winogradEnabled && activeSimdKernels() !== undefined &&
    kh === kw && (kh === 3 || kh === 2) &&
    conv.strideHeight === 1 && conv.strideWidth === 1 &&
    conv.dilationHeight === 1 && conv.dilationWidth === 1 &&
    conv.inChannels % 4 === 0 && conv.outChannels % 8 === 0 &&
    multiplyAdds >= WINOGRAD_MIN_MULTIPLY_ADDS;
  if (!applies) return undefined;
  if (kh === 2) return F3_2;
  return forcedThreeByThree ??
    threeByThreeAlgorithm(conv.outHeight, conv.outWidth);
}

/**
 * x zero-padded (in `scope`) so that every output tile's input window of
 * `conv` under `algorithm` lies inside it, and the shape the Winograd
 * kernels take.
 */
export function padForWinograd(
  scope: KernelScope,
  x: TensorInfo,
  conv: tf.backend_util.Conv2DInfo,
  algorithm: WinogradAlgorithm,
): { padded: TensorInfo; shape: WinogradShape } {
  const [batch, height, width, inChannels] = x.shape;
  const { outHeight, outWidth, outChannels } = conv;
  const { top, left } = conv.padInfo;
  const [paddedHeight, paddedWidth] = winogradPaddedSize(
    algorithm,
    outHeight,
    outWidth,
  );
  const padded = padHeightWidth(scope, x, {
    top,
    bottom: paddedHeight - height - top,
    left,
    right: paddedWidth - width - left,
  });
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
