/**
 * Builds tfjs-backend-wasm's emscripten module ourselves, so that the
 * multithreaded build runs under Deno.
 *
 * The stock loader cannot: it believes it runs in Node, turns threads off, and
 * when forced hands emscripten a `blob:` URL for the pthread worker, which
 * Node's `worker_threads` (and Deno's version of it) refuses. Here the worker
 * script is written to a real `.cjs` file in a cache folder (never into
 * node_modules, so a read-only install works), the glue's own path is the
 * script each worker loads, and the wasm binary is instantiated by us so that
 * the core count the C++ side sees is the thread count asked for (it divides
 * the logical core count by two and caps the pool at that).
 *
 * @module
 */
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import * as os from "node:os";
import {
  BINARY,
  type EmscriptenFactory,
  type EmscriptenModule,
  GLUE,
  pthreadWorkerSource,
  startEmscripten,
  type WasmVariant,
} from "./_emscripten.ts";

export {
  type EmscriptenModule,
  MAX_WASM_THREADS,
  type WasmVariant,
  workerCount,
} from "./_emscripten.ts";

const require = createRequire(import.meta.url);

function wasmOutPath(file: string): string {
  const url = import.meta.resolve(
    `@tensorflow/tfjs-backend-wasm/wasm-out/${file}`,
  );
  if (!url.startsWith("file:")) {
    throw new Error(
      `tfjs-backend-wasm resolves to ${url}, not a file: set "nodeModulesDir": "auto" in deno.json`,
    );
  }
  return fileURLToPath(url);
}

/** The folder for the pthread worker script: `GENWASM_CACHE_DIR`, else the user cache. */
export function defaultCacheDir(): string {
  const env = (name: string) => Deno.env.get(name);
  const explicit = env("GENWASM_CACHE_DIR");
  if (explicit) return explicit;
  const xdg = env("XDG_CACHE_HOME");
  if (xdg) return join(xdg, "genwasm");
  const home = env("HOME");
  if (home) return join(home, ".cache", "genwasm");
  return join(os.tmpdir(), "genwasm");
}

function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(16).padStart(8, "0");
}

/** Writes the pthread worker script as a real CommonJS file; returns its path. */
function writeWorkerScript(cacheDir: string): string {
  const { wasmWorkerContents } = require(
    wasmOutPath("tfjs-backend-wasm-threaded-simd.worker.js"),
  ) as { wasmWorkerContents: string };
  // Deno's worker `location` is a getter; the script assigns it, so make it a
  // plain property first.
  const source =
    "Object.defineProperty(globalThis,'location',{value:undefined,writable:true,configurable:true});\n" +
    pthreadWorkerSource(wasmWorkerContents);
  return writeCachedScript(cacheDir, "tfjs-wasm-worker", source);
}

/**
 * Writes `source` to `<cacheDir>/<stem>-<hash>.cjs` unless there already,
 * and returns the path. The name carries a hash of the contents, so
 * concurrent processes and upgrades never see a half-written or stale file
 * (write to temp, rename).
 */
export function writeCachedScript(
  cacheDir: string,
  stem: string,
  source: string,
): string {
  const path = join(cacheDir, `${stem}-${fnv1a(source)}.cjs`);
  try {
    if (Deno.statSync(path).size === new TextEncoder().encode(source).length) {
      return path;
    }
  } catch { /* not there yet */ }
  Deno.mkdirSync(cacheDir, { recursive: true });
  const temp = `${path}.${Deno.pid}.tmp`;
  Deno.writeTextFileSync(temp, source);
  Deno.renameSync(temp, path);
  return path;
}

/** Options for {@link loadWasmModule}. */
export interface LoadOptions {
  variant: WasmVariant;
  /** Threads for XNNPACK's pool (threaded-simd only). */
  threads: number;
  /** Where the worker script goes (threaded-simd only). */
  cacheDir: string;
  /** Polls before an idle XNNPACK thread sleeps (see ./_emscripten.ts). */
  spinPolls?: number;
}

/**
 * Instantiates one tfjs-backend-wasm binary and wires the `tfjs` bridge that
 * `BackendWasm` calls. Resolves to the emscripten module, its heap (the
 * WebAssembly.Memory) as `genwasmMemory`.
 */
export async function loadWasmModule(
  { variant, threads, cacheDir, spinPolls }: LoadOptions,
): Promise<EmscriptenModule> {
  const gluePath = wasmOutPath(GLUE[variant]);
  const factory = require(gluePath) as EmscriptenFactory;
  const threaded = variant === "threaded-simd";
  return await startEmscripten(factory, {
    binary: Deno.readFileSync(wasmOutPath(BINARY[variant])),
    threads,
    spinPolls,
    worker: threaded
      ? { script: writeWorkerScript(cacheDir), glue: gluePath }
      : undefined,
  });
}

/**
 * Lets the process exit while pthread workers are alive: emscripten unrefs
 * idle workers only, and the ones XNNPACK's pool holds would otherwise keep
 * the event loop open forever.
 */
export function unrefWorkers(module: EmscriptenModule): void {
  const pthreads = module?.PThread;
  if (!pthreads) return;
  for (
    const worker of [...pthreads.runningWorkers, ...pthreads.unusedWorkers]
  ) {
    worker.unref?.();
  }
}
