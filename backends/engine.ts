/**
 * Brings the compute engine up: tfjs's WebAssembly backend with SIMD and a
 * pool of threads, falling back step by step (threads -> single-thread SIMD
 * -> plain WASM), or the tfjs cpu backend for comparison.
 *
 * @module
 */
import { tf } from "./tf.ts";
import {
  defaultCacheDir,
  loadWasmModule,
  MAX_WASM_THREADS,
  unrefWorkers,
  type WasmVariant,
} from "./wasm/_loader.ts";
import {
  type BackendName,
  coreCount,
  defaultVariants,
  type EngineInfo,
  quietly,
  startWasmEngine,
} from "./wasm/_start.ts";
import { buildSimdKernels } from "./wasm/simd/node_kernels.ts";
import { checkSpinPolls } from "./wasm/_pthreadpool_spin.ts";

export {
  type BackendName,
  coreCount,
  describeEngine,
  type EngineInfo,
} from "./wasm/_start.ts";

/** Options for {@link initEngine}. */
export interface EngineOptions {
  /** "wasm" (default) or "cpu" (tfjs's plain JavaScript backend). */
  backend?: BackendName;
  /** Worker threads for the WASM backend; default: all cores (at most 8). */
  threads?: number;
  /**
   * WASM builds to try, in order. Default: threaded-simd (when threads > 1),
   * simd, plain — the first that starts wins.
   */
  variants?: WasmVariant[];
  /** Folder for the pthread worker script; default {@link defaultCacheDir}. */
  cacheDir?: string;
  /**
   * Polls before an idle XNNPACK thread sleeps, a positive multiple of 5
   * (threaded build). Default 1000, a few microseconds; tfjs ships
   * 1,000,000, which holds a core that genwasm's own kernels need (kept
   * for benchmarks: `bench:steps --stock-spin`).
   */
  spinPolls?: number;
}

let current: EngineInfo | undefined;

/**
 * Starts the engine and makes it tfjs's current backend. Calling it again
 * with other options restarts it (tensors from the old backend are lost).
 *
 * @example Start WASM with two threads
 * ```ts
 * import { initEngine } from "./engine.ts";
 * const info = await initEngine({ threads: 2 });
 * console.log(info.variant, info.threads); // threaded-simd 2, where the machine can
 * ```
 */
export async function initEngine(
  options: EngineOptions = {},
): Promise<EngineInfo> {
  const backend = options.backend ?? "wasm";
  const cores = coreCount();
  const requested = options.threads ?? cores;
  if (!Number.isInteger(requested) || requested < 1) {
    throw new Error(`threads must be a whole number >= 1, got ${requested}`);
  }
  if (backend === "cpu") {
    await quietly(() => tf.setBackend("cpu"));
    // The cpu backend greets Node users once, on first write; not wanted here.
    (tf.backend() as unknown as { firstUse: boolean }).firstUse = false;
    current = {
      backend,
      variant: "cpu",
      simd: false,
      threads: 1,
      cores,
      workers: 0,
      fma: false,
      tfjs: tf.version_core,
      fallbacks: [],
    };
    return current;
  }
  if (backend !== "wasm") {
    throw new Error(`unknown backend "${backend}": use wasm or cpu`);
  }
  if (options.spinPolls !== undefined) checkSpinPolls(options.spinPolls);
  const threads = Math.min(requested, MAX_WASM_THREADS);
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  current = await startWasmEngine(
    options.variants ?? defaultVariants(threads),
    threads,
    {
      load: (variant, threads) =>
        loadWasmModule({
          variant,
          threads,
          cacheDir,
          spinPolls: options.spinPolls,
        }),
      kernels: (memory, threads) => buildSimdKernels(memory, threads, cacheDir),
      started: unrefWorkers,
    },
  );
  return current;
}

/** What {@link initEngine} started, or undefined before it ran. */
export function engineInfo(): EngineInfo | undefined {
  return current;
}
