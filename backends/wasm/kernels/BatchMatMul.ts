/**
 * BatchMatMul that always lands on XNNPACK's threaded GEMM.
 *
 * The stock wasm kernel uses XNNPACK only for an untransposed batch-1
 * product and otherwise runs a scalar loop 10-30x slower — which is every
 * dense layer's backward pass (dW = x^T dy, dx = dy W^T). Here transposes
 * become explicit Transpose kernels, a shared right operand folds the batch
 * into rows, a shared left operand folds it into columns, and only a true
 * batch of distinct pairs loops over batch-1 products.
 *
 * @module
 */
import { type TensorInfo, tf } from "../../tf.ts";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { type KernelArgs, KernelScope } from "./_scope.ts";

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
  const outer = tf.broadcast_util.assertAndGetBroadcastShape(outerA, outerB);
  return scope.keep(scope.reshape(out, [...outer, a3.shape[1], b3.shape[2]]));
}

/** Replaces tfjs-backend-wasm's BatchMatMul (scalar loop when transposed or batched). */
export const batchMatMulConfig: tf.KernelConfig = {
  kernelName: tf.BatchMatMul,
  backendName: "wasm",
  kernelFunc: batchMatMul as unknown as tf.KernelFunc,
};
