/**
 * A pool of worker threads that run one WebAssembly kernel module on the
 * shared tfjs-backend-wasm heap, each on its share of a job: the threads of
 * genwasm's own SIMD kernels (XNNPACK's pthreads pool is not reachable
 * from JavaScript).
 *
 * A job is a list of integers written to a shared control block: the
 * index of its task, then the task's fields (heap addresses and sizes) in
 * the order the task declares them. The calling thread takes part 0 and
 * each worker one part more: every thread runs `task.run(exports, job,
 * part, parts)` with `job` the fields by name. Tasks travel to the workers
 * as source text, and the calling thread runs the same text, so each must
 * not refer to anything outside itself.
 *
 * The workers come from a {@link WorkerSpawner}: node:worker_threads
 * started from a script in the cache folder under Deno, Node and Bun
 * (./node_workers.ts), Web Workers in a browser (./web_workers.ts). They
 * wait on the control block with Atomics.wait (~8 us a round trip here),
 * so the caller must be a thread that may block too: never a browser's
 * main thread.
 *
 * @module
 */

/**
 * What a thread of a task runs: its share `part` of `parts` of the job,
 * whose integer fields (heap byte addresses, sizes) it reads by name. It
 * runs from its source text alone, on every thread (so it must not refer to
 * anything outside itself, nor define named inner functions, which bundlers
 * wrap in helpers that the source lacks).
 */
export type TaskRun<F extends string> = (
  exports: WebAssembly.Exports,
  job: Readonly<Record<F, number>>,
  part: number,
  parts: number,
) => void;

/**
 * A pool task: the names of its job's integer fields, in the order they
 * travel through the control block, and its {@link TaskRun}. A kernel
 * module exports one per job it hands the pool, and ./kernels.ts lists
 * them: a task's place in that list is its index.
 */
export interface PoolTask<F extends string = string> {
  readonly fields: readonly F[];
  readonly run: TaskRun<F>;
}

/** Declares a pool task (see {@link PoolTask}); the fields are its job's one declaration. */
export function poolTask<const F extends string>(
  fields: readonly F[],
  run: TaskRun<F>,
): PoolTask<F> {
  if (fields.length + 1 > MAX_JOB) {
    throw new Error(`a job of ${fields.length} > ${MAX_JOB - 1} fields`);
  }
  return { fields, run };
}

/** A float64 as the two int32 words (low, high) a pool job carries. */
export function float64Words(value: number): [number, number] {
  const words = new Int32Array(new Float64Array([value]).buffer);
  return [words[0], words[1]];
}

/** Control block: sequence number, finished workers, failure flag, then the job. */
const SEQUENCE = 0, FINISHED = 1, FAILED = 2, JOB = 3;
/** The longest job, in integers (its task's index included). */
export const MAX_JOB = 29;
/** Bytes after the job for the first failing worker's message. */
const MESSAGE_BYTES = 256;

/** A task's fields and run function as JavaScript source text. */
function taskSource(task: PoolTask): string {
  return `{ fields: ${JSON.stringify(task.fields)}, run: ${task.run} }`;
}

/**
 * `task` rebuilt from its source text alone, in the global scope: what the
 * workers run, and so what the calling thread runs too (a task that
 * reaches outside itself fails on every thread, not only in the workers).
 */
export function taskFromSource<F extends string>(
  task: PoolTask<F>,
): PoolTask<F> {
  return (0, eval)(`(${taskSource(task)})`) as PoolTask<F>;
}

/** The job's fields by name, read from the control block. */
function readJob(
  fields: readonly string[],
  job: Int32Array,
): Record<string, number> {
  const record: Record<string, number> = {};
  for (let i = 0; i < fields.length; i++) record[fields[i]] = job[i];
  return record;
}

/** What a pool worker is given at its start. */
export interface PoolWorkerData {
  wasm: WebAssembly.Module;
  memory: WebAssembly.Memory;
  control: SharedArrayBuffer;
  part: number;
  parts: number;
}

/** A started pool worker, as its spawner hands it back. */
export interface PoolWorker {
  terminate(): void;
}

/**
 * Starts one pool worker running `main`, a script that defines the function
 * `poolWorkerMain(workerData, ready)`: the spawner runs it in a new thread
 * with `data` and a `ready` that resolves the returned promise (which
 * rejects if the thread fails to start).
 */
export type WorkerSpawner = (
  main: string,
  data: PoolWorkerData,
) => Promise<PoolWorker>;

/** The script every pool worker runs: its tasks and the wait loop. */
function workerMain(tasks: readonly PoolTask[]): string {
  return `"use strict";
function poolWorkerMain(workerData, ready) {
const { wasm, memory, control, part, parts } = workerData;
const kernels = new WebAssembly.Instance(wasm, { env: { memory } }).exports;
const tasks = [${tasks.map(taskSource).join(",\n")}];
const readJob = ${readJob};
const state = new Int32Array(control);
const job = state.subarray(${JOB + 1});
ready();
let seen = 0;
for (;;) {
  Atomics.wait(state, ${SEQUENCE}, seen);
  seen = Atomics.load(state, ${SEQUENCE});
  if (seen < 0) break;
  try {
    const task = tasks[state[${JOB}]];
    task.run(kernels, readJob(task.fields, job), part, parts);
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
}
`;
}

/** Threads that run tasks on their parts of each job. */
export class KernelPool {
  readonly #state: Int32Array;
  readonly #workers: PoolWorker[];

  /** Each task's index, and the copy from its source that this thread runs. */
  readonly #indices: Map<PoolTask, number>;
  readonly #fromSource: PoolTask[];

  private constructor(
    readonly exports: WebAssembly.Exports,
    tasks: readonly PoolTask[],
    state: Int32Array,
    workers: PoolWorker[],
  ) {
    this.#state = state;
    this.#workers = workers;
    this.#indices = new Map(tasks.map((task, index) => [task, index]));
    this.#fromSource = tasks.map(taskFromSource);
  }

  /**
   * Starts `threads - 1` workers by `spawn` on `wasm` instantiated over
   * `memory` (the caller is the last thread). Throws if a worker fails to
   * start.
   */
  static async start(
    wasm: WebAssembly.Module,
    memory: WebAssembly.Memory,
    tasks: readonly PoolTask[],
    threads: number,
    spawn: WorkerSpawner,
  ): Promise<KernelPool> {
    const exports = new WebAssembly.Instance(wasm, { env: { memory } })
      .exports;
    const bytes = 4 * (JOB + MAX_JOB) + MESSAGE_BYTES;
    // One thread never waits, so its control block need not be shared (a
    // page that is not cross-origin isolated has no SharedArrayBuffer).
    if (threads === 1) {
      return new KernelPool(exports, tasks, new Int32Array(bytes / 4), []);
    }
    const control = new SharedArrayBuffer(bytes);
    const workers: PoolWorker[] = [];
    const main = workerMain(tasks);
    try {
      for (let part = 1; part < threads; part++) {
        workers.push(
          await spawn(main, { wasm, memory, control, part, parts: threads }),
        );
      }
    } catch (error) {
      for (const worker of workers) worker.terminate();
      throw error;
    }
    return new KernelPool(exports, tasks, new Int32Array(control), workers);
  }

  /** Threads that share a job (the caller included). */
  get threads(): number {
    return this.#workers.length + 1;
  }

  /**
   * Runs `task` (one of the pool's tasks) with the fields of `job` on every
   * thread, and returns when all parts are done.
   */
  run<F extends string>(
    task: PoolTask<F>,
    job: Readonly<Record<F, number>>,
  ): void {
    const index = this.#indices.get(task as PoolTask);
    if (index === undefined) {
      throw new Error(
        `task with fields ${task.fields.join(", ")} is not in the pool`,
      );
    }
    const state = this.#state;
    const parts = this.threads;
    state[JOB] = index;
    const fields = task.fields;
    for (let i = 0; i < fields.length; i++) state[JOB + 1 + i] = job[fields[i]];
    Atomics.store(state, FINISHED, 0);
    Atomics.store(state, FAILED, 0);
    if (parts > 1) {
      Atomics.add(state, SEQUENCE, 1);
      Atomics.notify(state, SEQUENCE);
    }
    let failure: unknown;
    try {
      // Read back from the control block, as the workers do, so every
      // thread sees the same int32 values (addresses past 2^31 wrap).
      const own = this.#fromSource[index];
      own.run(
        this.exports,
        readJob(own.fields, state.subarray(JOB + 1)),
        0,
        parts,
      );
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
