/**
 * genwasm: train and sample image generative models on the CPU with
 * TensorFlow.js's multithreaded WebAssembly SIMD backend, under Deno.
 *
 * @example Bring the engine up
 * ```ts
 * import { describeEngine, initEngine } from "./mod.ts";
 * console.log(describeEngine(await initEngine()));
 * ```
 *
 * @module
 */
export * from "./backends/mod.ts";
