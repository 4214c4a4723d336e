/**
 * Batch normalisation's training-mode passes as tasks of the kernel pool
 * (../kernels/BatchNorm.ts has the formulas and the kernels that run
 * them): JavaScript over the heap the kernel module exports, each thread
 * on a contiguous share of the rows, the per-channel sums in float64. Each
 * pass is two tasks: the shares' sums into `totals` (float64, [parts, 2,
 * channels]), which the caller adds up into `totals`' first two rows; then
 * the elementwise part from those.
 *
 * @module
 */
import { poolTask } from "./pool.ts";

/**
 * One thread's share of the forward pass over x [rows, channels]. Phase 0:
 * the share's sum of x and of x^2 per channel into its rows of `totals`.
 * Phase 1: y = (x - mean) rstd gamma + beta, with mean and rstd (float32,
 * [channels]) from the caller. `job`: phase, then heap byte addresses of
 * x, gamma, beta, y, mean, rstd and totals, then rows and channels. Runs in
 * the kernel pool's workers from its source text, so everything it uses is
 * inside it.
 */
export const batchNormForwardTask = poolTask(
  [
    "phase",
    "xAt",
    "gammaAt",
    "betaAt",
    "yAt",
    "meanAt",
    "rstdAt",
    "totalsAt",
    "rows",
    "channels",
  ],
  (kernels, job, part, parts) => {
    const {
      phase,
      xAt,
      gammaAt,
      betaAt,
      yAt,
      meanAt,
      rstdAt,
      totalsAt,
      rows,
      channels,
    } = job;
    const buffer = (kernels.memory as WebAssembly.Memory).buffer;
    const heap = new Float32Array(buffer);
    const x = xAt / 4;
    const start = Math.floor(rows * part / parts) * channels;
    const end = Math.floor(rows * (part + 1) / parts) * channels;
    if (phase === 0) {
      const sums = new Float64Array(
        buffer,
        totalsAt + 16 * part * channels,
        channels,
      );
      const squares = new Float64Array(
        buffer,
        totalsAt + 8 * (2 * part + 1) * channels,
        channels,
      );
      sums.fill(0);
      squares.fill(0);
      for (let i = start; i < end; i += channels) {
        for (let c = 0; c < channels; c++) {
          const v = heap[x + i + c];
          sums[c] += v;
          squares[c] += v * v;
        }
      }
      return;
    }
    const a = new Float64Array(channels), b = new Float64Array(channels);
    for (let c = 0; c < channels; c++) {
      a[c] = heap[rstdAt / 4 + c] * heap[gammaAt / 4 + c];
      b[c] = heap[betaAt / 4 + c] - heap[meanAt / 4 + c] * a[c];
    }
    const y = yAt / 4;
    for (let i = start; i < end; i += channels) {
      for (let c = 0; c < channels; c++) {
        heap[y + i + c] = heap[x + i + c] * a[c] + b[c];
      }
    }
  },
);

/**
 * One thread's share of the backward pass, with xhat = (x - mean) rstd.
 * Phase 0: the share's sums of dy and of dy xhat per channel into its rows
 * of `totals`. Phase 1: dx = gamma rstd (dy - (sum dy + xhat sum dy xhat)
 * / rows), the sums from the first two rows of `totals`. `job`: phase, then
 * heap byte addresses of dy, x, gamma, mean, rstd, dx and totals, then rows
 * and channels. Runs in the kernel pool's workers from its source text.
 */
export const batchNormBackwardTask = poolTask(
  [
    "phase",
    "dyAt",
    "xAt",
    "gammaAt",
    "meanAt",
    "rstdAt",
    "dxAt",
    "totalsAt",
    "rows",
    "channels",
  ],
  (kernels, job, part, parts) => {
    const {
      phase,
      dyAt,
      xAt,
      gammaAt,
      meanAt,
      rstdAt,
      dxAt,
      totalsAt,
      rows,
      channels,
    } = job;
    const buffer = (kernels.memory as WebAssembly.Memory).buffer;
    const heap = new Float32Array(buffer);
    const [dy, x] = [dyAt / 4, xAt / 4];
    const start = Math.floor(rows * part / parts) * channels;
    const end = Math.floor(rows * (part + 1) / parts) * channels;
    const mean = new Float32Array(buffer, meanAt, channels);
    const rstd = new Float32Array(buffer, rstdAt, channels);
    if (phase === 0) {
      const sumDy = new Float64Array(
        buffer,
        totalsAt + 16 * part * channels,
        channels,
      );
      const sumDyXhat = new Float64Array(
        buffer,
        totalsAt + 8 * (2 * part + 1) * channels,
        channels,
      );
      // Sums of dy and dy x; dy xhat's from them after the loop.
      const sumDyX = new Float64Array(channels);
      sumDy.fill(0);
      for (let i = start; i < end; i += channels) {
        for (let c = 0; c < channels; c++) {
          const d = heap[dy + i + c];
          sumDy[c] += d;
          sumDyX[c] += d * heap[x + i + c];
        }
      }
      for (let c = 0; c < channels; c++) {
        sumDyXhat[c] = (sumDyX[c] - mean[c] * sumDy[c]) * rstd[c];
      }
      return;
    }
    const totals = new Float64Array(buffer, totalsAt, 2 * channels);
    // dx = k (dy - meanDy - xhat meanDyXhat), per channel
    //    = k dy + kX (x - mean) + k0, in float64 and x centred first, so
    // that sum dx (the gradient of a bias before the norm) stays ~0.
    const k = new Float64Array(channels), kX = new Float64Array(channels);
    const k0 = new Float64Array(channels), centre = new Float64Array(channels);
    for (let c = 0; c < channels; c++) {
      k[c] = heap[gammaAt / 4 + c] * rstd[c];
      kX[c] = -k[c] * rstd[c] * totals[channels + c] / rows;
      k0[c] = -k[c] * totals[c] / rows;
      centre[c] = mean[c];
    }
    const dx = dxAt / 4;
    for (let i = start; i < end; i += channels) {
      for (let c = 0; c < channels; c++) {
        heap[dx + i + c] = k[c] * heap[dy + i + c] +
          kX[c] * (heap[x + i + c] - centre[c]) + k0[c];
      }
    }
  },
);
