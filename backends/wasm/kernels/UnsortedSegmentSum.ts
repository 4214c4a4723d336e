/**
 * UnsortedSegmentSum, missing from tfjs-backend-wasm and needed as the
 * gradient of gather (label embeddings): out = oneHot(ids, S)^T x data, one
 * threaded GEMM. Ids outside [0, S) contribute nothing, as in TensorFlow.
 *
 * @module
 */
import { type TensorInfo, tf } from "../../tf.ts";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { type KernelArgs, KernelScope } from "./_scope.ts";

function unsortedSegmentSum(
  args: KernelArgs,
): TensorInfo {
  const { x, segmentIds } = args.inputs as {
    x: TensorInfo;
    segmentIds: TensorInfo;
  };
  const { numSegments } = args.attrs as unknown as tf.UnsortedSegmentSumAttrs;
  const scope = new KernelScope(args.backend as BackendWasm);
  const count = segmentIds.shape.reduce((a, b) => a * b, 1);
  const inner = x.shape.slice(segmentIds.shape.length);
  const width = inner.reduce((a, b) => a * b, 1);
  let data = scope.reshape(x, [1, count, width]);
  if (data.dtype !== "float32") {
    data = scope.run("Cast", { x: data }, { dtype: "float32" });
  }
  let ids = scope.reshape(segmentIds, [count]);
  if (ids.dtype !== "int32") {
    ids = scope.run("Cast", { x: ids }, { dtype: "int32" });
  }
  const oneHot = scope.run("OneHot", { indices: ids }, {
    depth: numSegments,
    onValue: 1,
    offValue: 0,
    dtype: "float32",
  });
  const sums = scope.run("BatchMatMul", {
    a: scope.reshape(oneHot, [1, count, numSegments]),
    b: data,
  }, { transposeA: true, transposeB: false });
  let out = scope.reshape(sums, [numSegments, ...inner]);
  if (x.dtype !== "float32") {
    out = scope.run("Cast", { x: out }, { dtype: x.dtype });
  }
  return scope.keep(out);
}

/** Adds UnsortedSegmentSum (gather's gradient) to the wasm backend. */
export const unsortedSegmentSumConfig: tf.KernelConfig = {
  kernelName: tf.UnsortedSegmentSum,
  backendName: "wasm",
  kernelFunc: unsortedSegmentSum as unknown as tf.KernelFunc,
};
