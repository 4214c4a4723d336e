/**
 * Matrix transposes, [batch, rows, columns] -> [batch, columns, rows], on
 * genwasm's SIMD kernels and threads: 4x4 blocks, each four f32x4 loads,
 * eight shuffles and four stores; the last rows and columns (past a
 * multiple of 4) one float at a time. tfjs-backend-wasm's Transpose took
 * ~8 ns a float on the dense layers' operands (3.3 ms for 64 x 6272).
 *
 * @module
 */
import { type KernelPool, poolTask } from "./pool.ts";

/** Bytes 0-15 of a and b (16-31) interleaved in 4-byte lanes: a0 b0 a1 b1. */
const LOW_LANES = "0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23";
/** a2 b2 a3 b3. */
const HIGH_LANES = "8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31";
/** The low 8 bytes of a, then of b. */
const LOW_HALVES = "0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23";
/** The high 8 bytes of a, then of b. */
const HIGH_HALVES = "8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31";

/**
 * `transpose_4x4`: `rowBlocks` x `columnBlocks` 4x4 blocks of floats from
 * `src` (rows `srcStride` bytes apart) to `dst` (rows `dstStride` apart),
 * block (i, j) of src becoming block (j, i) of dst, transposed.
 */
export function transposeWat(): string {
  const shuffle = (a: string, b: string, lanes: string) =>
    `local.get ${a} local.get ${b} i8x16.shuffle ${lanes}`;
  return [
    `(func (export "transpose_4x4")`,
    `(param $src i32) (param $dst i32) (param $rowBlocks i32) (param $columnBlocks i32)`,
    `(param $srcStride i32) (param $dstStride i32)`,
    `(local $ps i32) (local $pd i32) (local $j i32)`,
    `(local $r0 v128) (local $r1 v128) (local $r2 v128) (local $r3 v128)`,
    `(local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)`,
    `(loop $rows`,
    `local.get $src local.set $ps`,
    `local.get $dst local.set $pd`,
    `local.get $columnBlocks local.set $j`,
    `(loop $columns`,
    ...[0, 1, 2, 3].map((r) =>
      `local.get $ps local.get $srcStride i32.const ${r} i32.mul i32.add v128.load local.set $r${r}`
    ),
    `${shuffle("$r0", "$r1", LOW_LANES)} local.set $t0`,
    `${shuffle("$r0", "$r1", HIGH_LANES)} local.set $t1`,
    `${shuffle("$r2", "$r3", LOW_LANES)} local.set $t2`,
    `${shuffle("$r2", "$r3", HIGH_LANES)} local.set $t3`,
    ...([["$t0", "$t2", LOW_HALVES], ["$t0", "$t2", HIGH_HALVES], [
      "$t1",
      "$t3",
      LOW_HALVES,
    ], ["$t1", "$t3", HIGH_HALVES]] as const).map(([a, b, lanes], r) =>
      `local.get $pd local.get $dstStride i32.const ${r} i32.mul i32.add ${
        shuffle(a, b, lanes)
      } v128.store`
    ),
    `local.get $ps i32.const 16 i32.add local.set $ps`,
    `local.get $pd local.get $dstStride i32.const 4 i32.mul i32.add local.set $pd`,
    `local.get $j i32.const 1 i32.sub local.tee $j br_if $columns)`,
    `local.get $src local.get $srcStride i32.const 4 i32.mul i32.add local.set $src`,
    `local.get $dst i32.const 16 i32.add local.set $dst`,
    `local.get $rowBlocks i32.const 1 i32.sub local.tee $rowBlocks br_if $rows)`,
    `)`,
  ].join("\n");
}

/**
 * One thread's share of a transpose: a contiguous run of the (batch entry,
 * 4-row block) bands, and of the rows past the last whole block; each
 * thread does the columns past the last whole block of its own rows.
 */
export const transposeTask = poolTask(
  ["src", "dst", "batch", "rows", "columns"],
  (kernels, job, part, parts) => {
    const { src, dst, batch, rows, columns } = job;
    const heap = new Float32Array(
      (kernels.memory as WebAssembly.Memory).buffer,
    );
    const kernel = kernels.transpose_4x4 as (...args: number[]) => void;
    const bands = Math.floor(rows / 4), columnBlocks = Math.floor(columns / 4);
    const rowsPerEntry = bands + (rows % 4);
    // Units: each band of 4 rows, then each row past the bands, per entry.
    const units = batch * rowsPerEntry;
    const first = Math.floor(units * part / parts);
    const end = Math.floor(units * (part + 1) / parts);
    for (let unit = first; unit < end; unit++) {
      const entry = Math.floor(unit / rowsPerEntry);
      const index = unit % rowsPerEntry;
      const row = index < bands ? 4 * index : 4 * bands + (index - bands);
      const height = index < bands ? 4 : 1;
      const from = src / 4 + entry * rows * columns;
      const to = dst / 4 + entry * rows * columns;
      if (height === 4 && columnBlocks > 0) {
        kernel(
          4 * (from + row * columns),
          4 * (to + row),
          1,
          columnBlocks,
          4 * columns,
          4 * rows,
        );
      }
      const firstColumn = height === 4 ? 4 * columnBlocks : 0;
      for (let r = row; r < row + height; r++) {
        for (let c = firstColumn; c < columns; c++) {
          heap[to + c * rows + r] = heap[from + r * columns + c];
        }
      }
    }
  },
);

/**
 * `dst` [batch, columns, rows] = `src` [batch, rows, columns] transposed
 * (byte addresses on the heap the pool's kernels run on; they must not
 * overlap), on all the pool's threads.
 */
export function transposeLastTwo(
  pool: KernelPool,
  src: number,
  dst: number,
  batch: number,
  rows: number,
  columns: number,
): void {
  pool.run(transposeTask, { src, dst, batch, rows, columns });
}
