/**
 * Matrix products on genwasm's SIMD kernels, threaded:
 *
 *   C[b, m, n] = sum_k At[b, k, m] B[b, k, n]
 *
 * with the left operand given transposed (At, K x M). That is the layout
 * the filter gradient's microkernels (./filter_gradient.ts) walk: each call
 * keeps a block of up to 6 rows x 8 columns of C in registers while it runs
 * down k, broadcasting 6 neighbouring floats of a row of At against 8 of
 * the same row of B. A dense layer's three products all take this form
 * with at most one transpose of a small operand: dW = x^T dy (none),
 * y = x W (x^T) and dx = dy W^T (W^T, or the batch's x^T, see
 * ../kernels/BatchMatMul.ts).
 *
 * Through tfjs-backend-wasm the same products ran at 3-10 GFLOPS: its
 * XNNPACK path runs on one thread and re-packs the right operand (a new
 * tensor every step) whenever it meets it.
 *
 * @module
 */
import { type KernelPool, poolTask } from "./pool.ts";
import { MAX_ROWS } from "./filter_gradient.ts";

/** One product's sizes and byte strides (a stride of 0 shares a matrix across the batch). */
export interface MatMulShape {
  batch: number;
  /** Rows of C (columns of At). */
  m: number;
  /** Columns of C and B: a multiple of 4. */
  n: number;
  /** The summed dimension: rows of At and B. */
  k: number;
  /** Bytes from one batch entry's At to the next (0: one At for all). */
  atBatchBytes: number;
  /** Bytes from one batch entry's B to the next (0: one B for all). */
  bBatchBytes: number;
}

/**
 * One thread's share of a product: a contiguous run of the (batch, row
 * block, column block) blocks, so that neighbouring columns of B, which
 * share cache lines, stay with one thread. The microkernels start from
 * zero: C's old values are neither read nor kept.
 */
export const matMulTask = poolTask(
  [
    "at",
    "b",
    "c",
    "batch",
    "m",
    "n",
    "k",
    "atBatchBytes",
    "bBatchBytes",
    "maxRows",
  ],
  (kernels, job, part, parts) => {
    const { at, b, c, batch, m, n, k, atBatchBytes, bBatchBytes, maxRows } =
      job;
    type Kernel = (...args: number[]) => void;
    // The filter gradient's zero-start microkernels by rows, 8 and 4 lanes
    // wide (their export names spelt out: this runs alone).
    const eight: Kernel[] = [], four: Kernel[] = [];
    for (let rows = 1; rows <= maxRows; rows++) {
      eight[rows] = kernels[`mm_${rows}x8`] as Kernel;
      four[rows] = kernels[`mm_${rows}x4`] as Kernel;
    }
    const rowBlocks = Math.ceil(m / maxRows), columnBlocks = Math.ceil(n / 8);
    const blocks = batch * rowBlocks * columnBlocks;
    const first = Math.floor(blocks * part / parts);
    const end = Math.floor(blocks * (part + 1) / parts);
    for (let block = first; block < end; block++) {
      // Row blocks vary fastest: the calls in a row share B's k x 8 panel.
      const row = maxRows * (block % rowBlocks);
      const columnBlock = Math.floor(block / rowBlocks);
      const entry = Math.floor(columnBlock / columnBlocks);
      const column = 8 * (columnBlock % columnBlocks);
      const rows = Math.min(maxRows, m - row);
      // One "image" of 1 x k positions, the "rows" of C its input channels.
      (n - column >= 8 ? eight : four)[rows](
        at + entry * atBatchBytes + 4 * row,
        b + entry * bBatchBytes + 4 * column,
        c + 4 * ((entry * m + row) * n + column),
        1,
        k,
        0,
        4 * m,
        4 * n,
        4 * n,
      );
    }
  },
);

/**
 * C ([batch, m, n], overwritten) = At^T B for every batch entry, At
 * [k, m] and B [k, n] per entry, all byte addresses on the heap the pool's
 * kernels run on, on all its threads.
 */
export function matMul(
  pool: KernelPool,
  at: number,
  b: number,
  c: number,
  shape: MatMulShape,
): void {
  if (shape.n % 4 !== 0) {
    throw new Error(`matMul needs columns in 4s, got ${shape.n}`);
  }
  if (shape.k === 0) {
    throw new Error("matMul needs k >= 1 (the microkernels run k down once)");
  }
  pool.run(matMulTask, { at, b, c, ...shape, maxRows: MAX_ROWS });
}
