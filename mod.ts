/**
 * genwasm: train and sample image generative models on the CPU with
 * TensorFlow.js's multithreaded WebAssembly SIMD backend, under Deno. The
 * engine's API (`@genwasm/backend`) at the top level, and each workspace
 * member's door as a namespace.
 *
 * @example Bring the engine up
 * ```ts
 * import { describeEngine, initEngine } from "./mod.ts";
 * console.log(describeEngine(await initEngine()));
 * ```
 *
 * @module
 */
export * from "@genwasm/backend";
export * as data from "@genwasm/data";
export * as evaluation from "@genwasm/eval";
export * as models from "@genwasm/models";
export * as training from "@genwasm/train";
export * as cli from "@genwasm/cli";
