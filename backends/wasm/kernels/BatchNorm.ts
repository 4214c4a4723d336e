/**
 * Batch normalisation in training mode, forward and backward, as two
 * genwasm kernels over the wasm heap (../simd/batch_norm.ts): per channel
 * of x [rows, channels], statistics over the rows,
 *
 *   mean = sum x / rows,  variance = sum x^2 / rows - mean^2,
 *   rstd = 1 / sqrt(variance + epsilon),  y = (x - mean) rstd gamma + beta;
 *
 *   dbeta = sum dy,  dgamma = sum dy xhat  (xhat = (x - mean) rstd),
 *   dx = gamma rstd (dy - (dbeta + xhat dgamma) / rows).
 *
 * Each is one pass of sums and one elementwise pass, on the kernel pool's
 * threads. Built from tfjs ops (moments, then the gradient of every op)
 * a layer took ~25 kernel calls forward and backward: 34 ms at (12544, 64)
 * on one thread, the dcgan generator's.
 * `models/batch_norm.ts` calls them through tf.customGrad on wasm.
 *
 * @module
 */
import type { TensorInfo, tf } from "../../tf.ts";
import type { KernelArgs } from "./_scope.ts";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { heapAddress } from "./_padded.ts";
import { BATCH_NORM, BATCH_NORM_GRAD } from "../../kernel_names.ts";
import { runHeapTask } from "./_heap_task.ts";
import {
  batchNormBackwardTask,
  batchNormForwardTask,
} from "../simd/batch_norm.ts";
import { activeSimdKernels } from "../simd/kernels.ts";

/** Attributes of the forward kernel. */
export interface BatchNormAttrs {
  epsilon: number;
}

/** Float64 per-thread sums ([threads, 2, channels]), as a float32 tensor's bytes. */
function makeTotals(wasm: BackendWasm, channels: number): TensorInfo {
  const threads = activeSimdKernels()?.pool.threads ?? 1;
  return wasm.makeOutput([threads * 2 * channels * 2], "float32");
}

/** The threads' sums added up into totals' first two rows; returns them. */
function addUpTotals(
  wasm: BackendWasm,
  totals: TensorInfo,
  channels: number,
): Float64Array {
  const threads = activeSimdKernels()?.pool.threads ?? 1;
  const sums = new Float64Array(
    wasm.typedArrayFromHeap(totals).buffer,
    heapAddress(wasm, totals),
    threads * 2 * channels,
  );
  for (let t = 1; t < threads; t++) {
    for (let i = 0; i < 2 * channels; i++) {
      sums[i] += sums[2 * t * channels + i];
    }
  }
  return sums;
}

function forward({ inputs, backend, attrs }: KernelArgs): TensorInfo[] {
  const { x, gamma, beta } = inputs as Record<string, TensorInfo>;
  const { epsilon } = attrs as unknown as BatchNormAttrs;
  const wasm = backend as BackendWasm;
  const channels = x.shape.at(-1)!;
  const rows = x.shape.reduce((a, b) => a * b, 1) / channels;
  const y = wasm.makeOutput(x.shape, "float32");
  const [mean, variance, rstd] = [0, 1, 2].map(() =>
    wasm.makeOutput([channels], "float32")
  );
  const totals = makeTotals(wasm, channels);
  // Addresses after every makeOutput (the heap may grow and move).
  const at = (info: TensorInfo) => heapAddress(wasm, info);
  const job = (phase: number) => ({
    phase,
    xAt: at(x),
    gammaAt: at(gamma),
    betaAt: at(beta),
    yAt: at(y),
    meanAt: at(mean),
    rstdAt: at(rstd),
    totalsAt: at(totals),
    rows,
    channels,
  });
  runHeapTask(wasm, batchNormForwardTask, job(0));
  const sums = addUpTotals(wasm, totals, channels);
  const [meanOut, varianceOut, rstdOut] = [mean, variance, rstd].map((info) =>
    wasm.typedArrayFromHeap(info) as Float32Array
  );
  for (let c = 0; c < channels; c++) {
    const m = sums[c] / rows;
    const v = Math.max(sums[channels + c] / rows - m * m, 0);
    meanOut[c] = m;
    varianceOut[c] = v;
    rstdOut[c] = 1 / Math.sqrt(v + epsilon);
  }
  runHeapTask(wasm, batchNormForwardTask, job(1));
  wasm.disposeData(totals.dataId);
  return [y, mean, variance, rstd];
}

function backward({ inputs, backend }: KernelArgs): TensorInfo[] {
  const { dy, x, gamma, mean, rstd } = inputs as Record<string, TensorInfo>;
  const wasm = backend as BackendWasm;
  const channels = x.shape.at(-1)!;
  const rows = x.shape.reduce((a, b) => a * b, 1) / channels;
  const dx = wasm.makeOutput(x.shape, "float32");
  const dgamma = wasm.makeOutput([channels], "float32");
  const dbeta = wasm.makeOutput([channels], "float32");
  const totals = makeTotals(wasm, channels);
  const at = (info: TensorInfo) => heapAddress(wasm, info);
  const job = (phase: number) => ({
    phase,
    dyAt: at(dy),
    xAt: at(x),
    gammaAt: at(gamma),
    meanAt: at(mean),
    rstdAt: at(rstd),
    dxAt: at(dx),
    totalsAt: at(totals),
    rows,
    channels,
  });
  runHeapTask(wasm, batchNormBackwardTask, job(0));
  const sums = addUpTotals(wasm, totals, channels);
  const [gammaOut, betaOut] = [dgamma, dbeta].map((info) =>
    wasm.typedArrayFromHeap(info) as Float32Array
  );
  for (let c = 0; c < channels; c++) {
    betaOut[c] = sums[c];
    gammaOut[c] = sums[channels + c];
  }
  runHeapTask(wasm, batchNormBackwardTask, job(1));
  wasm.disposeData(totals.dataId);
  return [dx, dgamma, dbeta];
}

/** The forward kernel on wasm. */
export const batchNormConfig: tf.KernelConfig = {
  kernelName: BATCH_NORM,
  backendName: "wasm",
  kernelFunc: forward as unknown as tf.KernelFunc,
};

/** The backward kernel on wasm. */
export const batchNormGradConfig: tf.KernelConfig = {
  kernelName: BATCH_NORM_GRAD,
  backendName: "wasm",
  kernelFunc: backward as unknown as tf.KernelFunc,
};
