/**
 * Pool workers as a browser's Web Workers, from a `blob:` URL of their
 * script: the page's sampler (a worker itself, so that the pool's caller may
 * block in Atomics.wait) starts them. The heap they share needs a
 * cross-origin isolated page.
 *
 * @module
 */
import type { WorkerSpawner } from "./pool.ts";

/** A {@link WorkerSpawner} of Web Workers. */
export function webWorkers(): WorkerSpawner {
  let url: string | undefined;
  let script: string | undefined;
  return async (main, data) => {
    if (script !== main) {
      if (url) URL.revokeObjectURL(url);
      script = main;
      url = URL.createObjectURL(
        new Blob([
          `${main}
self.onmessage = (event) => {
  self.onmessage = null;
  poolWorkerMain(event.data, () => self.postMessage("ready"));
};
`,
        ], { type: "text/javascript" }),
      );
    }
    const worker = new Worker(url!);
    try {
      await new Promise((resolve, reject) => {
        worker.onmessage = resolve;
        worker.onerror = (event) =>
          reject(
            new Error(`a kernel worker failed to start: ${event.message}`),
          );
        worker.postMessage(data);
      });
    } catch (error) {
      worker.terminate();
      throw error;
    }
    return worker;
  };
}
