/**
 * Identity without a copy: the output shares the input's memory and counts
 * one more reference to it, as the cpu backend's Identity and every
 * backend's Reshape do (tensors are immutable; a variable's assign swaps in
 * new memory). The stock wasm kernel copies, and tfjs-core clones each
 * tensor it saves for a gradient through Identity: 24 copies of a 3 MB
 * activation per flow training step.
 *
 * @module
 */
import { type TensorInfo, tf } from "../../tf.ts";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { keepStockKernel, type KernelArgs } from "./_scope.ts";

function identity(args: KernelArgs): TensorInfo {
  const { x } = args.inputs as { x: TensorInfo };
  if (x.dtype === "string") {
    return keepStockKernel(tf.Identity)!.kernelFunc(
      args as never,
    ) as TensorInfo;
  }
  (args.backend as BackendWasm).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

/** Replaces tfjs-backend-wasm's copying Identity. */
export const identityConfig: tf.KernelConfig = {
  kernelName: tf.Identity,
  backendName: "wasm",
  kernelFunc: identity as unknown as tf.KernelFunc,
};
