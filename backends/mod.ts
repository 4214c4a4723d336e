/**
 * The compute engine: tfjs's WebAssembly backend with SIMD and threads under
 * Deno, the training kernels it lacks, and what is running.
 *
 * @example
 * ```ts
 * import { describeEngine, initEngine, tf } from "./mod.ts";
 * const info = await initEngine({ threads: 2 });
 * console.log(describeEngine(info));
 * tf.tidy(() => tf.matMul(tf.ones([2, 2]), tf.ones([2, 2])).print());
 * ```
 *
 * @module
 */
export { tf } from "./tf.ts";
export {
  type BackendName,
  coreCount,
  describeEngine,
  type EngineInfo,
  engineInfo,
  type EngineOptions,
  initEngine,
} from "./engine.ts";
export { MAX_WASM_THREADS, type WasmVariant } from "./wasm/_loader.ts";
export { SPIN_POLLS, STOCK_SPIN_POLLS } from "./wasm/_pthreadpool_spin.ts";
export {
  registerWasmKernels,
  wasmKernelConfigs,
} from "./wasm/register_kernels.ts";
export * from "./kernel_names.ts";
