/**
 * Concat for numbers as runs of contiguous numbers (see `_copy_runs.ts`):
 * each input adds one run per index of the axes before `axis`. Strings go
 * to the stock kernel.
 *
 * @module
 */
import { type TensorInfo, tf } from "../../tf.ts";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { copyRun } from "./_copy_runs.ts";
import { type KernelArgs, KernelScope, runStockKernel } from "./_scope.ts";

function concat(
  args: KernelArgs,
): TensorInfo {
  const inputs = args.inputs as unknown as TensorInfo[];
  const backend = args.backend as BackendWasm;
  if (inputs[0].dtype === "string") {
    return runStockKernel(tf.Concat, args);
  }
  const scope = new KernelScope(backend);
  const { axis } = args.attrs as unknown as tf.ConcatAttrs;
  const dimension = tf.util.parseAxisParam(axis, inputs[0].shape)[0];
  const shapes = inputs.map((input) => input.shape);
  tf.backend_util.assertParamsConsistent(shapes, dimension);
  const outShape = tf.backend_util.computeOutShape(shapes, dimension);
  const parts = inputs.filter((input) => tf.util.sizeFromShape(input.shape));
  if (parts.length === 1) {
    return scope.keep(scope.run("Identity", { x: parts[0] }));
  }
  const out = backend.makeOutput(outShape, inputs[0].dtype);
  if (parts.length === 0) return out;
  const rows = tf.util.sizeFromShape(outShape.slice(0, dimension));
  const widths = parts.map((part) =>
    tf.util.sizeFromShape(part.shape.slice(dimension))
  );
  const rowWidth = widths.reduce((a, b) => a + b, 0);
  // Heap views after makeOutput, which may have grown (and moved) the heap.
  const target = backend.typedArrayFromHeap(out);
  parts.forEach((part, i) => {
    const source = backend.typedArrayFromHeap(part);
    const width = widths[i];
    let to = widths.slice(0, i).reduce((a, b) => a + b, 0);
    for (let row = 0, from = 0; row < rows; row++, from += width) {
      copyRun(source, from, target, to, width);
      to += rowWidth;
    }
  });
  return out;
}

/** Replaces tfjs-backend-wasm's Concat (a `subarray` + `set` per row and input). */
export const concatConfig: tf.KernelConfig = {
  kernelName: tf.Concat,
  backendName: "wasm",
  kernelFunc: concat as unknown as tf.KernelFunc,
};
