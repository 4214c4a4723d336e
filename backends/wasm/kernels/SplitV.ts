/**
 * SplitV as one {@link sliceNumbers} per part (tf.split takes numeric
 * tensors only).
 *
 * @module
 */
import { type TensorInfo, tf } from "../../tf.ts";
import type { KernelArgs } from "./_scope.ts";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { sliceNumbers } from "./Slice.ts";

function splitV(
  args: KernelArgs,
): TensorInfo[] {
  const { x } = args.inputs as { x: TensorInfo };
  const backend = args.backend as BackendWasm;
  const { numOrSizeSplits, axis } = args.attrs as unknown as tf.SplitVAttrs;
  const dimension = tf.util.parseAxisParam(axis, x.shape)[0];
  const sizes = tf.backend_util.prepareSplitSize(
    x as tf.Tensor,
    numOrSizeSplits,
    dimension,
  );
  const begin = new Array<number>(x.shape.length).fill(0);
  return sizes.map((part) => {
    const size = [...x.shape];
    size[dimension] = part;
    const out = sliceNumbers(backend, x, [...begin], size);
    begin[dimension] += part;
    return out;
  });
}

/** Replaces tfjs-backend-wasm's SplitV (built on its slow Slice). */
export const splitVConfig: tf.KernelConfig = {
  kernelName: tf.SplitV,
  backendName: "wasm",
  kernelFunc: splitV as unknown as tf.KernelFunc,
};
