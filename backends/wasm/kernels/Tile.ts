/**
 * Tile (and so tf.broadcastTo) for numbers as runs of contiguous numbers
 * (see `_copy_runs.ts`): each output row along the last axis is the
 * matching input row, repeated. The stock kernel computes every output
 * index separately: broadcasting (64, 1, 1, 10) to (64, 28, 28, 10) took
 * ~60 ms. Like the stock kernel (which aborts on them), no strings.
 *
 * @module
 */
import { type TensorInfo, tf } from "../../tf.ts";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { copyRun } from "./_copy_runs.ts";
import type { KernelArgs } from "./_scope.ts";

/** Writes `source` of `shape` tiled `reps` times per axis into `target`. */
export function tileInto(
  source: tf.TypedArray,
  shape: readonly number[],
  reps: readonly number[],
  target: tf.TypedArray,
): void {
  const rank = shape.length;
  if (rank === 0) {
    target[0] = source[0];
    return;
  }
  const strides = new Array<number>(rank);
  for (let d = rank - 1, stride = 1; d >= 0; d--) {
    strides[d] = stride;
    stride *= shape[d];
  }
  const row = shape[rank - 1];
  const rowReps = reps[rank - 1];
  const index = new Array<number>(rank - 1).fill(0);
  for (let to = 0; to < target.length;) {
    let from = 0;
    for (let d = 0; d < rank - 1; d++) {
      from += (index[d] % shape[d]) * strides[d];
    }
    for (let r = 0; r < rowReps; r++, to += row) {
      copyRun(source, from, target, to, row);
    }
    for (let d = rank - 2; d >= 0; d--) {
      if (++index[d] < shape[d] * reps[d]) break;
      index[d] = 0;
    }
  }
}

function tile(args: KernelArgs): TensorInfo {
  const { x } = args.inputs as { x: TensorInfo };
  if (x.dtype === "string") {
    throw new Error("tile on the wasm backend takes numbers, not strings");
  }
  const { reps } = args.attrs as unknown as tf.TileAttrs;
  const backend = args.backend as BackendWasm;
  const out = backend.makeOutput(
    x.shape.map((side, d) => side * reps[d]),
    x.dtype,
  );
  if (tf.util.sizeFromShape(out.shape) === 0) return out;
  // Heap views after makeOutput, which may have grown (and moved) the heap.
  const target = backend.typedArrayFromHeap(out);
  tileInto(backend.typedArrayFromHeap(x), x.shape, reps, target);
  return out;
}

/** Replaces tfjs-backend-wasm's Tile (index arithmetic per output number). */
export const tileConfig: tf.KernelConfig = {
  kernelName: tf.Tile,
  backendName: "wasm",
  kernelFunc: tile as unknown as tf.KernelFunc,
};
