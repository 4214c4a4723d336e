/**
 * The f32x4 multiply-add ceiling of WebAssembly on this machine: a WAT loop
 * that does nothing but 128-bit multiply-adds on accumulators held in v128
 * locals (registers), with no memory traffic, timed at one thread and on
 * every thread of a {@link KernelPool} (the pool genwasm's own SIMD kernels
 * run on). Shared by bench/ceiling_bench.ts and `deno task bench:steps
 * --profile`, which sets each model's achieved GFLOPS against it.
 *
 * Each round updates every accumulator once, `c[i] = c[i] * m + k`, as one
 * `f32x4.relaxed_madd` or as `f32x4.mul` + `f32x4.add`. The multiply reads
 * the accumulator, so it is neither loop-invariant nor shared between two
 * updates: V8 can neither hoist nor merge it, and the unfused loop runs
 * every multiply it is credited with. With `m` = 0.5 and `k` = 1 every
 * lane settles at 2 (no overflow, no denormals, which x86 handles slowly).
 * The chains are independent, so 12 of them keep 2 FMA units with a 4-5
 * cycle latency busy; the unfused chain is a multiply then an add (about 6
 * cycles), which 12 chains just cover on a machine with 2 multiply and 2
 * add units. 12 accumulators plus `m` and `k` fit x86-64's vector
 * registers (V8 keeps one of the 16 as scratch).
 *
 * @module
 */
import { compileWat } from "../backends/wasm/simd/assemble.ts";
import { nodeWorkers } from "../backends/wasm/simd/node_workers.ts";
import { KernelPool, poolTask } from "../backends/wasm/simd/pool.ts";
import { defaultCacheDir } from "../backends/wasm/_loader.ts";

/** Independent accumulators (v128 locals) of the loop. */
export const CEILING_CHAINS = 12;
/** Rounds of updates per loop iteration, so the loop's own branch is noise. */
export const CEILING_UNROLL = 4;
/** FLOPs of one f32x4 multiply-add: 4 lanes, a multiply and an add each. */
export const FLOPS_PER_MULTIPLY_ADD = 8;

/** `c = c * m + k` on f32x4 locals, fused into one relaxed_madd or not. */
export function scaleAdd(fused: boolean, c: string): string {
  return fused
    ? `local.get ${c} local.get $m local.get $k f32x4.relaxed_madd local.set ${c}`
    : `local.get ${c} local.get $m f32x4.mul local.get $k f32x4.add local.set ${c}`;
}

/**
 * The module text: `peak(iterations, m, k)` runs `iterations` loop
 * iterations of {@link CEILING_UNROLL} rounds over `chains` accumulators
 * (accumulator i starts at i + 1 in every lane) and returns the sum of
 * their first lanes, so that the engine cannot drop the work. It imports a
 * shared memory it never touches: {@link KernelPool} instantiates every
 * module over the heap it is given.
 */
export function ceilingWat(
  fused: boolean,
  chains = CEILING_CHAINS,
  unroll = CEILING_UNROLL,
): string {
  const names = Array.from({ length: chains }, (_, i) => `$c${i}`);
  const round = names.map((name) => scaleAdd(fused, name));
  return [
    `(module (import "env" "memory" (memory 1 1 shared))`,
    `(func (export "peak") (param $n i32) (param $mf f32) (param $kf f32) (result f32)`,
    `(local $m v128) (local $k v128) ${
      names.map((name) => `(local ${name} v128)`).join(" ")
    }`,
    `local.get $mf f32x4.splat local.set $m`,
    `local.get $kf f32x4.splat local.set $k`,
    ...names.map((name, i) =>
      `f32.const ${i + 1} f32x4.splat local.set ${name}`
    ),
    `(block $done local.get $n i32.eqz br_if $done (loop $rounds`,
    ...Array.from({ length: unroll }, () => round).flat(),
    `local.get $n i32.const 1 i32.sub local.tee $n br_if $rounds))`,
    names.map((name) => `local.get ${name} f32x4.extract_lane 0`).join(" "),
    ...names.slice(1).map(() => "f32.add"),
    `))`,
  ].join("\n");
}

/** FLOPs of one `peak(iterations)` call on one thread. */
export function ceilingFlops(
  iterations: number,
  chains = CEILING_CHAINS,
  unroll = CEILING_UNROLL,
): number {
  return FLOPS_PER_MULTIPLY_ADD * chains * unroll * iterations;
}

/** The exports of the ceiling module. */
export interface CeilingKernel {
  peak(iterations: number, m: number, k: number): number;
}

/** A compiled ceiling module and the (untouched) memory it imports. */
export interface CeilingModule {
  fused: boolean;
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
}

/**
 * Assembles the ceiling loop; `undefined` where this runtime rejects it
 * (the fused loop on an engine without relaxed SIMD).
 */
export async function assembleCeiling(
  fused: boolean,
  chains = CEILING_CHAINS,
): Promise<CeilingModule | undefined> {
  let module: WebAssembly.Module | undefined;
  try {
    module = await compileWat(ceilingWat(fused, chains), fused);
  } catch {
    // An engine without relaxed SIMD may throw instead of failing validation.
  }
  if (!module) return undefined;
  const memory = new WebAssembly.Memory({
    initial: 1,
    maximum: 1,
    shared: true,
  });
  return { fused, module, memory };
}

/** Instantiates the loop for the calling thread. */
export function ceilingKernel(ceiling: CeilingModule): CeilingKernel {
  return new WebAssembly.Instance(ceiling.module, {
    env: { memory: ceiling.memory },
  }).exports as unknown as CeilingKernel;
}

/**
 * The pool's one task: every thread runs the loop for `job[0]` iterations.
 * Sent to the workers as source text, so it refers to nothing outside
 * itself.
 */
const peakTask = poolTask(["iterations"], (exports, job) => {
  (exports.peak as (n: number, m: number, k: number) => number)(
    job.iterations,
    0.5,
    1,
  );
});

/** A way to run `iterations` of the loop on every thread it has. */
export interface CeilingRunner {
  threads: number;
  run(iterations: number): void;
  close(): void;
}

/**
 * Runs the loop on `threads` threads: the caller alone at 1, else a
 * {@link KernelPool} of `threads` (the caller and `threads - 1` workers),
 * as genwasm's SIMD kernels run.
 */
export async function ceilingRunner(
  ceiling: CeilingModule,
  threads: number,
): Promise<CeilingRunner> {
  if (threads === 1) {
    const kernel = ceilingKernel(ceiling);
    return { threads, run: (n) => kernel.peak(n, 0.5, 1), close() {} };
  }
  const pool = await KernelPool.start(
    ceiling.module,
    ceiling.memory,
    [peakTask],
    threads,
    nodeWorkers(defaultCacheDir()),
  );
  return {
    threads,
    run: (n) => pool.run(peakTask, { iterations: n }),
    close: () => pool.close(),
  };
}

/** One measured ceiling. */
export interface Ceiling {
  fused: boolean;
  threads: number;
  /** Best of the timed calls, all threads together. */
  gflops: number;
}

/**
 * How long each timed call of {@link timeCeiling} runs, about: short, so
 * that on a busy machine some calls still run without being preempted.
 */
export const CEILING_CALL_MS = 20;
/** Timed calls; the best counts (a ceiling: the slower ones were interrupted). */
export const CEILING_CALLS = 15;

/** Loop iterations that take about {@link CEILING_CALL_MS} on one thread. */
function calibrate(runner: CeilingRunner): number {
  let iterations = 1 << 16;
  for (;;) {
    const started = performance.now();
    runner.run(iterations);
    const ms = performance.now() - started;
    if (ms >= CEILING_CALL_MS / 4 || iterations >= 2 ** 30) {
      return Math.min(2 ** 30, Math.ceil(iterations * CEILING_CALL_MS / ms));
    }
    iterations *= 4;
  }
}

/** GFLOPS of the best of {@link CEILING_CALLS} calls of `runner`. */
export function timeCeiling(runner: CeilingRunner): number {
  const iterations = calibrate(runner);
  const flops = runner.threads * ceilingFlops(iterations);
  let best = Infinity;
  for (let call = 0; call < CEILING_CALLS; call++) {
    const started = performance.now();
    runner.run(iterations);
    best = Math.min(best, performance.now() - started);
  }
  return flops / best / 1e6;
}

/**
 * Measures the fused (relaxed_madd) or unfused (mul + add) ceiling at
 * `threads`; `undefined` where the runtime lacks relaxed SIMD.
 */
export async function measureCeiling(
  fused: boolean,
  threads: number,
): Promise<Ceiling | undefined> {
  const ceiling = await assembleCeiling(fused);
  if (!ceiling) return undefined;
  const runner = await ceilingRunner(ceiling, threads);
  try {
    return { fused, threads, gflops: timeCeiling(runner) };
  } finally {
    runner.close();
  }
}

/**
 * The fused and unfused ceilings at 1 thread and at each of `threads`, in
 * that order (a thread count once; a fused one only where relaxed SIMD is).
 */
export async function measureCeilings(threads: number[]): Promise<Ceiling[]> {
  const ceilings: Ceiling[] = [];
  for (const count of new Set([1, ...threads])) {
    for (const fused of [true, false]) {
      const ceiling = await measureCeiling(fused, count);
      if (ceiling) ceilings.push(ceiling);
    }
  }
  return ceilings;
}

/**
 * The multiply-add ceiling a step at `threads` is held against: the fused
 * one where it was measured, else the unfused; one thread's times `threads`
 * (the ideal: a core's ceiling does not depend on the others), undefined
 * where one thread's was not measured.
 */
export function idealCeiling(
  ceilings: readonly Ceiling[],
  threads: number,
): Ceiling | undefined {
  const single = ceilings.filter((ceiling) => ceiling.threads === 1);
  const best = single.find((ceiling) => ceiling.fused) ?? single[0];
  return best && { ...best, threads, gflops: best.gflops * threads };
}
