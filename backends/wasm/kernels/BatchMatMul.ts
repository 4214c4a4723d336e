/**
 * BatchMatMul on genwasm's threaded SIMD kernels (../simd/matmul.ts) where
 * the product's width (or, for a width of 1, its height) is a multiple of
 * 4, else on XNNPACK's GEMM.
 *
 * The stock wasm kernel uses XNNPACK only for an untransposed batch-1
 * product and otherwise runs a scalar loop 10-30x slower — which is every
 * dense layer's backward pass (dW = x^T dy, dx = dy W^T). Its XNNPACK path
 * runs on one thread and packs the right operand anew for every new
 * tensor, so a dense layer's products ran at 3-10 GFLOPS there. On the
 * XNNPACK path here, transposes become explicit Transpose kernels, a shared
 * right operand folds the batch into rows, a shared left operand folds it
 * into columns, and only a true batch of distinct pairs loops over batch-1
 * products.
 *
 * @module
 */
import { type TensorInfo, tf } from "../../tf.ts";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { type KernelArgs, KernelScope } from "./_scope.ts";
import { activeSimdKernels } from "../simd/kernels.ts";
import { matMul } from "../simd/matmul.ts";
import type { KernelPool } from "../simd/pool.ts";
import { transposeLastTwo } from "../simd/transpose.ts";
import { heapAddress } from "./_padded.ts";

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** Untransposed [batch, M, K] x [1, K, N] on the stock (XNNPACK) path. */
function gemm(scope: KernelScope, a: TensorInfo, b: TensorInfo): TensorInfo {
  return scope.run("BatchMatMul", { a, b }, {
    transposeA: false,
    transposeB: false,
  }, {
    stock: true,
  });
}

/** a [batchA, M, K] x b [batchB, K, N] -> [max batch, M, N], no transposes. */
function batchedProduct(
  scope: KernelScope,
  a: TensorInfo,
  b: TensorInfo,
): TensorInfo {
  const [batchA, m, k] = a.shape;
  const [batchB, , n] = b.shape;
  if (batchB === 1) {
    const rows = gemm(scope, scope.reshape(a, [1, batchA * m, k]), b);
    return scope.reshape(rows, [batchA, m, n]);
  }
  if (batchA === 1) {
    // a [M, K] x [K, (batch, N)] then move the batch to the front.
    const columns = scope.reshape(scope.transpose(b, [1, 0, 2]), [
      1,
      k,
      batchB * n,
    ]);
    const out = scope.reshape(gemm(scope, a, columns), [m, batchB, n]);
    return scope.transpose(out, [1, 0, 2]);
  }
  const products: TensorInfo[] = [];
  for (let i = 0; i < batchA; i++) {
    const ai = scope.slice(a, [i, 0, 0], [1, m, k]);
    const bi = scope.slice(b, [i, 0, 0], [1, k, n]);
    products.push(gemm(scope, ai, bi));
  }
  return scope.run(
    "Concat",
    products as unknown as Record<string, TensorInfo>,
    { axis: 0 },
  );
}

/**
 * `x` [batch, rows, columns] as [batch, columns, rows]: a reshape where
 * either side is 1 (the same floats in the same order), else a copy by the
 * SIMD transpose (tfjs's Transpose took ~8 ns a float here).
 */
function swapLastTwo(
  scope: KernelScope,
  pool: KernelPool,
  x: TensorInfo,
): TensorInfo {
  const [batch, rows, columns] = x.shape;
  if (rows === 1 || columns === 1) {
    return scope.reshape(x, [batch, columns, rows]);
  }
  const out = scope.make([batch, columns, rows]);
  const address = (info: TensorInfo) => heapAddress(scope.backend, info);
  transposeLastTwo(pool, address(x), address(out), batch, rows, columns);
  return out;
}

/**
 * op(a) op(b) on the SIMD kernels (../simd/matmul.ts), which take the
 * left operand transposed, [K, M], and the right one as [K, N] with N in
 * 4s; undefined where they do not apply (no SIMD kernels, or neither N nor
 * the swapped product's width fits). A product with N = 1 runs swapped,
 * C^T = op(b)^T op(a)^T, since its [1, M] result is the same floats as
 * [M, 1]. With b shared across a's batch and a not transposed, the batch
 * folds into M, so a takes one transpose in all.
 */
function simdProduct(
  scope: KernelScope,
  a3: TensorInfo,
  b3: TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
): TensorInfo | undefined {
  const kernels = activeSimdKernels();
  if (!kernels) return undefined;
  const [batchA, ra, ca] = a3.shape, [batchB, rb, cb] = b3.shape;
  const k = transposeA ? ra : ca, n = transposeB ? rb : cb;
  let m = transposeA ? ca : ra;
  const swapped = n % 4 !== 0;
  if (swapped && !(n === 1 && m % 4 === 0)) return undefined;
  if (k === 0) return undefined;
  let batch = Math.max(batchA, batchB);
  if (batchB === 1 && batchA > 1 && !transposeA) {
    a3 = scope.reshape(a3, [1, batchA * m, k]);
    [m, batch] = [batchA * m, 1];
  }
  const at = transposeA ? a3 : swapLastTwo(scope, kernels.pool, a3); // [K, M]
  const right = transposeB ? swapLastTwo(scope, kernels.pool, b3) : b3; // [K, N]
  const [left, product] = swapped ? [right, at] : [at, right];
  const c = scope.make([batch, swapped ? n : m, swapped ? m : n]);
  // Addresses only after the last allocation: a growing heap moves.
  const address = (info: TensorInfo) => heapAddress(scope.backend, info);
  const shared = (info: TensorInfo) => info.shape[0] === 1 && batch > 1;
  matMul(kernels.pool, address(left), address(product), address(c), {
    batch,
    m: swapped ? n : m,
    n: swapped ? m : n,
    k,
    atBatchBytes: shared(left) ? 0 : 4 * k * (swapped ? n : m),
    bBatchBytes: shared(product) ? 0 : 4 * k * (swapped ? m : n),
  });
  return c;
}

function batchMatMul(
  args: KernelArgs,
): TensorInfo {
  const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
  const { transposeA, transposeB } = args
    .attrs as unknown as tf.BatchMatMulAttrs;
  const scope = new KernelScope(args.backend as BackendWasm);
  const outerA = a.shape.slice(0, -2), outerB = b.shape.slice(0, -2);
  const batchA = size(outerA), batchB = size(outerB);
  const sameBatch = batchA === batchB &&
    outerA.length === outerB.length && outerA.every((d, i) => d === outerB[i]);
  if (
    a.dtype !== "float32" || b.dtype !== "float32" ||
    !(sameBatch || batchA === 1 || batchB === 1)
  ) {
    // Mixed broadcasting of batch dims is rare: the stock kernel handles it.
    return scope.keep(
      scope.run("BatchMatMul", { a, b }, { transposeA, transposeB }, {
        stock: true,
      }),
    );
  }
  const [ra, ca] = a.shape.slice(-2), [rb, cb] = b.shape.slice(-2);
  let a3 = scope.reshape(a, [batchA, ra, ca]);
  let b3 = scope.reshape(b, [batchB, rb, cb]);
  const outer = tf.broadcast_util.assertAndGetBroadcastShape(outerA, outerB);
  const simd = (transposeA ? ra : ca) === (transposeB ? cb : rb) &&
    simdProduct(scope, a3, b3, transposeA, transposeB);
  if (simd) {
    return scope.keep(scope.reshape(simd, [
      ...outer,
      transposeA ? ca : ra,
      transposeB ? rb : cb,
    ]));
  }
  // Copies, never swapLastTwo's reshapes: XNNPACK caches its operator by
  // the right operand's tensor id, not its shape, so a reshaped tensor that
  // keeps its id would meet an operator packed for the other shape (seen:
  // the spectral norm's gradient 2% off).
  if (transposeA) a3 = scope.transpose(a3, [0, 2, 1]);
  if (transposeB) b3 = scope.transpose(b3, [0, 2, 1]);
  if (a3.shape[2] !== b3.shape[1]) {
    throw new Error(
      `Error in matMul: inner shapes (${a3.shape[2]}) and (${
        b3.shape[1]
      }) of tensors with shapes ` +
        `${a.shape} and ${b.shape} and transposeA=${transposeA} and transposeB=${transposeB} must match.`,
    );
  }
  const out = batchedProduct(scope, a3, b3);
  return scope.keep(scope.reshape(out, [...outer, a3.shape[1], b3.shape[2]]));
}

/** Replaces tfjs-backend-wasm's BatchMatMul (scalar loop when transposed or batched). */
export const batchMatMulConfig: tf.KernelConfig = {
  kernelName: tf.BatchMatMul,
  backendName: "wasm",
  kernelFunc: batchMatMul as unknown as tf.KernelFunc,
};
