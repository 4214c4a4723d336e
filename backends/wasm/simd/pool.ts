/**
 * A pool of worker threads that run one WebAssembly kernel module on the
 * shared tfjs-backend-wasm heap, each on its share of a job: the threads of
 * genwasm's own SIMD kernels (XNNPACK's pthreads pool is not reachable
 * from JavaScript).
 *
 * A job is a list of integers written to a shared control block: the
 * index of its task, then the task's arguments (heap addresses and sizes).
 * The calling thread takes part 0 and each worker one part more: every
 * thread runs `task(exports, job, part, parts)` with `job` the arguments.
 * Tasks travel to the workers as source text, so each must not refer to
 * anything outside itself.
 *
 * Workers are node:worker_threads started from a script written to the
 * cache folder, the way the tfjs pthreads are (backends/wasm/_loader.ts):
 * Deno, Node and Bun all run that. They wait on the control block with
 * Atomics.wait (~8 us a round trip here) and are unref'd, so they never
 * keep a process alive.
 *
 * @module
 */
import { Worker } from "node:worker_threads";
import { writeCachedScript } from "../_loader.ts";

/** A task: the share `part` of `parts` of the job. */
export type PoolTask = (
  exports: WebAssembly.Exports,
  job: Int32Array,
  part: number,
  parts: number,
) => void;

/** Control block: sequence number, finished workers, failure flag, then the job. */
const SEQUENCE = 0, FINISHED = 1, FAILED = 2, JOB = 3;
/** The longest job, in integers (its task's index included). */
export const MAX_JOB = 29;
/** Bytes after the job for the first failing worker's message. */
const MESSAGE_BYTES = 256;

function workerSource(tasks: PoolTask[]): string {
  return `"use strict";
const { parentPort, workerData } = require("node:worker_threads");
const { wasm, memory, control, part, parts } = workerData;
const kernels = new WebAssembly.Instance(wasm, { env: { memory } }).exports;
const tasks = [${tasks.map((task) => task.toString()).join(",\n")}];
const state = new Int32Array(control);
const job = state.subarray(${JOB + 1});
parentPort.postMessage("ready");
let seen = 0;
for (;;) {
  Atomics.wait(state, ${SEQUENCE}, seen);
  seen = Atomics.load(state, ${SEQUENCE});
  if (seen < 0) break;
  try {
    tasks[state[${JOB}]](kernels, job, part, parts);
  } catch (error) {
    if (Atomics.compareExchange(state, ${FAILED}, 0, 1) === 0) {
      new TextEncoder().encodeInto(
        String(error).slice(0, ${MESSAGE_BYTES / 4}),
        new Uint8Array(control, ${4 * (JOB + MAX_JOB)}, ${MESSAGE_BYTES}),
      );
    }
  }
  Atomics.add(state, ${FINISHED}, 1);
  Atomics.notify(state, ${FINISHED});
}
`;
}

/** Threads that run tasks on their parts of each job. */
export class KernelPool {
  readonly #state: Int32Array;
  readonly #workers: Worker[];

  private constructor(
    readonly exports: WebAssembly.Exports,
    readonly tasks: PoolTask[],
    state: Int32Array,
    workers: Worker[],
  ) {
    this.#state = state;
    this.#workers = workers;
  }

  /**
   * Starts `threads - 1` workers on `wasm` instantiated over `memory` (the
   * caller is the last thread). Throws if a worker fails to start.
   */
  static async start(
    wasm: WebAssembly.Module,
    memory: WebAssembly.Memory,
    tasks: PoolTask[],
    threads: number,
    cacheDir: string,
  ): Promise<KernelPool> {
    const exports = new WebAssembly.Instance(wasm, { env: { memory } })
      .exports;
    const control = new SharedArrayBuffer(
      4 * (JOB + MAX_JOB) + MESSAGE_BYTES,
    );
    const workers: Worker[] = [];
    if (threads > 1) {
      const script = writeCachedScript(
        cacheDir,
        "genwasm-kernel-worker",
        workerSource(tasks),
      );
      try {
        for (let part = 1; part < threads; part++) {
          const worker = new Worker(script, {
            workerData: { wasm, memory, control, part, parts: threads },
          });
          workers.push(worker);
          await new Promise((resolve, reject) => {
            worker.once("message", resolve);
            worker.once("error", reject);
          });
          worker.unref();
        }
      } catch (error) {
        for (const worker of workers) worker.terminate();
        throw error;
      }
    }
    return new KernelPool(exports, tasks, new Int32Array(control), workers);
  }

  /** Threads that share a job (the caller included). */
  get threads(): number {
    return this.#workers.length + 1;
  }

  /**
   * Runs task `task` (an index into the pool's tasks) with arguments `job`
   * on every thread, and returns when all parts are done.
   */
  run(task: number, job: readonly number[]): void {
    if (job.length + 1 > MAX_JOB) {
      throw new Error(`job of ${job.length} > ${MAX_JOB - 1} integers`);
    }
    const state = this.#state;
    const parts = this.threads;
    state[JOB] = task;
    state.set(job, JOB + 1);
    Atomics.store(state, FINISHED, 0);
    Atomics.store(state, FAILED, 0);
    if (parts > 1) {
      Atomics.add(state, SEQUENCE, 1);
      Atomics.notify(state, SEQUENCE);
    }
    let failure: unknown;
    try {
      this.tasks[task](this.exports, state.subarray(JOB + 1), 0, parts);
    } catch (error) {
      failure = error;
    }
    for (
      let finished = Atomics.load(state, FINISHED);
      finished < parts - 1;
      finished = Atomics.load(state, FINISHED)
    ) {
      Atomics.wait(state, FINISHED, finished);
    }
    if (failure) throw failure;
    if (Atomics.load(state, FAILED)) {
      const shared = new Uint8Array(
        state.buffer,
        4 * (JOB + MAX_JOB),
        MESSAGE_BYTES,
      );
      // Decoded from a copy: TextDecoder refuses shared memory.
      const message = new TextDecoder().decode(shared.slice())
        .replace(/\0+$/, "");
      shared.fill(0);
      throw new Error(
        `a kernel worker failed on its part of the job: ${message}`,
      );
    }
  }

  /** Stops the workers. */
  close(): void {
    Atomics.store(this.#state, SEQUENCE, -1);
    Atomics.notify(this.#state, SEQUENCE);
    for (const worker of this.#workers) worker.terminate();
    this.#workers.length = 0;
  }
}
