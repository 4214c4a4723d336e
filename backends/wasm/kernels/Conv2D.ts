/**
 * Conv2D and FusedConv2D with few output channels on genwasm's SIMD
 * narrow convolution (../simd/narrow_convolution.ts: sums vectorised over
 * input channels, bias and ReLU folded in, threads from genwasm's pool);
 * every other convolution goes to the stock XNNPACK kernels, which are as
 * fast as genwasm's own where output channels fill their 8-wide lanes.
 *
 * Conv2DBackpropInput is a stride-1 Conv2D, so the input gradients of
 * convolutions with few input channels (the flow coupling networks' first
 * layers) take this path too.
 *
 * @module
 */
import { type TensorInfo, tf } from "../../tf.ts";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { keepStockKernel, type KernelArgs, KernelScope } from "./_scope.ts";
import {
  narrowConvolution,
  packNarrowFilter,
} from "../simd/narrow_convolution.ts";
import { activeSimdKernels } from "../simd/kernels.ts";
import { heapAddress, padForTaps } from "./_padded.ts";

/** The most output channels a convolution may have to take the narrow path. */
export const NARROW_OUT_CHANNELS = 8;
/**
 * The fewest input channels: below this the sums are too short to pay for
 * a call per few outputs (the flow's 1x1 4 -> 4 mixing ran 1.5x slower).
 */
export const NARROW_MIN_IN_CHANNELS = 16;

type ConvAttrs = tf.Conv2DAttrs & Partial<tf.FusedConv2DAttrs>;

/**
 * The forward geometry where the narrow convolution applies (float32 NHWC,
 * no dilation, input channels in 4s and at least
 * {@link NARROW_MIN_IN_CHANNELS}, at most {@link NARROW_OUT_CHANNELS}
 * output channels), else undefined.
 */
export function narrowConvolutionGeometry(
  x: TensorInfo,
  filter: TensorInfo,
  attrs: ConvAttrs,
): tf.backend_util.Conv2DInfo | undefined {
  const { strides, pad, dataFormat, dilations, dimRoundingMode } = attrs;
  if (!activeSimdKernels() || x.dtype !== "float32") return undefined;
  if (dataFormat !== undefined && dataFormat !== "NHWC") return undefined;
  const conv = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filter.shape as [number, number, number, number],
    strides,
    dilations ?? 1,
    pad,
    dimRoundingMode,
  );
  const narrow = conv.dilationHeight === 1 && conv.dilationWidth === 1 &&
    conv.inChannels % 4 === 0 &&
    conv.inChannels >= NARROW_MIN_IN_CHANNELS &&
    conv.outChannels <= NARROW_OUT_CHANNELS &&
    conv.outHeight > 0 && conv.outWidth > 0;
  return narrow ? conv : undefined;
}

/** y = act(conv(x, filter) + bias) on the narrow SIMD kernels. */
function narrowConv2d(
  backend: BackendWasm,
  x: TensorInfo,
  filter: TensorInfo,
  bias: TensorInfo | undefined,
  relu: boolean,
  conv: tf.backend_util.Conv2DInfo,
): TensorInfo {
  const scope = new KernelScope(backend);
  const { padded, shape } = padForTaps(scope, x, conv);
  const packed = scope.make(filter.shape);
  const y = scope.make(conv.outShape);
  // Views only after the last allocation: a growing heap moves.
  packNarrowFilter(
    backend.typedArrayFromHeap(filter) as Float32Array,
    conv.filterHeight * conv.filterWidth,
    conv.inChannels,
    conv.outChannels,
    backend.typedArrayFromHeap(packed) as Float32Array,
  );
  const address = (info: TensorInfo) => heapAddress(backend, info);
  narrowConvolution(
    activeSimdKernels()!.pool,
    address(padded),
    address(packed),
    bias ? address(bias) : 0,
    address(y),
    relu,
    shape,
  );
  return scope.keep(y);
}

function conv2D(args: KernelArgs): TensorInfo {
  const { x, filter } = args.inputs as { x: TensorInfo; filter: TensorInfo };
  const conv = narrowConvolutionGeometry(
    x,
    filter,
    args.attrs as unknown as ConvAttrs,
  );
  if (!conv) {
    return keepStockKernel(tf.Conv2D)!.kernelFunc(args as never) as TensorInfo;
  }
  return narrowConv2d(
    args.backend as BackendWasm,
    x,
    filter,
    undefined,
    false,
    conv,
  );
}

function fusedConv2D(args: KernelArgs): TensorInfo {
  const { x, filter, bias, preluActivationWeights } = args.inputs as {
    x: TensorInfo;
    filter: TensorInfo;
    bias?: TensorInfo;
    preluActivationWeights?: TensorInfo;
  };
  const attrs = args.attrs as unknown as ConvAttrs;
  const activation = attrs.activation ?? "linear";
  const conv = narrowConvolutionGeometry(x, filter, attrs);
  const supported = conv && !preluActivationWeights &&
    (activation === "linear" || activation === "relu") &&
    (!bias ||
      (bias.dtype === "float32" &&
        tf.util.sizeFromShape(bias.shape) === conv.outChannels));
  if (!supported) {
    return keepStockKernel(tf.FusedConv2D)!.kernelFunc(
      args as never,
    ) as TensorInfo;
  }
  return narrowConv2d(
    args.backend as BackendWasm,
    x,
    filter,
    bias,
    activation === "relu",
    conv,
  );
}

/** Conv2D: narrow ones on genwasm's SIMD kernels, the rest stock. */
export const conv2DConfig: tf.KernelConfig = {
  kernelName: tf.Conv2D,
  backendName: "wasm",
  kernelFunc: conv2D as unknown as tf.KernelFunc,
};

/** FusedConv2D (bias, linear or ReLU) likewise. */
export const fusedConv2DConfig: tf.KernelConfig = {
  kernelName: tf.FusedConv2D,
  backendName: "wasm",
  kernelFunc: fusedConv2D as unknown as tf.KernelFunc,
};
