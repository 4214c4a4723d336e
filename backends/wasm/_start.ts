/**
 * What starting tfjs's WebAssembly backend takes wherever it runs, Deno
 * (../engine.ts) or a browser worker (../browser.ts): the builds to try,
 * each started as tfjs's "wasm" backend with genwasm's kernels on its heap,
 * and what is running then. The platform brings the emscripten module and
 * the kernels' threads.
 *
 * @module
 */
import { tf } from "../tf.ts";
import { BackendWasm, setThreadsCount } from "@tensorflow/tfjs-backend-wasm";
import type { EmscriptenModule, WasmVariant } from "./_emscripten.ts";
import { workerCount } from "./_emscripten.ts";
import { registerWasmKernels } from "./register_kernels.ts";
import { type SimdKernels, useSimdKernels } from "./simd/kernels.ts";

/** Which engine to run on. */
export type BackendName = "wasm" | "cpu";

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
  /**
   * Polls before an idle XNNPACK thread sleeps, in the threaded build
   * (./_pthreadpool_spin.ts); absent for the others.
   */
  spinPolls?: number;
  /** tfjs version (its core's, which the page's bundle has alone). */
  tfjs: string;
  /** One line per WASM build that was tried and failed, with its reason. */
  fallbacks: string[];
}

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

/** The builds to try for `threads`, best first: threaded SIMD, SIMD, plain. */
export function defaultVariants(threads: number): WasmVariant[] {
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
export async function quietly<T>(fn: () => Promise<T>): Promise<[T, string[]]> {
  const warnings: string[] = [];
  const warn = console.warn;
  console.warn = (...args: unknown[]) => warnings.push(args.join(" "));
  try {
    return [await fn(), warnings];
  } finally {
    console.warn = warn;
  }
}

/** How a platform starts the pieces of a WASM engine. */
export interface WasmPlatform {
  /** The started emscripten module of `variant` (see ./_emscripten.ts). */
  load(variant: WasmVariant, threads: number): Promise<EmscriptenModule>;
  /** genwasm's kernels on the module's heap, with `threads` threads. */
  kernels(
    memory: WebAssembly.Memory | undefined,
    threads: number,
  ): Promise<SimdKernels | undefined>;
  /** Called once the backend runs (e.g. to unref its pthread workers). */
  started?(module: EmscriptenModule): void;
}

async function startBackend(
  variant: WasmVariant,
  threads: number,
  platform: WasmPlatform,
): Promise<EmscriptenModule> {
  let failure: unknown;
  let module: EmscriptenModule | undefined;
  tf.removeBackend("wasm");
  tf.registerBackend("wasm", async () => {
    try {
      module = await platform.load(variant, threads);
      setThreadsCount(variant === "threaded-simd" ? threads : 1);
      const backend = new BackendWasm(module);
      platform.started?.(module);
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
 * Starts the first of `variants` that will with `threads` threads, makes it
 * tfjs's current backend with genwasm's kernels registered and running on
 * its heap, and says what runs (with one line per build that failed).
 *
 * @throws Error listing every build's failure when none starts.
 */
export async function startWasmEngine(
  variants: readonly WasmVariant[],
  threads: number,
  platform: WasmPlatform,
): Promise<EngineInfo> {
  registerWasmKernels();
  const fallbacks: string[] = [];
  for (const variant of variants) {
    try {
      const module = await startBackend(variant, threads, platform);
      const running = module.tfjs.getThreadsCount() as number;
      const kernels = variant === "plain"
        ? undefined
        : await platform.kernels(module.genwasmMemory, running);
      useSimdKernels(kernels);
      return {
        backend: "wasm",
        variant,
        simd: variant !== "plain",
        threads: variant === "threaded-simd" ? running : 1,
        cores: coreCount(),
        workers: workerCount(module),
        spinPolls: module.genwasmSpinPolls,
        fma: kernels?.fused ?? false,
        tfjs: tf.version_core,
        fallbacks,
      };
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      fallbacks.push(`${variant}: ${reason}`);
    }
  }
  throw new Error(`no WASM build would start:\n  ${fallbacks.join("\n  ")}`);
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
