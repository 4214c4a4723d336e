/**
 * The multiply-add ceiling loop (bench/_ceiling.ts) computes what its text
 * says, fused and not, on one thread and on the kernel pool; its FLOP
 * count and the ideal multithreaded ceiling.
 */
import assert from "node:assert/strict";
import {
  assembleCeiling,
  type Ceiling,
  CEILING_CHAINS,
  CEILING_UNROLL,
  ceilingFlops,
  ceilingKernel,
  ceilingRunner,
  idealCeiling,
} from "../../bench/_ceiling.ts";
import { HAS_RELAXED_SIMD, noRelaxedSimdNote } from "./_relaxed_simd.ts";

/** The loop's result in float64: chain i starts at i + 1; c = c * m + k per round. */
function reference(iterations: number, m: number, k: number): number {
  let sum = 0;
  for (let chain = 0; chain < CEILING_CHAINS; chain++) {
    let c = chain + 1;
    for (let round = 0; round < iterations * CEILING_UNROLL; round++) {
      c = c * m + k;
    }
    sum += c;
  }
  return sum;
}

if (!HAS_RELAXED_SIMD) console.log(noRelaxedSimdNote("ceiling_test"));

for (const fused of [true, false]) {
  Deno.test({
    name: `the ${
      fused ? "relaxed_madd" : "mul + add"
    } ceiling loop runs c = c * m + k on every chain`,
    // Only the fused loop needs relaxed SIMD; where the engine has it, the
    // loop must assemble.
    ignore: fused && !HAS_RELAXED_SIMD,
    fn: async () => {
      const ceiling = await assembleCeiling(fused);
      assert.ok(ceiling, "the loop must assemble and validate");
      const kernel = ceilingKernel(ceiling);
      for (
        const [iterations, m, k] of [[0, 0.5, 1], [1, 0.5, 1], [3, -0.25, 2]]
      ) {
        const got = kernel.peak(iterations, m, k);
        const expected = reference(iterations, m, k);
        assert.ok(
          Math.abs(got - expected) < 1e-4 * Math.abs(expected),
          `peak(${iterations}, ${m}, ${k}) = ${got}, expected ${expected}`,
        );
      }
    },
  });
}

Deno.test("the ceiling loop starts and runs on a kernel pool of 2 threads", async () => {
  const ceiling = (await assembleCeiling(false))!;
  const runner = await ceilingRunner(ceiling, 2);
  try {
    assert.equal(runner.threads, 2);
    runner.run(1000);
  } finally {
    runner.close();
  }
});

Deno.test("ceilingFlops() counts 8 FLOPs per f32x4 multiply-add", () => {
  assert.equal(ceilingFlops(1), 8 * CEILING_CHAINS * CEILING_UNROLL);
  assert.equal(ceilingFlops(10, 8, 2), 10 * 8 * 2 * 8);
});

Deno.test("idealCeiling() is one thread's fused ceiling times the threads, else the unfused", () => {
  const measured: Ceiling[] = [
    { fused: false, threads: 1, gflops: 30 },
    { fused: true, threads: 1, gflops: 40 },
    { fused: true, threads: 2, gflops: 70 },
  ];
  assert.deepEqual(idealCeiling(measured, 2), {
    fused: true,
    threads: 2,
    gflops: 80,
  });
  assert.equal(idealCeiling(measured.slice(0, 1), 4)?.gflops, 120);
  assert.equal(idealCeiling([], 2), undefined);
});
