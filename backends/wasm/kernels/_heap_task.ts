/**
 * Running a pool task written in JavaScript over the wasm heap (GroupNorm's,
 * BatchNorm's): on the kernel pool's threads, or on this thread alone where
 * the SIMD kernels (and so the pool) did not build.
 *
 * @module
 */
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { activeSimdKernels } from "../simd/kernels.ts";
import type { PoolTask } from "../simd/pool.ts";

/** Runs `task` (the pool's task `taskIndex`) with `job`. */
export function runHeapTask(
  backend: BackendWasm,
  taskIndex: number,
  task: PoolTask,
  job: number[],
): void {
  const kernels = activeSimdKernels();
  if (kernels) {
    kernels.pool.run(taskIndex, job);
    return;
  }
  const memory = {
    buffer: (backend.wasm as unknown as { HEAPU8: Uint8Array }).HEAPU8.buffer,
  };
  task(
    { memory } as unknown as WebAssembly.Exports,
    Int32Array.from(job),
    0,
    1,
  );
}
