/**
 * genwasm's SIMD kernels as Deno, Node and Bun start them: the module's text
 * assembled by wabt, the pool's threads from node:worker_threads.
 *
 * @module
 */
import {
  kernelModuleWat,
  type SimdKernels,
  startSimdKernels,
} from "./kernels.ts";
import { assembleWat } from "./assemble.ts";
import { nodeWorkers } from "./node_workers.ts";

/**
 * Builds the kernels on `memory` (the tfjs-backend-wasm heap) with a pool
 * of `threads` whose worker script goes in `cacheDir` (see
 * {@link startSimdKernels}).
 */
export async function buildSimdKernels(
  memory: WebAssembly.Memory | undefined,
  threads: number,
  cacheDir: string,
): Promise<SimdKernels | undefined> {
  return await startSimdKernels(memory, threads, {
    binary: (fused, shared) =>
      assembleWat(kernelModuleWat(fused, shared), fused),
    spawn: nodeWorkers(cacheDir),
  });
}
