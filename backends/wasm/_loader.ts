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

const require = createRequire(import.meta.url);

/** Which of the three tfjs-backend-wasm binaries to run. */
export type WasmVariant = "threaded-simd" | "simd" | "plain";

/** The emscripten module as tfjs's BackendWasm expects it. */
// deno-lint-ignore no-explicit-any
export type EmscriptenModule = any;

/** The most pthreads the threaded build can use: it pre-spawns 8 workers. */
export const MAX_WASM_THREADS = 8;

const GLUE = {
  "threaded-simd": "tfjs-backend-wasm-threaded-simd.js",
  simd: "tfjs-backend-wasm.js",
  plain: "tfjs-backend-wasm.js",
} as const;

const BINARY = {
  "threaded-simd": "tfjs-backend-wasm-threaded-simd.wasm",
  simd: "tfjs-backend-wasm-simd.wasm",
  plain: "tfjs-backend-wasm.wasm",
} as const;

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
  // plain property first. The newline escaping is the one tfjs applies: the
  // contents came out of a template literal that turned "\n" into newlines.
  const source =
    "Object.defineProperty(globalThis,'location',{value:undefined,writable:true,configurable:true});\n" +
    wasmWorkerContents.replace(/\n/g, "\\n");
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
}

/**
 * Instantiates one tfjs-backend-wasm binary and wires the `tfjs` bridge that
 * `BackendWasm` calls. Resolves to the emscripten module, its heap (the
 * WebAssembly.Memory) as `genwasmMemory`.
 */
export async function loadWasmModule(
  { variant, threads, cacheDir }: LoadOptions,
): Promise<EmscriptenModule> {
  const gluePath = wasmOutPath(GLUE[variant]);
  const binary = Deno.readFileSync(wasmOutPath(BINARY[variant]));
  const factory = require(gluePath) as (
    config: Record<string, unknown>,
  ) => Promise<EmscriptenModule>;
  const workerPath = variant === "threaded-simd"
    ? writeWorkerScript(cacheDir)
    : undefined;
  let aborted: string | undefined;
  let memory: WebAssembly.Memory | undefined;
  const config: Record<string, unknown> = {
    locateFile: (path: string, prefix: string) =>
      path.endsWith(".worker.js") && workerPath ? workerPath : prefix + path,
    instantiateWasm: (
      imports: { env: Record<string, unknown> },
      receive: (
        instance: WebAssembly.Instance,
        module: WebAssembly.Module,
      ) => void,
    ) => {
      // The C++ side sizes its pool as min(cores / 2, 8, requested).
      imports.env.emscripten_num_logical_cores = () => 2 * threads;
      const module = new WebAssembly.Module(binary);
      const instance = new WebAssembly.Instance(
        module,
        imports as WebAssembly.Imports,
      );
      // The heap: imported by the threaded build, exported by the others.
      memory = (imports.env.memory ?? instance.exports.memory) as
        | WebAssembly.Memory
        | undefined;
      receive(instance, module);
      return instance.exports;
    },
    onAbort: (what: unknown) => {
      aborted = String(what);
    },
    print: () => {},
    printErr: (text: string) => console.error(text),
  };
  if (workerPath) config.mainScriptUrlOrBlob = gluePath;
  const module = await factory(config);
  if (aborted) throw new Error(`wasm module aborted: ${aborted}`);
  module.genwasmMemory = memory;
  module.tfjs = {
    init: module.cwrap("init", null, []),
    initWithThreadsCount: module.cwrap("init_with_threads_count", null, [
      "number",
    ]),
    getThreadsCount: module.cwrap("get_threads_count", "number", []),
    registerTensor: module.cwrap("register_tensor", null, [
      "number",
      "number",
      "number",
    ]),
    disposeData: module.cwrap("dispose_data", null, ["number"]),
    dispose: module.cwrap("dispose", null, []),
  };
  return module;
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

/** Number of pthread workers the module has spawned (0 for single-thread builds). */
export function workerCount(module: EmscriptenModule): number {
  const pthreads = module?.PThread;
  if (!pthreads) return 0;
  return pthreads.runningWorkers.length + pthreads.unusedWorkers.length;
}
