/**
 * The WAT GEMM kernels of the FMA headroom bench compute C = A B: fused
 * (relaxed-SIMD FMA, where this runtime has it) and unfused, 4 and 6 rows.
 * Without relaxed SIMD the fused tests are ignored, and the file says so.
 */
import assert from "node:assert/strict";
import { assembleGemm, packPanels } from "../../bench/_gemm_wat.ts";
import { Mulberry32 } from "../../data/random.ts";
import { HAS_RELAXED_SIMD, noRelaxedSimdNote } from "./_relaxed_simd.ts";

const [M, K, N] = [12, 37, 16];

function reference(a: Float32Array, b: Float32Array): Float64Array {
  const c = new Float64Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      for (let k = 0; k < K; k++) c[i * N + j] += a[i * K + k] * b[k * N + j];
    }
  }
  return c;
}

if (!HAS_RELAXED_SIMD) console.log(noRelaxedSimdNote("gemm_wat_test"));

for (const fused of [false, true]) {
  for (const rows of [4, 6]) {
    Deno.test({
      name: `WAT GEMM ${rows}x8 ${
        fused ? "relaxed_madd" : "mul+add"
      } matches the product`,
      // Only the fused kernel needs relaxed SIMD; where the engine has it,
      // the kernel must assemble.
      ignore: fused && !HAS_RELAXED_SIMD,
      fn: async () => {
        const kernels = await assembleGemm(rows, fused, 1);
        assert.ok(kernels, "the kernel must assemble and validate");
        const random = new Mulberry32(rows + (fused ? 10 : 0));
        const a = Float32Array.from(
          { length: M * K },
          () => random.next() - 0.5,
        );
        const b = Float32Array.from(
          { length: K * N },
          () => random.next() - 0.5,
        );
        const heap = new Float32Array(kernels.memory.buffer);
        const [aAt, bAt, cAt] = [0, M * K, M * K + K * N];
        heap.set(a, aAt);
        heap.set(packPanels(b, K, N), bAt);
        heap.fill(Number.NaN, cAt, cAt + M * N);
        kernels.gemm(4 * aAt, 4 * bAt, 4 * cAt, M, N, K);
        const expected = reference(a, b);
        for (let i = 0; i < M * N; i++) {
          assert.ok(
            Math.abs(heap[cAt + i] - expected[i]) < 1e-5,
            `C[${i}] = ${heap[cAt + i]}, expected ${expected[i]}`,
          );
        }
      },
    });
  }
}
