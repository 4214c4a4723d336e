/**
 * Pool workers as node:worker_threads, started from a script written to the
 * cache folder the way the tfjs pthreads are (../_loader.ts): Deno, Node and
 * Bun all run that. They are unref'd, so they never keep a process alive.
 *
 * @module
 */
import { Worker } from "node:worker_threads";
import { writeCachedScript } from "../_loader.ts";
import type { WorkerSpawner } from "./pool.ts";

/** A {@link WorkerSpawner} of worker threads whose script goes in `cacheDir`. */
export function nodeWorkers(cacheDir: string): WorkerSpawner {
  return async (main, data) => {
    const script = writeCachedScript(
      cacheDir,
      "genwasm-kernel-worker",
      `${main}
const { parentPort, workerData } = require("node:worker_threads");
poolWorkerMain(workerData, () => parentPort.postMessage("ready"));
`,
    );
    const worker = new Worker(script, { workerData: data });
    try {
      await new Promise((resolve, reject) => {
        worker.once("message", resolve);
        worker.once("error", reject);
      });
    } catch (error) {
      worker.terminate();
      throw error;
    }
    worker.unref();
    return worker;
  };
}
