/**
 * OneHot that honours `dtype`: the stock wasm kernel always writes int32 bit
 * patterns, so a float32 one-hot (class labels, label smoothing) came out as
 * denormals near 1.4e-45. The stock kernel makes the 0/1 mask; a cast and an
 * affine map give any dtype and on/off values.
 *
 * @module
 */
import { type TensorInfo, tf } from "../../tf.ts";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { type KernelArgs, KernelScope } from "./_scope.ts";

function oneHot(
  args: KernelArgs,
): TensorInfo {
  const { indices } = args.inputs as { indices: TensorInfo };
  const { depth, onValue, offValue, dtype } = args
    .attrs as unknown as tf.OneHotAttrs;
  const scope = new KernelScope(args.backend as BackendWasm);
  let mask = scope.run("OneHot", { indices }, {
    depth,
    onValue: 1,
    offValue: 0,
    dtype: "int32",
  }, {
    stock: true,
  });
  if (dtype !== "int32") mask = scope.run("Cast", { x: mask }, { dtype });
  if (onValue === 1 && offValue === 0) return scope.keep(mask);
  const scalar = (value: number) =>
    scope.run("Fill", {}, { shape: [], value, dtype });
  const scaled = scope.run("Multiply", {
    a: mask,
    b: scalar(onValue - offValue),
  });
  return scope.keep(scope.run("Add", { a: scaled, b: scalar(offValue) }));
}

/** Replaces tfjs-backend-wasm's OneHot (ignores dtype). */
export const oneHotConfig: tf.KernelConfig = {
  kernelName: tf.OneHot,
  backendName: "wasm",
  kernelFunc: oneHot as unknown as tf.KernelFunc,
};
