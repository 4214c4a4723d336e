/**
 * The f32x4 multiply-add ceiling of WebAssembly here (bench/_ceiling.ts): a
 * register-only loop of `f32x4.relaxed_madd`, and of `f32x4.mul` +
 * `f32x4.add`, at one thread and on every core through genwasm's kernel
 * pool. Each call does a fixed number of multiply-adds, named in the bench,
 * so GFLOPS = GFLOP per call / seconds per call; `deno task bench:steps
 * --profile` prints the same ceiling as GFLOPS (the best of
 * several short calls).
 *
 * The loop uses no tfjs, so the suite ignores GENWASM_BACKEND and
 * GENWASM_THREADS: "all threads" is every core. Where the runtime lacks
 * relaxed SIMD the fused benches are skipped.
 *
 * @module
 */
import {
  assembleCeiling,
  ceilingFlops,
  type CeilingRunner,
  ceilingRunner,
} from "./_ceiling.ts";

/**
 * Loop iterations per call, shared among the threads so that every bench
 * does the same work (12.6 M multiply-adds, 0.1 GFLOP) and the times compare
 * directly: ideally N threads take 1/N of the time.
 */
const ITERATIONS = 1 << 18;
const cores = navigator.hardwareConcurrency || 1;
const group = "f32x4 multiply-add ceiling, no memory traffic";

for (const threads of cores > 1 ? [1, cores] : [1]) {
  for (const fused of [true, false]) {
    const ceiling = await assembleCeiling(fused);
    const runner: CeilingRunner | undefined = ceiling &&
      await ceilingRunner(ceiling, threads);
    const share = Math.ceil(ITERATIONS / threads);
    const gflop = (threads * ceilingFlops(share) / 1e9).toFixed(3);
    Deno.bench({
      name: `${fused ? "relaxed_madd" : "mul + add"}, ${threads} thread${
        threads === 1 ? "" : "s"
      } (${gflop} GFLOP per call)`,
      group,
      ignore: !runner,
      baseline: fused && threads === 1,
      warmup: 3,
      fn() {
        runner!.run(share);
      },
    });
  }
}
