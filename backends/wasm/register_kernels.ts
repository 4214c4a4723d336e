/**
 * The single list of kernels genwasm adds to, or replaces in,
 * tfjs-backend-wasm, and the call that registers them.
 *
 * @module
 */
import { tf } from "../tf.ts";
import { keepStockKernel } from "./kernels/_scope.ts";
import { conv2DBackpropInputConfig } from "./kernels/Conv2DBackpropInput.ts";
import { conv2DBackpropFilterConfig } from "./kernels/Conv2DBackpropFilter.ts";

/** Kernels registered for the `wasm` backend, replacing any stock kernel of the same name. */
export const wasmKernelConfigs: tf.KernelConfig[] = [
  conv2DBackpropInputConfig,
  conv2DBackpropFilterConfig,
];

let registered = false;

/** Registers {@link wasmKernelConfigs} once; later calls do nothing. */
export function registerWasmKernels(): void {
  if (registered) return;
  registered = true;
  for (const config of wasmKernelConfigs) {
    if (tf.getKernel(config.kernelName, "wasm")) {
      keepStockKernel(config.kernelName);
      tf.unregisterKernel(config.kernelName, "wasm");
    }
    tf.registerKernel(config);
  }
}
