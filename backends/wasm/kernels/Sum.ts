/**
 * Sum and Mean over axes that are not the innermost ones (bias gradients over the
 * batch and pixels, GroupNorm statistics) without the stock kernel's
 * transpose: one pass in reading order, accumulating in float64. Sums over
 * leading axes (x as [rows, cols] summed into [cols], every bias
 * gradient) run on the SIMD kernels (../simd/arithmetic.ts: 64x14x14x64
 * over [0,1,2] took 0.45-0.8 ms at 2 threads against 1.1-1.6 ms here in
 * JavaScript, on the loaded 2-core machine; [64,7,7,8] 36-47 vs 79-96 us
 * on one thread); everything else here in JavaScript. The axes
 * are merged into alternating runs of kept and summed axes; the innermost
 * run is a tight loop. Innermost-axis sums, short innermost summed runs
 * (where stepping between runs costs more than the stock transpose) and
 * non-float32 tensors go to the stock kernel. Measured at batch 64, one
 * thread, ours vs stock (a busy 2-core machine, so roughly): (64,28,28,32) over [0,1,2] 4.0 vs 5.4 ms; (64,784,8,12) over
 * [1,3] 13.9 vs 18.9 ms; (64,784,8,4) over [1,3] 10.0 vs 4.5 ms, so stock.
 *
 * @module
 */
import { type TensorInfo, tf } from "../../tf.ts";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { type KernelArgs, runStockKernel } from "./_scope.ts";
import { heapAddress } from "./_padded.ts";
import { activeSimdKernels } from "../simd/kernels.ts";
import { columnSums } from "../simd/arithmetic.ts";

/** Innermost summed runs shorter than this go to the stock kernel. */
const SHORTEST_SUMMED_RUN = 8;

/** Adjacent axes of one kind merged: sizes and whether each group is summed. */
function groupAxes(
  shape: readonly number[],
  summed: ReadonlySet<number>,
): { size: number; summed: boolean }[] {
  const groups: { size: number; summed: boolean }[] = [];
  shape.forEach((side, axis) => {
    if (side === 1) return;
    const kind = summed.has(axis);
    const last = groups.at(-1);
    if (last && last.summed === kind) last.size *= side;
    else groups.push({ size: side, summed: kind });
  });
  return groups;
}

/** Sums `source` over the summed groups into `target` (kept groups' order). */
export function sumGroups(
  source: ArrayLike<number>,
  groups: readonly { size: number; summed: boolean }[],
  target: Float64Array,
): void {
  if (groups.length === 0) {
    target[0] += source[0];
    return;
  }
  // Stride in `target` of each group: kept groups step through it, summed ones stay.
  const strides = new Array<number>(groups.length);
  for (let g = groups.length - 1, stride = 1; g >= 0; g--) {
    strides[g] = groups[g].summed ? 0 : stride;
    if (!groups[g].summed) stride *= groups[g].size;
  }
  const inner = groups.at(-1)!;
  const outer = groups.slice(0, -1);
  const index = new Array<number>(outer.length).fill(0);
  let at = 0;
  for (let from = 0; from < source.length; from += inner.size) {
    if (inner.summed) {
      let total = 0;
      for (let i = 0; i < inner.size; i++) total += source[from + i];
      target[at] += total;
    } else {
      for (let i = 0; i < inner.size; i++) target[at + i] += source[from + i];
    }
    for (let g = outer.length - 1; g >= 0; g--) {
      if (++index[g] < outer[g].size) {
        at += strides[g];
        break;
      }
      index[g] = 0;
      at -= (outer[g].size - 1) * strides[g];
    }
  }
}

/**
 * The sums over the leading axes of x as [rows, cols] (`groups`: summed
 * rows, then kept columns), bias gradients' shape, in float64 on the SIMD
 * kernels (threaded from 262144 numbers); undefined for other groupings
 * or without the kernels.
 */
function simdColumnSums(
  backend: BackendWasm,
  x: TensorInfo,
  groups: readonly { size: number; summed: boolean }[],
): Float64Array | undefined {
  const kernels = activeSimdKernels();
  if (!kernels || groups.length !== 2 || !groups[0].summed) return undefined;
  const [rows, cols] = [groups[0].size, groups[1].size];
  // Each thread's float64 partial sums: 2 float32s a column.
  const scratch = backend.makeOutput(
    [2 * cols * kernels.pool.threads],
    "float32",
  );
  try {
    return columnSums(
      kernels.pool,
      heapAddress(backend, x),
      rows,
      cols,
      heapAddress(backend, scratch),
    );
  } finally {
    backend.disposeData(scratch.dataId);
  }
}

/**
 * Sum (or, by `kernelName` Mean, the mean) over outer axes in one pass;
 * the cases the module note names go to the stock kernel of that name.
 */
function reduceOuterAxes(kernelName: string, args: KernelArgs): TensorInfo {
  const { x } = args.inputs as { x: TensorInfo };
  const { axis, keepDims } = args.attrs as unknown as tf.SumAttrs;
  const rank = x.shape.length;
  const axes = tf.util.parseAxisParam(axis, x.shape);
  const innermost = tf.backend_util.getAxesPermutation(axes, rank) === null;
  const groups = groupAxes(x.shape, new Set(axes));
  const inner = groups.at(-1);
  if (
    innermost || x.dtype !== "float32" ||
    tf.util.sizeFromShape(x.shape) === 0 ||
    (inner?.summed && inner.size < SHORTEST_SUMMED_RUN)
  ) {
    return runStockKernel(kernelName, args);
  }
  const backend = args.backend as BackendWasm;
  const [kept, reduced] = tf.backend_util.computeOutAndReduceShapes(
    x.shape,
    axes,
  );
  const outShape = keepDims
    ? tf.backend_util.expandShapeToKeepDim(kept, axes)
    : kept;
  let totals = simdColumnSums(backend, x, groups);
  if (!totals) {
    totals = new Float64Array(tf.util.sizeFromShape(kept));
    sumGroups(backend.typedArrayFromHeap(x), groups, totals);
  }
  if (kernelName === tf.Mean) {
    const count = tf.util.sizeFromShape(reduced);
    for (let i = 0; i < totals.length; i++) totals[i] /= count;
  }
  const out = backend.makeOutput(outShape, "float32");
  (backend.typedArrayFromHeap(out) as Float32Array).set(totals);
  return out;
}

/** Replaces tfjs-backend-wasm's Sum for sums over outer axes (no transpose). */
export const sumConfig: tf.KernelConfig = {
  kernelName: tf.Sum,
  backendName: "wasm",
  kernelFunc:
    ((args: KernelArgs) =>
      reduceOuterAxes(tf.Sum, args)) as unknown as tf.KernelFunc,
};

/**
 * Mean likewise (BatchNorm's moments over the batch and pixels): the
 * stock kernel transposes first, 2.3x the time of the sum here.
 */
export const meanConfig: tf.KernelConfig = {
  kernelName: tf.Mean,
  backendName: "wasm",
  kernelFunc:
    ((args: KernelArgs) =>
      reduceOuterAxes(tf.Mean, args)) as unknown as tf.KernelFunc,
};
