/**
 * DepthwiseConv2dNativeBackpropInput (missing from tfjs-backend-wasm): the
 * input gradient of depthwiseConv2d, via the threaded dense kernel.
 *
 * @module
 */
import { type TensorInfo, tf } from "../../tf.ts";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { type KernelArgs, KernelScope } from "./_scope.ts";
import { conv2dBackpropInputInto } from "./Conv2DBackpropInput.ts";
import { denseFromDepthwise } from "./_depthwise.ts";

function depthwiseBackpropInput(
  args: KernelArgs,
): TensorInfo {
  const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo };
  const { strides, dilations, pad, dimRoundingMode, inputShape } = args
    .attrs as unknown as tf.DepthwiseConv2dNativeBackpropInputAttrs;
  const [dh, dw] = typeof dilations === "number"
    ? [dilations, dilations]
    : dilations ?? [1, 1];
  if (dh !== 1 || dw !== 1) {
    throw new Error(
      `DepthwiseConv2dNativeBackpropInput on wasm needs dilations 1, got ${dilations}`,
    );
  }
  const scope = new KernelScope(args.backend as BackendWasm);
  const dense = denseFromDepthwise(scope, filter);
  const conv = tf.backend_util.computeConv2DInfo(
    inputShape,
    dense.shape as [number, number, number, number],
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  return scope.keep(conv2dBackpropInputInto(scope, dy, dense, conv));
}

/** Adds the depthwise conv input gradient to the wasm backend. */
export const depthwiseConv2dNativeBackpropInputConfig: tf.KernelConfig = {
  kernelName: tf.DepthwiseConv2dNativeBackpropInput,
  backendName: "wasm",
  kernelFunc: depthwiseBackpropInput as unknown as tf.KernelFunc,
};
