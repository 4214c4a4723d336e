/**
 * Float32 arithmetic that tfjs-backend-wasm runs on one thread: Add, Sub
 * and Multiply where they broadcast (its broadcasting loop builds index
 * vectors per element: ~1.2 ms for a 64x14x14x64 activation plus a bias
 * of 64, 0.5 ms for 64x14x14x4 times 4 numbers), Neg, and the column sums of
 * a Sum over every axis but the innermost ones (tfjs transposes first; our
 * JavaScript loop took 1.6 ms for 64x14x14x64). Here they run 4 lanes at a
 * time, on the kernel pool's threads from {@link POOL_MIN_OUTPUTS} outputs.
 *
 * Every elementwise kernel works on `rows` rows of `cols` contiguous
 * outputs; each operand is a stream (one number per output, `v`) or one
 * number per row, splatted (`s`), and steps by its own byte stride from
 * row to row (0: the same row again, a broadcast vector). So a + b of
 * equal shapes is one row of vv, a + scalar one row of vs, x[R, C] + bias[C]
 * R rows of vv with b's stride 0, x[R, C] * y[R, 1] R rows of vs with b's
 * stride 4. Columns that are not in 4s finish one number at a time.
 * (../kernels/Arithmetic.ts leaves equal shapes and scalars to XNNPACK.)
 *
 * @module
 */
import { type KernelPool, poolTask } from "./pool.ts";

/** Binary operations: their f32x4 and f32 instructions. */
const BINARY = {
  add: "add",
  sub: "sub",
  mul: "mul",
} as const;

/** Binary operations by name. */
export type BinaryOp = keyof typeof BINARY;

/** Which operands stream (v) and which are one number per row (s). */
export type Pattern = "vv" | "vs" | "sv";

/** Unary operations: the result of operand a as f32x4 `$v` or f32 `$f`. */
const UNARY = {
  neg: { vector: "local.get $v f32x4.neg", scalar: "local.get $f f32.neg" },
} as const;

/** Unary operations by name. */
export type UnaryOp = keyof typeof UNARY;

/** Every elementwise kernel, in the order of their export names `arithmetic_<index>`. */
const KERNELS: readonly string[] = [
  ...Object.keys(BINARY).flatMap((op) =>
    ["vv", "vs", "sv"].map((pattern) => `${op}_${pattern}`)
  ),
  ...Object.keys(UNARY),
];

/** The index (export `arithmetic_<index>`) of a binary kernel. */
export function binaryKernel(op: BinaryOp, pattern: Pattern): number {
  return KERNELS.indexOf(`${op}_${pattern}`);
}

/** The index (export `arithmetic_<index>`) of a unary kernel. */
export function unaryKernel(op: UnaryOp): number {
  return KERNELS.indexOf(op);
}

/** Loads operand `which` (a or b) at byte offset `$i` plus `offset` of its row. */
function operand(which: string, stream: boolean, offset = 0): string {
  return stream
    ? `local.get $${which} local.get $i i32.add v128.load offset=${offset}`
    : `local.get $${which}s`;
}

/** The scalar load of operand `which` at byte offset `$i` of its row. */
function scalarOperand(which: string, stream: boolean): string {
  return stream
    ? `local.get $${which} local.get $i i32.add f32.load`
    : `local.get $${which} f32.load`;
}

/**
 * One kernel's function over rows: the 4-lane body `vector(offset)` (the
 * f32x4 result for the outputs at `$i + offset`), 16 outputs a turn while
 * they last, then 4, then one at a time by `scalar` (the f32 result at
 * `$i`); `prologue` runs at each row's start.
 */
function rowsFunction(
  index: number,
  prologue: string,
  vector: (offset: number) => string,
  scalar: string,
): string {
  const store = (offset: number) =>
    `local.get $out local.get $i i32.add ${
      vector(offset)
    } v128.store offset=${offset}`;
  return `(func (export "arithmetic_${index}")
(param $a i32) (param $aRow i32) (param $b i32) (param $bRow i32)
(param $out i32) (param $rows i32) (param $cols i32)
(local $i i32) (local $end i32) (local $end4 i32) (local $end16 i32)
(local $as v128) (local $bs v128) (local $v v128) (local $f f32)
local.get $cols i32.const 2 i32.shl local.set $end
local.get $end i32.const -16 i32.and local.set $end4
local.get $end i32.const -64 i32.and local.set $end16
(block $done (loop $row
local.get $rows i32.eqz br_if $done
${prologue}
i32.const 0 local.set $i
(block $b16 (loop $l16
local.get $i local.get $end16 i32.ge_u br_if $b16
${[0, 16, 32, 48].map(store).join("\n")}
local.get $i i32.const 64 i32.add local.set $i
br $l16))
(block $b4 (loop $l4
local.get $i local.get $end4 i32.ge_u br_if $b4
${store(0)}
local.get $i i32.const 16 i32.add local.set $i
br $l4))
(block $b1 (loop $l1
local.get $i local.get $end i32.ge_u br_if $b1
local.get $out local.get $i i32.add ${scalar} f32.store
local.get $i i32.const 4 i32.add local.set $i
br $l1))
local.get $out local.get $end i32.add local.set $out
local.get $a local.get $aRow i32.add local.set $a
local.get $b local.get $bRow i32.add local.set $b
local.get $rows i32.const 1 i32.sub local.set $rows
br $row)))`;
}

/**
 * The exports `arithmetic_<index>(a, aRow, b, bRow, out, rows, cols)`
 * (strides in bytes) and `column_sum(x, rows, cols,
 * acc)`, which adds the rows of x[rows, cols] into float64 acc[cols].
 */
export function arithmeticWat(): string {
  const binary = Object.entries(BINARY).flatMap(([op, instruction]) =>
    (["vv", "vs", "sv"] as const).map((pattern) => {
      const [aStream, bStream] = [pattern[0] === "v", pattern[1] === "v"];
      const prologue = [
        aStream ? "" : "local.get $a v128.load32_splat local.set $as",
        bStream ? "" : "local.get $b v128.load32_splat local.set $bs",
      ].join("\n");
      return rowsFunction(
        binaryKernel(op as BinaryOp, pattern),
        prologue,
        (offset) =>
          `${operand("a", aStream, offset)} ${
            operand("b", bStream, offset)
          } f32x4.${instruction}`,
        `${scalarOperand("a", aStream)} ${
          scalarOperand("b", bStream)
        } f32.${instruction}`,
      );
    })
  );
  const unary = Object.entries(UNARY).map(([op, { vector, scalar }]) =>
    rowsFunction(
      unaryKernel(op as UnaryOp),
      "",
      (offset) => `${operand("a", true, offset)} local.set $v ${vector}`,
      `${scalarOperand("a", true)} local.set $f ${scalar}`,
    )
  );
  return [...binary, ...unary, columnSumWat()].join("\n");
}

/** `column_sum`: see {@link arithmeticWat}. */
function columnSumWat(): string {
  return `(func (export "column_sum")
(param $x i32) (param $rows i32) (param $cols i32) (param $acc i32)
(local $i i32) (local $j i32) (local $end4 i32) (local $end i32) (local $v v128)
local.get $cols i32.const 2 i32.shl local.set $end
local.get $end i32.const -16 i32.and local.set $end4
(block $done (loop $row
local.get $rows i32.eqz br_if $done
i32.const 0 local.set $i
(block $b4 (loop $l4
local.get $i local.get $end4 i32.ge_u br_if $b4
local.get $x local.get $i i32.add v128.load local.set $v
local.get $acc local.get $i i32.const 1 i32.shl i32.add local.tee $j
local.get $j v128.load local.get $v f64x2.promote_low_f32x4 f64x2.add
v128.store
local.get $j
local.get $j v128.load offset=16
local.get $v local.get $v i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7
f64x2.promote_low_f32x4 f64x2.add
v128.store offset=16
local.get $i i32.const 16 i32.add local.set $i
br $l4))
(block $b1 (loop $l1
local.get $i local.get $end i32.ge_u br_if $b1
local.get $acc local.get $i i32.const 1 i32.shl i32.add local.tee $j
local.get $j f64.load local.get $x local.get $i i32.add f32.load f64.promote_f32 f64.add
f64.store
local.get $i i32.const 4 i32.add local.set $i
br $l1))
local.get $x local.get $end i32.add local.set $x
local.get $rows i32.const 1 i32.sub local.set $rows
br $row)))`;
}

/**
 * One thread's share of an elementwise job: a range of rows, or of one
 * row's columns in whole 16s (the last share takes the rest) when there
 * is a single row. `aLane` and `bLane` are the bytes an operand steps per
 * column (4 streaming, 0 splatted).
 */
export const arithmeticTask = poolTask(
  [
    "kernel",
    "rows",
    "cols",
    "a",
    "aRow",
    "aLane",
    "b",
    "bRow",
    "bLane",
    "out",
  ],
  (kernels, job, part, parts) => {
    const { kernel, rows, cols, aRow, aLane, bRow, bLane } = job;
    const run = kernels[`arithmetic_${kernel}`] as (
      ...args: number[]
    ) => void;
    if (rows === 1) {
      const chunks = Math.floor(cols / 16);
      const first = 16 * Math.floor(chunks * part / parts);
      const last = part === parts - 1
        ? cols
        : 16 * Math.floor(chunks * (part + 1) / parts);
      if (last <= first) return;
      run(
        job.a + aLane * first,
        aRow,
        job.b + bLane * first,
        bRow,
        job.out + 4 * first,
        1,
        last - first,
      );
      return;
    }
    const first = Math.floor(rows * part / parts);
    const last = Math.floor(rows * (part + 1) / parts);
    if (last <= first) return;
    run(
      job.a + aRow * first,
      aRow,
      job.b + bRow * first,
      bRow,
      job.out + 4 * cols * first,
      last - first,
      cols,
    );
  },
);

/**
 * One thread's share of a column sum: a range of rows of x[rows, cols]
 * summed into its own float64 acc[cols] at `acc + 8 cols part` (zeroed
 * first), for the caller to add up.
 */
export const columnSumTask = poolTask(
  ["x", "rows", "cols", "acc"],
  (kernels, job, part, parts) => {
    const { x, rows, cols } = job;
    const acc = job.acc + 8 * cols * part;
    const memory = kernels.memory as WebAssembly.Memory;
    new Uint8Array(memory.buffer, acc, 8 * cols).fill(0);
    const first = Math.floor(rows * part / parts);
    const last = Math.floor(rows * (part + 1) / parts);
    if (last <= first) return;
    (kernels.column_sum as (...args: number[]) => void)(
      x + 4 * cols * first,
      last - first,
      cols,
      acc,
    );
  },
);

/**
 * Outputs below which a job stays on the calling thread: waking the pool
 * costs more than the second thread saves. An add of n numbers on the
 * 2-core machine, pool vs alone: 33 vs 13 us at 32768, 39 vs 23 us at
 * 65536, 91 vs 100 us at 262144, 255 vs 338 us at 802816. (With the
 * threshold at 32768, whole flow and dcgan steps timed the same as with
 * every job alone.)
 */
export const POOL_MIN_OUTPUTS = 262144;

/** An operand of {@link runArithmetic}: its heap address and byte strides. */
export interface Operand {
  /** Heap byte address of its first number. */
  address: number;
  /** Bytes from one row to the next (0: every row reads the same). */
  row: number;
  /** Whether it has one number per column (else one per row, splatted). */
  stream: boolean;
}

/**
 * Runs elementwise kernel `kernel` ({@link binaryKernel}, {@link unaryKernel};
 * a unary one reads `a` alone) over out[rows, cols] at heap address `out`.
 */
export function runArithmetic(
  pool: KernelPool,
  kernel: number,
  rows: number,
  cols: number,
  a: Operand,
  b: Operand,
  out: number,
): void {
  if (rows * cols < POOL_MIN_OUTPUTS) {
    // Straight to the export: a job's packing costs microseconds here.
    (pool.exports[`arithmetic_${kernel}`] as (...args: number[]) => void)(
      a.address,
      a.row,
      b.address,
      b.row,
      out,
      rows,
      cols,
    );
    return;
  }
  pool.run(arithmeticTask, {
    kernel,
    rows,
    cols,
    a: a.address,
    aRow: a.row,
    aLane: a.stream ? 4 : 0,
    b: b.address,
    bRow: b.row,
    bLane: b.stream ? 4 : 0,
    out,
  });
}

/**
 * The column sums of x[rows, cols] at heap address `x`, in float64: each
 * thread's share into its part of `scratch` (heap bytes for 8 cols times
 * the pool's threads), then added up here.
 */
export function columnSums(
  pool: KernelPool,
  x: number,
  rows: number,
  cols: number,
  scratch: number,
): Float64Array {
  const parts = rows * cols >= POOL_MIN_OUTPUTS ? pool.threads : 1;
  const job = { x, rows, cols, acc: scratch };
  if (parts > 1) pool.run(columnSumTask, job);
  else columnSumTask.run(pool.exports, job, 0, 1);
  const memory = pool.exports.memory as WebAssembly.Memory;
  const partial = new Float64Array(
    memory.buffer.slice(scratch, scratch + 8 * cols * parts),
  );
  const totals = partial.slice(0, cols);
  for (let part = 1; part < parts; part++) {
    for (let c = 0; c < cols; c++) totals[c] += partial[part * cols + c];
  }
  return totals;
}
