/**
 * Group normalisation forward and backward as two genwasm kernels written
 * in JavaScript over the wasm heap: two passes over the data each way, the
 * statistics in float64. Built from tfjs ops the layer took ~15 kernels and
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

/** Kernel name of the forward pass: inputs x, scale, offset; outputs y, mean, rstd. */
export const GROUP_NORM = "GenwasmGroupNorm";
/** Kernel name of the backward pass: inputs dy, x, scale, mean, rstd; outputs dx, dscale, doffset. */
export const GROUP_NORM_GRAD = "GenwasmGroupNormGrad";

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

/**
 * y, and per (sample, group) the mean and 1 / deviation, for x laid out as
 * (batch, positions, channels).
 */
export function groupNormForward(
  x: ArrayLike<number>,
  [batch, positions, channels]: [number, number, number],
  groups: number,
  scale: ArrayLike<number>,
  offset: ArrayLike<number>,
  epsilon: number,
  y: Float32Array,
  mean: Float32Array,
  rstd: Float32Array,
): void {
  const size = channels / groups;
  const count = positions * size;
  const sums = new Float64Array(channels);
  const squares = new Float64Array(channels);
  const a = new Float64Array(channels);
  const b = new Float64Array(channels);
  for (let n = 0; n < batch; n++) {
    const start = n * positions * channels;
    const end = start + positions * channels;
    sums.fill(0);
    squares.fill(0);
    for (let i = start; i < end; i += channels) {
      for (let c = 0; c < channels; c++) {
        const v = x[i + c];
        sums[c] += v;
        squares[c] += v * v;
      }
    }
    for (let g = 0; g < groups; g++) {
      let sum = 0, square = 0;
      for (let c = g * size; c < (g + 1) * size; c++) {
        sum += sums[c];
        square += squares[c];
      }
      const m = sum / count;
      const r = 1 / Math.sqrt(Math.max(square / count - m * m, 0) + epsilon);
      mean[n * groups + g] = m;
      rstd[n * groups + g] = r;
      for (let c = g * size; c < (g + 1) * size; c++) {
        a[c] = r * scale[c];
        b[c] = offset[c] - m * a[c];
      }
    }
    for (let i = start; i < end; i += channels) {
      for (let c = 0; c < channels; c++) y[i + c] = x[i + c] * a[c] + b[c];
    }
  }
}

/** dx, dscale and doffset from dy and the forward pass's x, mean and rstd. */
export function groupNormBackward(
  dy: ArrayLike<number>,
  x: ArrayLike<number>,
  [batch, positions, channels]: [number, number, number],
  groups: number,
  scale: ArrayLike<number>,
  mean: ArrayLike<number>,
  rstd: ArrayLike<number>,
  dx: Float32Array,
  dscale: Float32Array,
  doffset: Float32Array,
): void {
  const size = channels / groups;
  const count = positions * size;
  const sumDy = new Float64Array(channels);
  const sumDyX = new Float64Array(channels);
  const scaleTotals = new Float64Array(channels);
  const offsetTotals = new Float64Array(channels);
  const kDy = new Float64Array(channels);
  const kX = new Float64Array(channels);
  const k0 = new Float64Array(channels);
  for (let n = 0; n < batch; n++) {
    const start = n * positions * channels;
    const end = start + positions * channels;
    sumDy.fill(0);
    sumDyX.fill(0);
    for (let i = start; i < end; i += channels) {
      for (let c = 0; c < channels; c++) {
        const d = dy[i + c];
        sumDy[c] += d;
        sumDyX[c] += d * x[i + c];
      }
    }
    for (let g = 0; g < groups; g++) {
      const m = mean[n * groups + g], r = rstd[n * groups + g];
      let a = 0, bSum = 0;
      for (let c = g * size; c < (g + 1) * size; c++) {
        // sum over positions of dy * xhat for this sample and channel
        const dyXhat = r * (sumDyX[c] - m * sumDy[c]);
        scaleTotals[c] += dyXhat;
        offsetTotals[c] += sumDy[c];
        a += scale[c] * sumDy[c];
        bSum += scale[c] * dyXhat;
      }
      a /= count;
      bSum /= count;
      // dx = r scale dy - r A - r B xhat, with xhat = (x - m) r
      for (let c = g * size; c < (g + 1) * size; c++) {
        kDy[c] = r * scale[c];
        kX[c] = -r * r * bSum;
        k0[c] = -r * a + r * r * bSum * m;
      }
    }
    for (let i = start; i < end; i += channels) {
      for (let c = 0; c < channels; c++) {
        dx[i + c] = kDy[c] * dy[i + c] + kX[c] * x[i + c] + k0[c];
      }
    }
  }
  dscale.set(scaleTotals);
  doffset.set(offsetTotals);
}

function forward({ inputs, backend, attrs }: KernelArgs): TensorInfo[] {
  const { x, scale, offset } = inputs as Record<string, TensorInfo>;
  const { groups, epsilon } = attrs as unknown as GroupNormAttrs;
  const wasm = backend as BackendWasm;
  const y = wasm.makeOutput(x.shape, "float32");
  const mean = wasm.makeOutput([x.shape[0], groups], "float32");
  const rstd = wasm.makeOutput([x.shape[0], groups], "float32");
  // Heap views after every makeOutput (the heap may grow and move).
  const heap = (info: TensorInfo) => wasm.typedArrayFromHeap(info);
  groupNormForward(
    heap(x),
    layout(x.shape),
    groups,
    heap(scale),
    heap(offset),
    epsilon,
    heap(y) as Float32Array,
    heap(mean) as Float32Array,
    heap(rstd) as Float32Array,
  );
  return [y, mean, rstd];
}

function backward({ inputs, backend, attrs }: KernelArgs): TensorInfo[] {
  const { dy, x, scale, mean, rstd } = inputs as Record<string, TensorInfo>;
  const { groups } = attrs as unknown as GroupNormAttrs;
  const wasm = backend as BackendWasm;
  const dx = wasm.makeOutput(x.shape, "float32");
  const dscale = wasm.makeOutput(scale.shape, "float32");
  const doffset = wasm.makeOutput(scale.shape, "float32");
  const heap = (info: TensorInfo) => wasm.typedArrayFromHeap(info);
  groupNormBackward(
    heap(dy),
    heap(x),
    layout(x.shape),
    groups,
    heap(scale),
    heap(mean),
    heap(rstd),
    heap(dx) as Float32Array,
    heap(dscale) as Float32Array,
    heap(doffset) as Float32Array,
  );
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
