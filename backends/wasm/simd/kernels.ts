/**
 * genwasm's own SIMD kernels: one WebAssembly module with every microkernel
 * (the conv filter gradient's, the convolution with few output channels,
 * Winograd's convolutions and filter gradients, the zero padding they read
 * through, a LeakyReLU layer's elementwise kernels, float32 arithmetic and column sums, 2x nearest-neighbour
 * upsampling and its gradient; GroupNorm's passes in JavaScript), built at engine start on the tfjs-backend-wasm heap, and the
 * pool of threads that runs them.
 *
 * A general forward convolution built the same way (an indirect GEMM with
 * packed filter panels, commit a00af7b) ran only at parity with XNNPACK's
 * at two threads (13-18 GMAC/s both) and slowed the GAN steps, so it is
 * not here; XNNPACK falls short only where output channels are few.
 *
 * @module
 */
import { compileBinary } from "./wat.ts";
import { KernelPool, type PoolTask, type WorkerSpawner } from "./pool.ts";
import { filterGradientTask, filterGradientWat } from "./filter_gradient.ts";
import {
  narrowConvolutionTask,
  narrowConvolutionWat,
} from "./narrow_convolution.ts";
import { winogradFilterTask, winogradTask, winogradWat } from "./winograd.ts";
import { padTask, padWat, spaceToDepthTask } from "./pad.ts";
import { elementwiseTask, elementwiseWat } from "./elementwise.ts";
import { resizeTask, resizeWat } from "./resize.ts";
import { arithmeticTask, arithmeticWat, columnSumTask } from "./arithmetic.ts";
import { groupNormBackwardTask, groupNormForwardTask } from "./group_norm.ts";
import { batchNormBackwardTask, batchNormForwardTask } from "./batch_norm.ts";
import { adamTask } from "./adam.ts";
import { matMulTask } from "./matmul.ts";
import { transposeTask, transposeWat } from "./transpose.ts";
import {
  winogradFilterGradientTask,
  winogradFilterGradientWat,
} from "./winograd_filter_gradient.ts";

/** The built kernels and the threads that run them. */
export interface SimdKernels {
  /** Whether they use relaxed-SIMD fused multiply-adds. */
  fused: boolean;
  pool: KernelPool;
}

/**
 * Every task the pool runs. A new kernel adds its task here (its index is
 * its place in the list) and its WAT to {@link kernelModuleWat}.
 */
export const POOL_TASKS: readonly PoolTask[] = [
  filterGradientTask,
  narrowConvolutionTask,
  winogradTask,
  winogradFilterTask,
  winogradFilterGradientTask,
  padTask,
  spaceToDepthTask,
  elementwiseTask,
  resizeTask,
  groupNormForwardTask,
  groupNormBackwardTask,
  batchNormForwardTask,
  batchNormBackwardTask,
  adamTask,
  arithmeticTask,
  columnSumTask,
  matMulTask,
  transposeTask,
] as readonly PoolTask<string>[];

/** The module's text, importing the heap (shared or not). */
export function kernelModuleWat(fused: boolean, sharedMemory: boolean): string {
  // A shared memory must declare its maximum (any up to 4 GiB links); a
  // plain one links only if the import declares none.
  const memory = sharedMemory ? "(memory 1 65536 shared)" : "(memory 1)";
  // The heap is exported again for the tasks written in JavaScript.
  return `(module (import "env" "memory" ${memory}) (export "memory" (memory 0))
${filterGradientWat(fused)}
${narrowConvolutionWat(fused)}
${winogradWat(fused)}
${winogradFilterGradientWat(fused)}
${padWat()}
${elementwiseWat()}
${resizeWat()}
${arithmeticWat()}
${transposeWat()})`;
}

/**
 * The file name of the kernel module's binary for `fused` multiply-adds and
 * a `shared` heap, as the web page ships it.
 */
export function kernelBinaryName(fused: boolean, shared: boolean): string {
  return `genwasm-kernels-${fused ? "fma" : "mul-add"}-${
    shared ? "shared" : "unshared"
  }.wasm`;
}

/**
 * Where a kernel module's binary and its pool's threads come from: under
 * Deno, wabt assembling {@link kernelModuleWat} and worker threads
 * (./node_kernels.ts); in a browser, binaries assembled when the page was
 * built and Web Workers.
 */
export interface KernelSources {
  /** The module's binary for `fused` and a `shared` heap (or undefined). */
  binary(
    fused: boolean,
    shared: boolean,
  ): Promise<Uint8Array<ArrayBuffer> | undefined>;
  spawn: WorkerSpawner;
}

/**
 * Starts the kernels on `memory` (the tfjs-backend-wasm heap) and a pool of
 * `threads` to run them: fused where the engine validates relaxed SIMD,
 * else with a separate multiply and add; `undefined` where even plain SIMD
 * fails. A plain (unshared) heap gets no workers.
 */
export async function startSimdKernels(
  memory: WebAssembly.Memory | undefined,
  threads: number,
  sources: KernelSources,
): Promise<SimdKernels | undefined> {
  if (!memory) return undefined;
  // A page that is not cross-origin isolated has no SharedArrayBuffer.
  const shared = typeof SharedArrayBuffer === "function" &&
    memory.buffer instanceof SharedArrayBuffer;
  for (const fused of [true, false]) {
    let wasm: WebAssembly.Module | undefined;
    try {
      const binary = await sources.binary(fused, shared);
      wasm = binary && await compileBinary(binary);
    } catch {
      // An engine without relaxed SIMD may throw instead of failing validation.
    }
    if (!wasm) continue;
    const pool = await KernelPool.start(
      wasm,
      memory,
      POOL_TASKS,
      shared ? threads : 1,
      sources.spawn,
    );
    return { fused, pool };
  }
  return undefined;
}

let active: SimdKernels | undefined;

/**
 * Makes `kernels` (built on the running engine's heap) the ones genwasm's
 * wasm kernels use, closing the pool of the ones before; `undefined` turns
 * the SIMD paths off.
 */
export function useSimdKernels(kernels: SimdKernels | undefined): void {
  if (active && active !== kernels) active.pool.close();
  active = kernels;
}

/** The kernels in use, if any (see {@link useSimdKernels}). */
export function activeSimdKernels(): SimdKernels | undefined {
  return active;
}
