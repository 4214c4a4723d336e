/**
 * Group normalisation forward and backward as two genwasm kernels written
 * in JavaScript over the wasm heap: two passes over the data each way, the
 * statistics in float64, samples shared among the kernel pool's threads
 * (the tasks run in its workers, reading the heap the kernel module
 * exports). Built from tfjs ops the layer took ~15 kernels and
 * four transposing reductions per call (113 ms forward + backward at
 * (64, 28, 28, 32) on one thread, 276 ms at 96 channels).
 *
 * Forward, per sample n and group g over the positions p and the group's
 * channels c (count = positions * channels per group):
 *
 *   mean = sum x / count,  rstd = 1 / sqrt(sum x^2 / count - mean^2 + eps),
 *   y = (x - mean) rstd scale[c] + offset[c].
 *
 * Backward, with xhat = (x - mean) rstd and the group means
 * A = mean(dy scale), B = mean(dy scale xhat):
 *
 *   dx = rstd (dy scale - A - xhat B),
 *   dscale[c] = sum_{n,p} dy xhat,  doffset[c] = sum_{n,p} dy.
 *
 * `models/group_norm.ts` calls them through tf.customGrad on wasm and keeps
 * the op-by-op version for other backends (the tests compare the two).
 *
 * @module
 */
import { type TensorInfo, tf } from "../../tf.ts";
import type { KernelArgs } from "./_scope.ts";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { heapAddress } from "./_padded.ts";
import { GROUP_NORM, GROUP_NORM_GRAD } from "../../kernel_names.ts";
import { activeSimdKernels } from "../simd/kernels.ts";
import { runHeapTask } from "./_heap_task.ts";
import {
  groupNormBackwardTask,
  groupNormForwardTask,
} from "../simd/group_norm.ts";
import { float64Words } from "../simd/pool.ts";

/** Attributes of both kernels. */
export interface GroupNormAttrs {
  groups: number;
  epsilon: number;
}

/** (batch, positions, channels) of an NHWC shape. */
function layout(shape: number[]): [number, number, number] {
  const channels = shape.at(-1)!;
  const batch = shape[0];
  return [batch, tf.util.sizeFromShape(shape) / (batch * channels), channels];
}

function forward({ inputs, backend, attrs }: KernelArgs): TensorInfo[] {
  const { x, scale, offset } = inputs as Record<string, TensorInfo>;
  const { groups, epsilon } = attrs as unknown as GroupNormAttrs;
  const wasm = backend as BackendWasm;
  const y = wasm.makeOutput(x.shape, "float32");
  const mean = wasm.makeOutput([x.shape[0], groups], "float32");
  const rstd = wasm.makeOutput([x.shape[0], groups], "float32");
  // Addresses after every makeOutput (the heap may grow and move).
  const at = (info: TensorInfo) => heapAddress(wasm, info);
  const [epsilonLow, epsilonHigh] = float64Words(epsilon);
  const [batch, positions, channels] = layout(x.shape);
  runHeapTask(wasm, groupNormForwardTask, {
    xAt: at(x),
    scaleAt: at(scale),
    offsetAt: at(offset),
    yAt: at(y),
    meanAt: at(mean),
    rstdAt: at(rstd),
    batch,
    positions,
    channels,
    groups,
    epsilonLow,
    epsilonHigh,
  });
  return [y, mean, rstd];
}

function backward({ inputs, backend, attrs }: KernelArgs): TensorInfo[] {
  const { dy, x, scale, mean, rstd } = inputs as Record<string, TensorInfo>;
  const { groups } = attrs as unknown as GroupNormAttrs;
  const wasm = backend as BackendWasm;
  const channels = x.shape.at(-1)!;
  const dx = wasm.makeOutput(x.shape, "float32");
  const dscale = wasm.makeOutput(scale.shape, "float32");
  const doffset = wasm.makeOutput(scale.shape, "float32");
  // float64 sums of dscale and doffset, one pair of rows per thread.
  const threads = activeSimdKernels()?.pool.threads ?? 1;
  const totals = wasm.makeOutput([threads * 2 * channels * 2], "float32");
  const at = (info: TensorInfo) => heapAddress(wasm, info);
  const [batch, positions] = layout(x.shape);
  runHeapTask(wasm, groupNormBackwardTask, {
    dyAt: at(dy),
    xAt: at(x),
    scaleAt: at(scale),
    meanAt: at(mean),
    rstdAt: at(rstd),
    dxAt: at(dx),
    totalsAt: at(totals),
    batch,
    positions,
    channels,
    groups,
  });
  const sums = new Float64Array(
    wasm.typedArrayFromHeap(totals).buffer,
    at(totals),
    threads * 2 * channels,
  );
  const [scaleOut, offsetOut] = [dscale, doffset].map((info) =>
    wasm.typedArrayFromHeap(info) as Float32Array
  );
  for (let c = 0; c < channels; c++) {
    let scaleSum = 0, offsetSum = 0;
    for (let t = 0; t < threads; t++) {
      scaleSum += sums[2 * t * channels + c];
      offsetSum += sums[(2 * t + 1) * channels + c];
    }
    scaleOut[c] = scaleSum;
    offsetOut[c] = offsetSum;
  }
  wasm.disposeData(totals.dataId);
  return [dx, dscale, doffset];
}

/** The forward kernel on wasm. */
export const groupNormConfig: tf.KernelConfig = {
  kernelName: GROUP_NORM,
  backendName: "wasm",
  kernelFunc: forward as unknown as tf.KernelFunc,
};

/** The backward kernel on wasm. */
export const groupNormGradConfig: tf.KernelConfig = {
  kernelName: GROUP_NORM_GRAD,
  backendName: "wasm",
  kernelFunc: backward as unknown as tf.KernelFunc,
};
