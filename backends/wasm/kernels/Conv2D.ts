/**
 * Conv2D and FusedConv2D on genwasm's SIMD kernels where they beat
 * XNNPACK's, with bias and ReLU folded in and threads from genwasm's pool:
 * - stride-1 3x3 and 2x2 convolutions with input channels in 4s and output
 *   channels in 8s by Winograd's F(4x4, 3x3), F(2x2, 3x3) and F(3x3, 2x2)
 *   (../simd/winograd.ts, ./_winograd.ts: 4x, 2.25x and 2.25x fewer
 *   multiplications than the direct convolution XNNPACK runs);
 * - few output channels on the narrow convolution
 *   (../simd/narrow_convolution.ts: sums vectorised over input channels).
 * Every other convolution goes to the stock XNNPACK kernels, which are as
 * fast as genwasm's own direct convolutions where output channels fill
 * their 8-wide lanes.
 *
 * Conv2DBackpropInput is a stride-1 Conv2D (a 2x2 one for the 4x4
 * stride-2 convolutions of the GANs and the VAE), so the input gradients
 * take these paths too, and those of convolutions with few input channels
 * (the flow coupling networks' first layers).
 *
 * @module
 */
import { type TensorInfo, tf } from "../../tf.ts";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { type KernelArgs, KernelScope, runStockKernel } from "./_scope.ts";
import {
  narrowConvolution,
  packNarrowFilter,
} from "../simd/narrow_convolution.ts";
import { activeSimdKernels } from "../simd/kernels.ts";
import { heapAddress, padForTaps } from "./_padded.ts";
import {
  type OutputLayout,
  packWinogradFilter,
  winogradConvolution,
  winogradScratchBytes,
  type WinogradShape,
} from "../simd/winograd.ts";
import { padForWinograd, winogradAlgorithmFor } from "./_winograd.ts";
import {
  blockedFilter,
  blockedWinograd,
  blocksForWinograd,
} from "./_space_to_depth.ts";
import {
  tileSize,
  type WinogradAlgorithm,
} from "../simd/winograd_algorithms.ts";

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
  const conv = simdGeometry(x, filter, attrs);
  return conv && isNarrowConvolution(conv) ? conv : undefined;
}

function isNarrowConvolution(conv: tf.backend_util.Conv2DInfo): boolean {
  return conv.inChannels % 4 === 0 &&
    conv.inChannels >= NARROW_MIN_IN_CHANNELS &&
    conv.outChannels <= NARROW_OUT_CHANNELS;
}

/** The convolution's geometry where genwasm's SIMD kernels can run it, else undefined. */
function simdGeometry(
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
  const plain = conv.dilationHeight === 1 && conv.dilationWidth === 1 &&
    conv.outHeight > 0 && conv.outWidth > 0;
  return plain ? conv : undefined;
}

/**
 * y = act(conv(x, filter) + bias) by a Winograd `algorithm`, laid out as
 * `layout` says (by default as the convolution's output; a depth-to-space
 * layout writes a strided convolution's input gradient from its sub-pixel
 * phases: ./Conv2DBackpropInput.ts).
 */
export function winogradConv2d(
  backend: BackendWasm,
  algorithm: WinogradAlgorithm,
  x: TensorInfo,
  filter: TensorInfo,
  bias: TensorInfo | undefined,
  relu: boolean,
  conv: tf.backend_util.Conv2DInfo,
  layout?: OutputLayout,
): TensorInfo {
  const scope = new KernelScope(backend);
  const input = padForWinograd(scope, x, conv, algorithm);
  return scope.keep(
    winogradOnPadded(scope, algorithm, input, filter, bias, relu, layout),
  );
}

/**
 * A strided convolution as a stride-1 one over x's space-to-depth blocks
 * (./_space_to_depth.ts), by Winograd.
 */
function blockedWinogradConv2d(
  backend: BackendWasm,
  path: NonNullable<ReturnType<typeof blockedWinograd>>,
  x: TensorInfo,
  filter: TensorInfo,
  bias: TensorInfo | undefined,
  relu: boolean,
  conv: tf.backend_util.Conv2DInfo,
): TensorInfo {
  const scope = new KernelScope(backend);
  const input = blocksForWinograd(scope, x, conv, path.algorithm);
  const blocked = blockedFilter(
    scope,
    filter,
    path.blocked,
    conv.strideHeight,
    conv.strideWidth,
  );
  return scope.keep(
    winogradOnPadded(scope, path.algorithm, input, blocked, bias, relu),
  );
}

/** y (made in `scope`) from the padded input the Winograd tiles read. */
function winogradOnPadded(
  scope: KernelScope,
  algorithm: WinogradAlgorithm,
  { padded, shape }: { padded: TensorInfo; shape: WinogradShape },
  filter: TensorInfo,
  bias: TensorInfo | undefined,
  relu: boolean,
  layout?: OutputLayout,
): TensorInfo {
  const { batch, inChannels, outChannels } = shape;
  const pool = activeSimdKernels()!.pool;
  const positions = tileSize(algorithm) ** 2;
  const packed = scope.make([positions * inChannels * outChannels]);
  const scratch = scope.make([
    winogradScratchBytes(algorithm, shape, pool.threads) / 4,
  ]);
  const y = scope.make(
    layout
      ? [batch, layout.height, layout.width, layout.channels]
      : [batch, shape.outHeight, shape.outWidth, outChannels],
  );
  const address = (info: TensorInfo) => heapAddress(scope.backend, info);
  packWinogradFilter(
    pool,
    algorithm,
    address(filter),
    inChannels,
    outChannels,
    address(packed),
  );
  winogradConvolution(
    pool,
    algorithm,
    address(padded),
    address(packed),
    bias ? address(bias) : 0,
    address(y),
    relu,
    address(scratch),
    shape,
    layout,
  );
  return y;
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

/**
 * y = act(conv(x, filter) + bias) on genwasm's SIMD kernels, narrow first
 * (few output channels), then Winograd; undefined where neither applies.
 */
function simdConv2d(
  backend: BackendWasm,
  x: TensorInfo,
  filter: TensorInfo,
  bias: TensorInfo | undefined,
  relu: boolean,
  attrs: ConvAttrs,
): TensorInfo | undefined {
  const conv = simdGeometry(x, filter, attrs);
  if (!conv) return undefined;
  if (isNarrowConvolution(conv)) {
    return narrowConv2d(backend, x, filter, bias, relu, conv);
  }
  const algorithm = winogradAlgorithmFor(conv);
  if (algorithm) {
    return winogradConv2d(backend, algorithm, x, filter, bias, relu, conv);
  }
  const blocked = blockedWinograd(conv);
  if (blocked) {
    return blockedWinogradConv2d(backend, blocked, x, filter, bias, relu, conv);
  }
  return undefined;
}

function conv2D(args: KernelArgs): TensorInfo {
  const { x, filter } = args.inputs as { x: TensorInfo; filter: TensorInfo };
  return simdConv2d(
    args.backend as BackendWasm,
    x,
    filter,
    undefined,
    false,
    args.attrs as unknown as ConvAttrs,
  ) ?? runStockKernel(tf.Conv2D, args);
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
  const outChannels = filter.shape[3];
  const supported = !preluActivationWeights &&
    (activation === "linear" || activation === "relu") &&
    (!bias ||
      (bias.dtype === "float32" &&
        tf.util.sizeFromShape(bias.shape) === outChannels));
  const y = supported
    ? simdConv2d(
      args.backend as BackendWasm,
      x,
      filter,
      bias,
      activation === "relu",
      attrs,
    )
    : undefined;
  return y ??
    runStockKernel(tf.FusedConv2D, args);
}

/** Conv2D: narrow and Winograd ones on genwasm's SIMD kernels, the rest stock. */
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
