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
import { type KernelArgs, runStockKernel } from "./_scope.ts";

function identity(args: KernelArgs): TensorInfo {
  const { x } = args.inputs as { x: TensorInfo };
  if (x.dtype === "string") {
    return runStockKernel(tf.Identity, args);
  }
  (args.backend as BackendWasm).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

/**
 * Cast to the dtype a tensor has is Identity (as on the cpu backend): the
 * stock kernel copies, and ReLU's gradient casts its float32 Step mask to
 * float32 (85 copies per flow training step).
 */
function cast(args: KernelArgs): TensorInfo {
  const { x } = args.inputs as { x: TensorInfo };
  const { dtype } = args.attrs as unknown as tf.CastAttrs;
  if (dtype !== x.dtype) {
    return runStockKernel(tf.Cast, args);
  }
  return identity({ inputs: { x }, backend: args.backend });
}

/** Replaces tfjs-backend-wasm's copying Identity. */
export const identityConfig: tf.KernelConfig = {
  kernelName: tf.Identity,
  backendName: "wasm",
  kernelFunc: identity as unknown as tf.KernelFunc,
};

/** Replaces tfjs-backend-wasm's Cast where the dtype stays: no copy. */
export const castConfig: tf.KernelConfig = {
  kernelName: tf.Cast,
  backendName: "wasm",
  kernelFunc: cast as unknown as tf.KernelFunc,
};
