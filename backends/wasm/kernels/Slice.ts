/**
 * Slice for numbers as runs of contiguous numbers (see `_copy_runs.ts`);
 * strings go to the stock kernel.
 *
 * @module
 */
import { type TensorInfo, tf } from "../../tf.ts";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { copyBlock } from "./_copy_runs.ts";
import { type KernelArgs, runStockKernel } from "./_scope.ts";

/** A new tensor holding the block `begin`/`size` of `x` (numeric dtypes). */
export function sliceNumbers(
  backend: BackendWasm,
  x: TensorInfo,
  begin: number[],
  size: number[],
): TensorInfo {
  const out = backend.makeOutput(size, x.dtype);
  if (tf.util.sizeFromShape(size) === 0) return out;
  // Views of the heap after makeOutput, which may have grown (and moved) it.
  const target = backend.typedArrayFromHeap(out);
  const source = backend.typedArrayFromHeap(x);
  if (x.shape.length === 0) target[0] = source[0];
  else copyBlock(source, x.shape, begin, size, target);
  return out;
}

function slice(
  args: KernelArgs,
): TensorInfo {
  const { x } = args.inputs as { x: TensorInfo };
  const backend = args.backend as BackendWasm;
  if (x.dtype === "string") {
    return runStockKernel(tf.Slice, args);
  }
  const { begin, size } = args.attrs as unknown as tf.SliceAttrs;
  const [start, extent] = tf.slice_util.parseSliceParams(
    x as tf.Tensor,
    begin,
    size,
  );
  return sliceNumbers(backend, x, start, extent);
}

/** Replaces tfjs-backend-wasm's Slice (a `subarray` + `set` per innermost row). */
export const sliceConfig: tf.KernelConfig = {
  kernelName: tf.Slice,
  backendName: "wasm",
  kernelFunc: slice as unknown as tf.KernelFunc,
};
