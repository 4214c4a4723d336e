/**
 * LeakyRelu, Greater (a tensor against a scalar) and Select on genwasm's
 * threaded SIMD elementwise kernels (../simd/elementwise.ts), the three
 * kernels of a LeakyReLU layer and its gradient; every other case
 * (broadcasting, other dtypes, sizes not in 16s, alpha outside [0, 1])
 * goes to the stock kernels.
 *
 * @module
 */
import { type TensorInfo, tf } from "../../tf.ts";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { type KernelArgs, runStockKernel } from "./_scope.ts";
import { heapAddress } from "./_padded.ts";
import { activeSimdKernels } from "../simd/kernels.ts";
import {
  Elementwise,
  elementwiseFits,
  runElementwise,
} from "../simd/elementwise.ts";

const sizeOf = (info: TensorInfo) => tf.util.sizeFromShape(info.shape);

function leakyRelu(args: KernelArgs): TensorInfo {
  const { x } = args.inputs as { x: TensorInfo };
  const { alpha } = args.attrs as unknown as tf.LeakyReluAttrs;
  const kernels = activeSimdKernels();
  if (
    !kernels || x.dtype !== "float32" || !elementwiseFits(sizeOf(x)) ||
    !(alpha >= 0 && alpha <= 1)
  ) {
    return runStockKernel(tf.LeakyRelu, args);
  }
  const backend = args.backend as BackendWasm;
  const y = backend.makeOutput(x.shape, "float32");
  runElementwise(kernels.pool, Elementwise.LeakyRelu, sizeOf(x), alpha, [
    heapAddress(backend, x),
    heapAddress(backend, y),
  ]);
  return y;
}

function greater(args: KernelArgs): TensorInfo {
  const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
  const kernels = activeSimdKernels();
  if (
    !kernels || a.dtype !== "float32" || b.dtype !== "float32" ||
    sizeOf(b) !== 1 || !elementwiseFits(sizeOf(a))
  ) {
    return runStockKernel(tf.Greater, args);
  }
  const backend = args.backend as BackendWasm;
  const threshold = (backend.typedArrayFromHeap(b) as Float32Array)[0];
  const out = backend.makeOutput(a.shape, "bool");
  runElementwise(
    kernels.pool,
    Elementwise.GreaterScalar,
    sizeOf(a),
    threshold,
    [
      heapAddress(backend, a),
      heapAddress(backend, out),
    ],
  );
  return out;
}

function select(args: KernelArgs): TensorInfo {
  const { condition, t, e } = args.inputs as {
    condition: TensorInfo;
    t: TensorInfo;
    e: TensorInfo;
  };
  const kernels = activeSimdKernels();
  const same = (info: TensorInfo) =>
    tf.util.arraysEqual(info.shape, condition.shape);
  if (
    !kernels || condition.dtype !== "bool" || t.dtype !== "float32" ||
    e.dtype !== "float32" || !same(t) || !same(e) ||
    !elementwiseFits(sizeOf(t))
  ) {
    return runStockKernel(tf.Select, args);
  }
  const backend = args.backend as BackendWasm;
  const out = backend.makeOutput(t.shape, "float32");
  runElementwise(kernels.pool, Elementwise.Select, sizeOf(t), 0, [
    heapAddress(backend, condition),
    heapAddress(backend, t),
    heapAddress(backend, e),
    heapAddress(backend, out),
  ]);
  return out;
}

/** LeakyRelu on the SIMD kernels where it fits, else stock. */
export const leakyReluConfig: tf.KernelConfig = {
  kernelName: tf.LeakyRelu,
  backendName: "wasm",
  kernelFunc: leakyRelu as unknown as tf.KernelFunc,
};

/** Greater against a scalar on the SIMD kernels where it fits, else stock. */
export const greaterConfig: tf.KernelConfig = {
  kernelName: tf.Greater,
  backendName: "wasm",
  kernelFunc: greater as unknown as tf.KernelFunc,
};

/** Select of same-shape float32 tensors on the SIMD kernels, else stock. */
export const selectConfig: tf.KernelConfig = {
  kernelName: tf.Select,
  backendName: "wasm",
  kernelFunc: select as unknown as tf.KernelFunc,
};
