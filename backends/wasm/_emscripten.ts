/**
 * Starting tfjs-backend-wasm's emscripten module from its glue's factory,
 * the same way under Deno (./_loader.ts) and in a browser (../browser.ts):
 * we instantiate the binary ourselves, so that we hold its heap (genwasm's
 * kernels run on it) and so that the core count the C++ side sees is the
 * thread count asked for (it divides the logical core count by two and caps
 * its pool at that). Nothing here touches files or Node's modules.
 *
 * @module
 */

import {
  SPIN_POLLS,
  STOCK_SPIN_POLLS,
  withSpinPolls,
} from "./_pthreadpool_spin.ts";

/** Which of the three tfjs-backend-wasm binaries to run. */
export type WasmVariant = "threaded-simd" | "simd" | "plain";

/** The emscripten module as tfjs's BackendWasm expects it. */
// deno-lint-ignore no-explicit-any
export type EmscriptenModule = any;

/** The glue's factory: a module config in, the started module out. */
export type EmscriptenFactory = (
  config: Record<string, unknown>,
) => Promise<EmscriptenModule>;

/** The most pthreads the threaded build can use: it pre-spawns 8 workers. */
export const MAX_WASM_THREADS = 8;

/** Each variant's glue script in tfjs-backend-wasm's wasm-out folder. */
export const GLUE = {
  "threaded-simd": "tfjs-backend-wasm-threaded-simd.js",
  simd: "tfjs-backend-wasm.js",
  plain: "tfjs-backend-wasm.js",
} as const;

/** Each variant's binary in tfjs-backend-wasm's wasm-out folder. */
export const BINARY = {
  "threaded-simd": "tfjs-backend-wasm-threaded-simd.wasm",
  simd: "tfjs-backend-wasm-simd.wasm",
  plain: "tfjs-backend-wasm.wasm",
} as const;

/**
 * The pthread worker's script from the text tfjs ships it as
 * (`wasmWorkerContents`): the contents came out of a template literal that
 * turned the "\n" escapes inside its strings into newlines, so put them
 * back, as tfjs does before making its blob.
 */
export function pthreadWorkerSource(wasmWorkerContents: string): string {
  return wasmWorkerContents.replace(/\n/g, "\\n");
}

/** What {@link startEmscripten} needs besides the factory. */
export interface EmscriptenStart {
  /** The variant's binary. */
  binary: Uint8Array<ArrayBuffer>;
  /** Threads for XNNPACK's pool (the threaded build). */
  threads: number;
  /**
   * The threaded build's pthread worker script and the glue script each
   * worker loads (paths or URLs); absent for the single-thread builds.
   */
  worker?: { script: string; glue: string };
  /**
   * Polls before an idle XNNPACK thread sleeps (threaded build): default
   * {@link SPIN_POLLS}; {@link STOCK_SPIN_POLLS} runs the binary as shipped
   * (./_pthreadpool_spin.ts).
   */
  spinPolls?: number;
}

/**
 * Starts the module from its glue's `factory` and wires the `tfjs` bridge
 * that `BackendWasm` calls. Resolves to the module with its heap (the
 * WebAssembly.Memory) as `genwasmMemory` and, for the threaded build, the
 * polls of XNNPACK's idle threads as `genwasmSpinPolls`.
 */
export async function startEmscripten(
  factory: EmscriptenFactory,
  { binary, threads, worker, spinPolls = SPIN_POLLS }: EmscriptenStart,
): Promise<EmscriptenModule> {
  const spin = worker ? withSpinPolls(binary, spinPolls) : undefined;
  let aborted: string | undefined;
  let memory: WebAssembly.Memory | undefined;
  const config: Record<string, unknown> = {
    locateFile: (path: string, prefix: string) =>
      path.endsWith(".worker.js") && worker ? worker.script : prefix + path,
    instantiateWasm: (
      imports: { env: Record<string, unknown> },
      receive: (
        instance: WebAssembly.Instance,
        module: WebAssembly.Module,
      ) => void,
    ) => {
      // The C++ side sizes its pool as min(cores / 2, 8, requested).
      imports.env.emscripten_num_logical_cores = () => 2 * threads;
      const module = new WebAssembly.Module(spin?.binary ?? binary);
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
  if (worker) config.mainScriptUrlOrBlob = worker.glue;
  const module = await factory(config);
  if (aborted) throw new Error(`wasm module aborted: ${aborted}`);
  module.genwasmMemory = memory;
  // What XNNPACK's idle threads poll: the stock count where the binary was
  // not the one whose spin loops we know.
  module.genwasmSpinPolls = spin &&
    (spin.rewritten ? spinPolls : STOCK_SPIN_POLLS);
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

/** Number of pthread workers the module has spawned (0 for single-thread builds). */
export function workerCount(module: EmscriptenModule): number {
  const pthreads = module?.PThread;
  if (!pthreads) return 0;
  return pthreads.runningWorkers.length + pthreads.unusedWorkers.length;
}
