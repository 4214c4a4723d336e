/**
 * Headroom of relaxed-SIMD FMA: one GEMM shape (the im2col product of the
 * ddpm U-Net's 3x3 64 -> 64 convolution, for 3840 of its 50176 output
 * pixels) through WAT kernels that differ only in `f32x4.relaxed_madd`
 * versus `f32x4.mul` + `f32x4.add` (bench/_gemm_wat.ts), beside tfjs's
 * matMul (XNNPACK's wasmsimd kernels, which multiply and add separately).
 *
 * The WAT kernels are single-threaded; compare them with matMul at one
 * thread: `GENWASM_THREADS=1 deno bench --allow-read --allow-env --allow-sys bench/fma_bench.ts`.
 * Where the runtime lacks relaxed SIMD the fused benches are skipped.
 *
 * @module
 */
import { tf } from "../backends/tf.ts";
import { Mulberry32 } from "../data/random.ts";
import { engine, engineLabel, randomInput } from "./_setup.ts";
import { assembleGemm, packPanels } from "./_gemm_wat.ts";
import { GROUP_SEPARATOR } from "./_cases.ts";

const [M, K, N] = [3840, 576, 64];
const group = `fma ${M}x${K}x${N}${GROUP_SEPARATOR}${engineLabel}`;
const onWasm = engine.backend === "wasm";

const random = new Mulberry32(5);
const a = Float32Array.from({ length: M * K }, () => random.next() - 0.5);
const packed = packPanels(
  Float32Array.from({ length: K * N }, () => random.next() - 0.5),
  K,
  N,
);
const pages = Math.ceil((4 * (M * K + K * N + M * N)) / 65536);

for (const rows of [4, 6]) {
  for (const fused of [false, true]) {
    const kernels = onWasm ? await assembleGemm(rows, fused, pages) : undefined;
    if (kernels) {
      const heap = new Float32Array(kernels.memory.buffer);
      heap.set(a, 0);
      heap.set(packed, M * K);
    }
    Deno.bench({
      name: `WAT ${rows}x8 ${fused ? "relaxed_madd" : "mul + add"}`,
      group,
      ignore: !kernels,
      warmup: 3,
      fn() {
        kernels!.gemm(0, 4 * M * K, 4 * (M * K + K * N), M, N, K);
      },
    });
  }
}

const left = randomInput<tf.Rank.R2>([M, K], 1);
const right = randomInput<tf.Rank.R2>([K, N], 2);
Deno.bench({
  name: `tfjs matMul (XNNPACK), ${engine.threads} thread${
    engine.threads === 1 ? "" : "s"
  }`,
  group,
  ignore: !onWasm,
  baseline: true,
  warmup: 3,
  fn() {
    const product = tf.matMul(left, right);
    product.dataSync();
    product.dispose();
  },
});
