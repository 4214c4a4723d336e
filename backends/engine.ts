/**
 * Brings the compute engine up: tfjs's WebAssembly backend with SIMD and a
 * pool of threads, falling back step by step (threads -> single-thread SIMD
 * -> plain WASM), or the tfjs cpu backend for comparison.
 *
 * @module
 */
import { tf } from "./tf.ts";
import { BackendWasm, setThreadsCount } from "@tensorflow/tfjs-backend-wasm";
import {
  defaultCacheDir,
  type EmscriptenModule,
  loadWasmModule,
  MAX_WASM_THREADS,
  unrefWorkers,
  type WasmVariant,
  workerCount,
} from "./wasm/_loader.ts";
import { registerWasmKernels } from "./wasm/register_kernels.ts";
import { useSimdKernels } from "./wasm/simd/kernels.ts";
import { buildSimdKernels } from "./wasm/simd/node_kernels.ts";

/** Which engine to run on. */
export type BackendName = "wasm" | "cpu";

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
}

/** What is really running, as `deno task info --json` prints it. */
export interface EngineInfo {
  backend: BackendName;
  /** The WASM build in use, or "cpu". */
  variant: WasmVariant | "cpu";
  simd: boolean;
  threads: number;
  /** Logical cores of this machine. */
  cores: number;
  /** Pthread workers alive (the threaded build spawns 8 whatever `threads`). */
  workers: number;
  /**
   * Whether genwasm's own SIMD kernels (the conv filter gradient) run with
   * relaxed-SIMD fused multiply-adds; false where the engine lacks relaxed
   * SIMD (they multiply and add separately) or runs without SIMD.
   */
  fma: boolean;
  /** tfjs version. */
  tfjs: string;
  /** One line per WASM build that was tried and failed, with its reason. */
  fallbacks: string[];
}

let current: EngineInfo | undefined;
let currentModule: EmscriptenModule | undefined;

/** Logical cores of this machine (`navigator.hardwareConcurrency`). */
export function coreCount(): number {
  return navigator.hardwareConcurrency || 1;
}

function simdSupported(): boolean {
  // A module holding one v128 instruction (the probe tfjs itself uses).
  return WebAssembly.validate(
    new Uint8Array([
      0,
      97,
      115,
      109,
      1,
      0,
      0,
      0,
      1,
      4,
      1,
      96,
      0,
      0,
      3,
      2,
      1,
      0,
      10,
      9,
      1,
      7,
      0,
      65,
      0,
      253,
      15,
      26,
      11,
    ]),
  );
}

function defaultVariants(threads: number): WasmVariant[] {
  const simd = simdSupported();
  const threaded = simd && threads > 1 &&
    typeof SharedArrayBuffer === "function";
  return [
    ...(threaded ? ["threaded-simd" as const] : []),
    ...(simd ? ["simd" as const] : []),
    "plain",
  ];
}

/** Runs `fn` with tfjs's console warnings held back; returns them. */
async function quietly<T>(fn: () => Promise<T>): Promise<[T, string[]]> {
  const warnings: string[] = [];
  const warn = console.warn;
  console.warn = (...args: unknown[]) => warnings.push(args.join(" "));
  try {
    return [await fn(), warnings];
  } finally {
    console.warn = warn;
  }
}

async function startWasm(
  variant: WasmVariant,
  threads: number,
  cacheDir: string,
): Promise<EmscriptenModule> {
  let failure: unknown;
  let module: EmscriptenModule | undefined;
  tf.removeBackend("wasm");
  tf.registerBackend("wasm", async () => {
    try {
      module = await loadWasmModule({ variant, threads, cacheDir });
      setThreadsCount(variant === "threaded-simd" ? threads : 1);
      const backend = new BackendWasm(module);
      unrefWorkers(module);
      return backend;
    } catch (error) {
      failure = error;
      module?.PThread?.terminateAllThreads?.();
      throw error;
    }
  }, 2);
  const [ok] = await quietly(() => tf.setBackend("wasm"));
  if (!ok) {
    const reason = failure instanceof Error ? failure.message : String(failure);
    throw new Error(reason || "backend did not start");
  }
  return module;
}

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
      tfjs: tf.version.tfjs,
      fallbacks: [],
    };
    return current;
  }
  if (backend !== "wasm") {
    throw new Error(`unknown backend "${backend}": use wasm or cpu`);
  }
  const threads = Math.min(requested, MAX_WASM_THREADS);
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  registerWasmKernels();
  const fallbacks: string[] = [];
  for (const variant of options.variants ?? defaultVariants(threads)) {
    try {
      currentModule = await startWasm(variant, threads, cacheDir);
      const running = currentModule.tfjs.getThreadsCount() as number;
      const kernels = variant === "plain" ? undefined : await buildSimdKernels(
        currentModule.genwasmMemory,
        running,
        cacheDir,
      );
      useSimdKernels(kernels);
      current = {
        backend,
        variant,
        simd: variant !== "plain",
        threads: variant === "threaded-simd" ? running : 1,
        cores,
        workers: workerCount(currentModule),
        fma: kernels?.fused ?? false,
        tfjs: tf.version.tfjs,
        fallbacks,
      };
      return current;
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      fallbacks.push(`${variant}: ${reason}`);
    }
  }
  throw new Error(`no WASM build would start:\n  ${fallbacks.join("\n  ")}`);
}

/** What {@link initEngine} started, or undefined before it ran. */
export function engineInfo(): EngineInfo | undefined {
  return current;
}

/** One line saying what runs, e.g. "wasm threaded-simd, 2 threads (2 cores)". */
export function describeEngine(info: EngineInfo): string {
  if (info.backend === "cpu") return `tfjs cpu backend (${info.cores} cores)`;
  const threads = `${info.threads} thread${info.threads === 1 ? "" : "s"}`;
  const fell = info.fallbacks.length
    ? `; fell back after ${info.fallbacks.join("; ")}`
    : "";
  return `wasm ${info.variant}, ${threads} (${info.cores} cores)${fell}`;
}
