/**
 * Conv2D and FusedConv2D through genwasm's SIMD convolution
 * (../simd/convolution.ts: fused multiply-adds, bias and ReLU folded in,
 * threads from genwasm's pool) where it applies: NHWC float32, no dilation,
 * output channels in 4s, and for the fused op no activation but ReLU and no
 * PReLU weights. Everything else goes to the stock XNNPACK kernels.
 *
 * Conv2DBackpropInput is a stride-1 Conv2D (sub-pixel decomposition), so
 * the input gradients take this path too.
 *
 * @module
 */
import { type TensorInfo, tf } from "../../tf.ts";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { keepStockKernel, type KernelArgs, KernelScope } from "./_scope.ts";
import { convolution } from "../simd/convolution.ts";
import { activeSimdKernels } from "../simd/kernels.ts";
import { heapAddress, padForTaps } from "./_padded.ts";

type ConvAttrs = tf.Conv2DAttrs & Partial<tf.FusedConv2DAttrs>;

/** The forward geometry, or undefined where the SIMD convolution does not apply. */
export function simdConvolutionGeometry(
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
    conv.outChannels % 4 === 0 && conv.outHeight > 0 && conv.outWidth > 0;
  return plain ? conv : undefined;
}

/** y = act(conv(x, filter) + bias) on the SIMD kernels; x padded first. */
function simdConv2d(
  backend: BackendWasm,
  x: TensorInfo,
  filter: TensorInfo,
  bias: TensorInfo | undefined,
  relu: boolean,
  conv: tf.backend_util.Conv2DInfo,
): TensorInfo {
  const scope = new KernelScope(backend);
  const { padded, shape } = padForTaps(scope, x, conv);
  const y = scope.make(conv.outShape);
  const address = (info: TensorInfo) => heapAddress(backend, info);
  convolution(
    activeSimdKernels()!.pool,
    address(padded),
    address(filter),
    bias ? address(bias) : 0,
    address(y),
    relu,
    shape,
  );
  return scope.keep(y);
}

function conv2D(args: KernelArgs): TensorInfo {
  const { x, filter } = args.inputs as { x: TensorInfo; filter: TensorInfo };
  const conv = simdConvolutionGeometry(
    x,
    filter,
    args.attrs as unknown as ConvAttrs,
  );
  if (!conv) {
    return keepStockKernel(tf.Conv2D)!.kernelFunc(args as never) as TensorInfo;
  }
  return simdConv2d(
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
  const conv = simdConvolutionGeometry(x, filter, attrs);
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
  return simdConv2d(
    args.backend as BackendWasm,
    x,
    filter,
    bias,
    activation === "relu",
    conv,
  );
}

/** Conv2D on genwasm's SIMD kernels where they apply, else the stock one. */
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
