/**
 * The engine in a browser: tfjs's WebAssembly backend with SIMD and
 * threads, genwasm's kernels on its heap, started inside a dedicated
 * (classic) Web Worker. A worker, because genwasm's kernel pool blocks in
 * Atomics.wait while its threads work, which a page's main thread may not
 * do; classic, because tfjs's emscripten glue is a script that
 * `importScripts` loads.
 *
 * The files come from `assets` (a URL folder): tfjs-backend-wasm's glue
 * scripts and binaries, the pthread worker script (its
 * `wasmWorkerContents` written out, see ./wasm/_emscripten.ts) and the
 * kernel module's binaries ({@link kernelBinaryName}). The threaded build
 * needs a cross-origin isolated page (SharedArrayBuffer); without one the
 * engine falls back to single-thread SIMD and says so in `fallbacks`.
 *
 * @module
 */
import {
  BINARY,
  type EmscriptenFactory,
  GLUE,
  MAX_WASM_THREADS,
  startEmscripten,
  type WasmVariant,
} from "./wasm/_emscripten.ts";
import {
  coreCount,
  defaultVariants,
  type EngineInfo,
  startWasmEngine,
} from "./wasm/_start.ts";
import { kernelBinaryName, startSimdKernels } from "./wasm/simd/kernels.ts";
import { webWorkers } from "./wasm/simd/web_workers.ts";

export { describeEngine, type EngineInfo } from "./wasm/_start.ts";

/** The pthread worker script's name among the page's assets. */
export const PTHREAD_WORKER = "tfjs-backend-wasm-threaded-simd.worker.js";

/** The factory each glue script defines as a global. */
const FACTORY_GLOBAL = {
  "threaded-simd": "WasmBackendModuleThreadedSimd",
  simd: "WasmBackendModule",
  plain: "WasmBackendModule",
} as const;

/** Options for {@link initBrowserEngine}. */
export interface BrowserEngineOptions {
  /** The URL folder of the engine's files, ending in "/". */
  assets: string;
  /** Threads; default all cores (at most 8). */
  threads?: number;
}

declare function importScripts(...urls: string[]): void;

async function fetchBytes(url: string): Promise<Uint8Array<ArrayBuffer>> {
  const response = await fetch(url);
  if (!response.ok) {
    throw new Error(`${url}: ${response.status} ${response.statusText}`);
  }
  return new Uint8Array(await response.arrayBuffer());
}

function glueFactory(variant: WasmVariant, url: string): EmscriptenFactory {
  const name = FACTORY_GLOBAL[variant];
  const scope = globalThis as unknown as Record<string, unknown>;
  if (typeof scope[name] !== "function") importScripts(url);
  const factory = scope[name];
  if (typeof factory !== "function") {
    throw new Error(`${url} did not define ${name}`);
  }
  return factory as EmscriptenFactory;
}

/**
 * Starts the engine in this worker and makes it tfjs's current backend.
 *
 * @throws Error listing each build's failure when none starts.
 */
export async function initBrowserEngine(
  { assets, threads: requested = coreCount() }: BrowserEngineOptions,
): Promise<EngineInfo> {
  if (typeof importScripts !== "function") {
    throw new Error(
      "initBrowserEngine runs in a classic Web Worker (its kernels block in Atomics.wait)",
    );
  }
  const threads = Math.max(1, Math.min(requested, MAX_WASM_THREADS));
  const spawn = webWorkers();
  return await startWasmEngine(defaultVariants(threads), threads, {
    load: async (variant, threads) => {
      const glue = new URL(GLUE[variant], assets).href;
      return await startEmscripten(glueFactory(variant, glue), {
        binary: await fetchBytes(new URL(BINARY[variant], assets).href),
        threads,
        worker: variant === "threaded-simd"
          ? { script: new URL(PTHREAD_WORKER, assets).href, glue }
          : undefined,
      });
    },
    kernels: (memory, threads) =>
      startSimdKernels(memory, threads, {
        binary: (fused, shared) =>
          fetchBytes(new URL(kernelBinaryName(fused, shared), assets).href),
        spawn,
      }),
  });
}
