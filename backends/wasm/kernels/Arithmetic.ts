/**
 * Float32 Add, Sub and Multiply that broadcast into rows, and Neg, on
 * genwasm's SIMD kernels (../simd/arithmetic.ts): on the pool's threads
 * from 262144 outputs, on the calling thread below that. The binary ones
 * take x[R, C] with y[C] (a bias, a per-channel scale) or with y[R, 1] (a
 * number per row), on either side. Equal shapes and scalars stay on the
 * stock kernels, XNNPACK's threaded ones, as fast or faster than ours (a
 * 64x14x14x64 product: 0.4 vs 0.6 ms at 2 threads); so do Relu (XNNPACK's
 * clamp), Step (ours, threaded SIMD, was no faster than its plain loop on
 * the 2-core machine), other dtypes and two-sided broadcasts.
 *
 * @module
 */
import { type TensorInfo, tf } from "../../tf.ts";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { type KernelArgs, runStockKernel } from "./_scope.ts";
import { heapAddress } from "./_padded.ts";
import { activeSimdKernels } from "../simd/kernels.ts";
import {
  binaryKernel,
  type BinaryOp,
  type Operand,
  runArithmetic,
  unaryKernel,
  type UnaryOp,
} from "../simd/arithmetic.ts";

/** An operand's layout in out[rows, cols]: its byte stride between rows, and whether it streams. */
type Layout = Omit<Operand, "address">;

/**
 * out = a op b as rows of the SIMD kernels: the output's axes of size > 1
 * merged where both operands broadcast alike, into at most a broadcast
 * group and a group where both are full, or a full group and a broadcast
 * one (`out` is their broadcast shape). Undefined where that does not fit.
 */
export function broadcastRows(
  aShape: readonly number[],
  bShape: readonly number[],
  out: readonly number[],
): { rows: number; cols: number; a: Layout; b: Layout } | undefined {
  const pad = (shape: readonly number[]) => [
    ...new Array(out.length - shape.length).fill(1),
    ...shape,
  ];
  const [a, b] = [pad(aShape), pad(bShape)];
  // Runs of axes of size > 1 by which operands have them ("ab": both).
  const groups: { kind: "ab" | "a" | "b"; size: number }[] = [];
  out.forEach((side, d) => {
    if (side === 1) return;
    const kind = a[d] === b[d] ? "ab" : a[d] === 1 ? "b" : "a";
    const last = groups.at(-1);
    if (last?.kind === kind) last.size *= side;
    else groups.push({ kind, size: side });
  });
  const full = (row: number): Layout => ({ row, stream: true });
  const perRow: Layout = { row: 4, stream: false };
  const [first, second] = groups;
  if (groups.length <= 1) {
    const cols = first?.size ?? 1;
    const scalar: Layout = { row: 0, stream: false };
    return {
      rows: 1,
      cols,
      a: first?.kind === "b" ? scalar : full(0),
      b: first?.kind === "a" ? scalar : full(0),
    };
  }
  if (groups.length > 2) return undefined;
  const [rows, cols] = [first.size, second.size];
  if (second.kind === "ab") {
    // A vector of cols read again on every row by the side that lacks the rows.
    return {
      rows,
      cols,
      a: full(first.kind === "b" ? 0 : 4 * cols),
      b: full(first.kind === "a" ? 0 : 4 * cols),
    };
  }
  if (first.kind !== "ab") return undefined;
  // One number per row on the side that lacks the columns.
  return {
    rows,
    cols,
    a: second.kind === "b" ? perRow : full(4 * cols),
    b: second.kind === "a" ? perRow : full(4 * cols),
  };
}

/** A binary kernel function for `op`, stock `name` where it does not fit. */
function binary(name: string, op: BinaryOp) {
  return (args: KernelArgs): TensorInfo => {
    const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
    const kernels = activeSimdKernels();
    // Equal shapes and scalars first: the stock kernels', at once.
    if (
      !kernels || a.dtype !== "float32" || b.dtype !== "float32" ||
      tf.util.arraysEqual(a.shape, b.shape) ||
      tf.util.sizeFromShape(a.shape) === 1 ||
      tf.util.sizeFromShape(b.shape) === 1
    ) {
      return runStockKernel(name, args);
    }
    const outShape = tf.backend_util.assertAndGetBroadcastShape(
      a.shape,
      b.shape,
    );
    const layout = broadcastRows(a.shape, b.shape, outShape);
    if (!layout || layout.rows === 1 || tf.util.sizeFromShape(outShape) === 0) {
      return runStockKernel(name, args);
    }
    const backend = args.backend as BackendWasm;
    const out = backend.makeOutput(outShape, "float32");
    const pattern = layout.a.stream ? (layout.b.stream ? "vv" : "vs") : "sv";
    runArithmetic(
      kernels.pool,
      binaryKernel(op, pattern),
      layout.rows,
      layout.cols,
      { ...layout.a, address: heapAddress(backend, a) },
      { ...layout.b, address: heapAddress(backend, b) },
      heapAddress(backend, out),
    );
    return out;
  };
}

/** A unary kernel function for `op`, stock `name` where it does not fit. */
function unary(name: string, op: UnaryOp) {
  return (args: KernelArgs): TensorInfo => {
    const { x } = args.inputs as { x: TensorInfo };
    const kernels = activeSimdKernels();
    const size = tf.util.sizeFromShape(x.shape);
    if (!kernels || x.dtype !== "float32" || size === 0) {
      return runStockKernel(name, args);
    }
    const backend = args.backend as BackendWasm;
    const out = backend.makeOutput(x.shape, "float32");
    const input = { address: heapAddress(backend, x), row: 0, stream: true };
    runArithmetic(
      kernels.pool,
      unaryKernel(op),
      1,
      size,
      input,
      input,
      heapAddress(backend, out),
    );
    return out;
  };
}

/** The kernel config of `kernelFunc` for `kernelName`. */
function config(
  kernelName: string,
  kernelFunc: (args: KernelArgs) => TensorInfo,
): tf.KernelConfig {
  return {
    kernelName,
    backendName: "wasm",
    kernelFunc: kernelFunc as unknown as tf.KernelFunc,
  };
}

/** Float32 Add on the SIMD kernels where it broadcasts into rows, else stock. */
export const addConfig = config(tf.Add, binary(tf.Add, "add"));
/** Float32 Sub likewise. */
export const subConfig = config(tf.Sub, binary(tf.Sub, "sub"));
/** Float32 Multiply likewise. */
export const multiplyConfig = config(
  tf.Multiply,
  binary(tf.Multiply, "mul"),
);
/** Float32 Neg likewise. */
export const negConfig = config(tf.Neg, unary(tf.Neg, "neg"));
