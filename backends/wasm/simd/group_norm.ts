/**
 * Group normalisation's forward and backward passes as tasks of the kernel
 * pool (../kernels/GroupNorm.ts has the formulas and the kernels that run
 * them): JavaScript over the heap the kernel module exports, each thread
 * on its share of the samples, the statistics in float64.
 *
 * @module
 */
import { poolTask } from "./pool.ts";

/**
 * One thread's share of the forward pass: the samples whose index is
 * `part` modulo `parts`. `job` holds heap byte addresses of x, scale,
 * offset, y, mean and rstd, then batch, positions, channels, groups and
 * epsilon's two float64 words. Runs in the kernel pool's workers from its
 * source text, so everything it uses is inside it.
 */
export const groupNormForwardTask = poolTask(
  [
    "xAt",
    "scaleAt",
    "offsetAt",
    "yAt",
    "meanAt",
    "rstdAt",
    "batch",
    "positions",
    "channels",
    "groups",
    "epsilonLow",
    "epsilonHigh",
  ],
  (kernels, job, part, parts) => {
    const {
      xAt,
      scaleAt,
      offsetAt,
      yAt,
      meanAt,
      rstdAt,
      batch,
      positions,
      channels,
      groups,
      epsilonLow,
      epsilonHigh,
    } = job;
    const heap = new Float32Array(
      (kernels.memory as WebAssembly.Memory).buffer,
    );
    const epsilon =
      new Float64Array(new Int32Array([epsilonLow, epsilonHigh]).buffer)[0];
    const [x, y, scale, offset] = [xAt / 4, yAt / 4, scaleAt / 4, offsetAt / 4];
    const size = channels / groups;
    const count = positions * size;
    const sums = new Float64Array(channels);
    const squares = new Float64Array(channels);
    const a = new Float64Array(channels);
    const b = new Float64Array(channels);
    for (let n = part; n < batch; n += parts) {
      const start = n * positions * channels;
      const end = start + positions * channels;
      sums.fill(0);
      squares.fill(0);
      for (let i = start; i < end; i += channels) {
        for (let c = 0; c < channels; c++) {
          const v = heap[x + i + c];
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
        heap[meanAt / 4 + n * groups + g] = m;
        heap[rstdAt / 4 + n * groups + g] = r;
        for (let c = g * size; c < (g + 1) * size; c++) {
          a[c] = r * heap[scale + c];
          b[c] = heap[offset + c] - m * a[c];
        }
      }
      for (let i = start; i < end; i += channels) {
        for (let c = 0; c < channels; c++) {
          heap[y + i + c] = heap[x + i + c] * a[c] + b[c];
        }
      }
    }
  },
);

/**
 * One thread's share of the backward pass: dx of the samples whose index
 * is `part` modulo `parts`, and that share's sums for dscale and doffset
 * in the thread's own row of `totals` (float64, [parts, 2, channels]),
 * which the caller adds up. `job` holds heap byte addresses of dy, x,
 * scale, mean, rstd, dx and totals, then batch, positions, channels and
 * groups. Runs in the kernel pool's workers from its source text.
 */
export const groupNormBackwardTask = poolTask(
  [
    "dyAt",
    "xAt",
    "scaleAt",
    "meanAt",
    "rstdAt",
    "dxAt",
    "totalsAt",
    "batch",
    "positions",
    "channels",
    "groups",
  ],
  (kernels, job, part, parts) => {
    const {
      dyAt,
      xAt,
      scaleAt,
      meanAt,
      rstdAt,
      dxAt,
      totalsAt,
      batch,
      positions,
      channels,
      groups,
    } = job;
    const buffer = (kernels.memory as WebAssembly.Memory).buffer;
    const heap = new Float32Array(buffer);
    const [dy, x, dx, scale] = [dyAt / 4, xAt / 4, dxAt / 4, scaleAt / 4];
    const size = channels / groups;
    const count = positions * size;
    const sumDy = new Float64Array(channels);
    const sumDyX = new Float64Array(channels);
    const scaleTotals = new Float64Array(
      buffer,
      totalsAt + 16 * part * channels,
      channels,
    );
    const offsetTotals = new Float64Array(
      buffer,
      totalsAt + 8 * (2 * part + 1) * channels,
      channels,
    );
    scaleTotals.fill(0);
    offsetTotals.fill(0);
    const kDy = new Float64Array(channels);
    const kX = new Float64Array(channels);
    const k0 = new Float64Array(channels);
    for (let n = part; n < batch; n += parts) {
      const start = n * positions * channels;
      const end = start + positions * channels;
      sumDy.fill(0);
      sumDyX.fill(0);
      for (let i = start; i < end; i += channels) {
        for (let c = 0; c < channels; c++) {
          const d = heap[dy + i + c];
          sumDy[c] += d;
          sumDyX[c] += d * heap[x + i + c];
        }
      }
      for (let g = 0; g < groups; g++) {
        const m = heap[meanAt / 4 + n * groups + g];
        const r = heap[rstdAt / 4 + n * groups + g];
        let a = 0, bSum = 0;
        for (let c = g * size; c < (g + 1) * size; c++) {
          // sum over positions of dy * xhat for this sample and channel
          const dyXhat = r * (sumDyX[c] - m * sumDy[c]);
          scaleTotals[c] += dyXhat;
          offsetTotals[c] += sumDy[c];
          a += heap[scale + c] * sumDy[c];
          bSum += heap[scale + c] * dyXhat;
        }
        a /= count;
        bSum /= count;
        // dx = r scale dy - r A - r B xhat, with xhat = (x - m) r
        for (let c = g * size; c < (g + 1) * size; c++) {
          kDy[c] = r * heap[scale + c];
          kX[c] = -r * r * bSum;
          k0[c] = -r * a + r * r * bSum * m;
        }
      }
      for (let i = start; i < end; i += channels) {
        for (let c = 0; c < channels; c++) {
          heap[dx + i + c] = kDy[c] * heap[dy + i + c] +
            kX[c] * heap[x + i + c] +
            k0[c];
        }
      }
    }
  },
);
