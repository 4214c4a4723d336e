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

/** Runs `task` (one of the pool's tasks) with the fields of `job`. */
export function runHeapTask<F extends string>(
  backend: BackendWasm,
  task: PoolTask<F>,
  job: Readonly<Record<F, number>>,
): void {
  const kernels = activeSimdKernels();
  if (kernels) {
    kernels.pool.run(task, job);
    return;
  }
  const memory = {
    buffer: (backend.wasm as unknown as { HEAPU8: Uint8Array }).HEAPU8.buffer,
  };
  task.run({ memory } as unknown as WebAssembly.Exports, job, 0, 1);
}
