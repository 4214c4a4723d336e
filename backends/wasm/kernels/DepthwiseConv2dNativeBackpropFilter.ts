/**
 * DepthwiseConv2dNativeBackpropFilter (missing from tfjs-backend-wasm): the
 * filter gradient of depthwiseConv2d, via the threaded dense kernel.
 *
 * @module
 */
import { type TensorInfo, tf } from "../../tf.ts";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { type KernelArgs, KernelScope } from "./_scope.ts";
import { conv2dBackpropFilterInto } from "./Conv2DBackpropFilter.ts";
import { depthwiseFromDense } from "./_depthwise.ts";

function depthwiseBackpropFilter(
  args: KernelArgs,
): TensorInfo {
  const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
  const { strides, dilations, pad, dimRoundingMode, filterShape } = args
    .attrs as unknown as tf.DepthwiseConv2dNativeBackpropFilterAttrs;
  const [dh, dw] = typeof dilations === "number"
    ? [dilations, dilations]
    : dilations ?? [1, 1];
  if (dh !== 1 || dw !== 1) {
    throw new Error(
      `DepthwiseConv2dNativeBackpropFilter on wasm needs dilations 1, got ${dilations}`,
    );
  }
  const [kh, kw, channels, multiplier] = filterShape;
  const conv = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    [kh, kw, channels, channels * multiplier],
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const scope = new KernelScope(args.backend as BackendWasm);
  const dense = conv2dBackpropFilterInto(scope, x, dy, conv);
  return scope.keep(depthwiseFromDense(scope, dense));
}

/** Adds the depthwise conv filter gradient to the wasm backend. */
export const depthwiseConv2dNativeBackpropFilterConfig: tf.KernelConfig = {
  kernelName: tf.DepthwiseConv2dNativeBackpropFilter,
  backendName: "wasm",
  kernelFunc: depthwiseBackpropFilter as unknown as tf.KernelFunc,
};
