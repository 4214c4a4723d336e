/**
 * Adam's update of one variable as one genwasm kernel (../simd/adam.ts):
 * the new value, first and second moments in one pass, where tfjs's
 * AdamOptimizer runs ~14 kernels with a tensor between each. The trainer's
 * optimiser (`@genwasm/train`'s FusedAdam) calls it per variable on wasm.
 *
 * @module
 */
import type { TensorInfo, tf } from "../../tf.ts";
import type { KernelArgs } from "./_scope.ts";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { heapAddress } from "./_padded.ts";
import { runHeapTask } from "./_heap_task.ts";
import { ADAM } from "../../kernel_names.ts";
import { adamTask } from "../simd/adam.ts";
import { float64Words } from "../simd/pool.ts";

/** Attributes of the Adam kernel. */
export interface AdamAttrs {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** 1 - beta1^t and 1 - beta2^t. */
  firstCorrection: number;
  secondCorrection: number;
}

function adam({ inputs, backend, attrs }: KernelArgs): TensorInfo[] {
  const { value, m, v, gradient } = inputs as Record<string, TensorInfo>;
  const a = attrs as unknown as AdamAttrs;
  const wasm = backend as BackendWasm;
  const [newValue, newM, newV] = [0, 1, 2].map(() =>
    wasm.makeOutput(value.shape, "float32")
  );
  const at = (info: TensorInfo) => heapAddress(wasm, info);
  const [rateLow, rateHigh] = float64Words(a.learningRate);
  const [beta1Low, beta1High] = float64Words(a.beta1);
  const [beta2Low, beta2High] = float64Words(a.beta2);
  const [epsilonLow, epsilonHigh] = float64Words(a.epsilon);
  const [c1Low, c1High] = float64Words(a.firstCorrection);
  const [c2Low, c2High] = float64Words(a.secondCorrection);
  runHeapTask(wasm, adamTask, {
    valueAt: at(value),
    gradientAt: at(gradient),
    mAt: at(m),
    vAt: at(v),
    newValueAt: at(newValue),
    newMAt: at(newM),
    newVAt: at(newV),
    count: value.shape.reduce((x, y) => x * y, 1),
    rateLow,
    rateHigh,
    beta1Low,
    beta1High,
    beta2Low,
    beta2High,
    epsilonLow,
    epsilonHigh,
    c1Low,
    c1High,
    c2Low,
    c2High,
  });
  return [newValue, newM, newV];
}

/** The Adam kernel on wasm. */
export const adamConfig: tf.KernelConfig = {
  kernelName: ADAM,
  backendName: "wasm",
  kernelFunc: adam as unknown as tf.KernelFunc,
};
