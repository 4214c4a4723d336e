/**
 * Shared start of every bench suite: starts the engine the environment asks
 * for, once per suite module, and registers kernels with `Deno.bench` so that
 * each timed call runs to completion and frees what it made.
 *
 * Environment:
 * - `GENWASM_BACKEND`: `wasm` (default) or `cpu`.
 * - `GENWASM_THREADS`: WASM threads; default all cores (the engine caps it at 8).
 *
 * @module
 */
import { tf } from "../backends/tf.ts";
import {
  type BackendName,
  coreCount,
  describeEngine,
  type EngineInfo,
  initEngine,
} from "../backends/engine.ts";
import { type BenchCase, groupName } from "./_cases.ts";

function backendFromEnv(): BackendName {
  const value = Deno.env.get("GENWASM_BACKEND") ?? "wasm";
  if (value !== "wasm" && value !== "cpu") {
    throw new Error(`GENWASM_BACKEND must be wasm or cpu, got "${value}"`);
  }
  return value;
}

function threadsFromEnv(): number {
  const value = Deno.env.get("GENWASM_THREADS");
  if (value === undefined || value === "") return coreCount();
  const threads = Number(value);
  if (!Number.isInteger(threads) || threads < 1) {
    throw new Error(
      `GENWASM_THREADS must be a whole number >= 1, got "${value}"`,
    );
  }
  return threads;
}

/** What this suite runs on. */
export const engine: EngineInfo = await initEngine({
  backend: backendFromEnv(),
  threads: threadsFromEnv(),
});

/** The engine in one line, e.g. "wasm threaded-simd, 2 threads (2 cores), tfjs 4.22.0". */
export const engineLabel = `${describeEngine(engine)}, tfjs ${engine.tfjs}`;

/** Calls that take about a second or more on tfjs's cpu backend. */
function slowOnCpu(benchCase: BenchCase): boolean {
  return (benchCase.flops ?? 0) >= 1e8 || benchCase.family === "group-norm";
}

/**
 * Iterations per bench. Deno's default (at least 20 warm-up calls, then at
 * least 10 timed calls and 500 ms) suits wasm but for fewer warm-ups; the cpu
 * backend takes seconds per heavy call, so those get 1 warm-up and 4 timed
 * calls, its cheaper calls 2 and 11.
 */
function iterationOptions(
  benchCase: BenchCase,
): Pick<Deno.BenchDefinition, "n" | "warmup"> {
  if (engine.backend !== "cpu") return { warmup: 3 };
  return slowOnCpu(benchCase) ? { n: 3, warmup: 0 } : { n: 10, warmup: 1 };
}

/** A seeded standard-normal input, made once outside the timed calls. */
export function randomInput<R extends tf.Rank>(
  shape: tf.ShapeMap[R],
  seed: number,
): tf.Tensor<R> {
  return tf.randomNormal(shape, 0, 1, "float32", seed) as tf.Tensor<R>;
}

/**
 * Registers `run` as the bench for `benchCase`. Each timed call runs it in
 * `tf.tidy`, reads the result back with `dataSync` (so the time covers the
 * whole computation and the copy out) and disposes it; a call that leaves a
 * tensor behind fails the bench.
 */
export function benchKernel(benchCase: BenchCase, run: () => tf.Tensor): void {
  Deno.bench({
    name: benchCase.name,
    group: groupName(benchCase.family, engineLabel),
    ignore: engine.backend === "cpu" && !benchCase.onCpu,
    ...iterationOptions(benchCase),
    fn() {
      const before = tf.memory().numTensors;
      const result = tf.tidy(run);
      result.dataSync();
      result.dispose();
      const leaked = tf.memory().numTensors - before;
      if (leaked !== 0) {
        throw new Error(`${benchCase.name} left ${leaked} tensors behind`);
      }
    },
  });
}
