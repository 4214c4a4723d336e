/**
 * A register-blocked WebAssembly SIMD GEMM, written out as WAT text and
 * assembled with wabt, to measure what relaxed-SIMD FMA
 * (`f32x4.relaxed_madd`) would give over the separate multiply and add that
 * XNNPACK's wasmsimd kernels in tfjs-backend-wasm use (`fma_bench.ts`).
 *
 * The kernel computes C = A B for row-major A (M x K) and C (M x N), with B
 * packed in panels of 8 columns (panel p holds rows k = 0..K-1 of columns
 * 8p..8p+7 contiguously, as GEMM microkernels read it). Each inner step
 * broadcasts one element of each of `rows` rows of A and updates a
 * rows x 8 block of accumulators held in v128 locals, which the engine keeps
 * in registers (rows = 4: 8 accumulators; 6: 12, of x86-64's 16).
 *
 * @module
 */
import { multiplyAdd } from "../backends/wasm/simd/wat.ts";
import { compileWat } from "../backends/wasm/simd/assemble.ts";

/** The exports of {@link assembleGemm}'s module. */
export interface GemmKernels {
  memory: WebAssembly.Memory;
  /**
   * C = A B with byte offsets `a`, `b` (packed) and `c`; M must be a
   * multiple of the kernel's rows and N of 8.
   */
  gemm(a: number, b: number, c: number, m: number, n: number, k: number): void;
}

/** The WAT function `$gemm` with `rows` x 8 blocks, fused or not. */
export function gemmWat(rows: number, fused: boolean): string {
  const blocks: string[] = [];
  for (let r = 0; r < rows; r++) blocks.push(`$c${r}_0`, `$c${r}_1`);
  const update = (r: number, half: number) =>
    multiplyAdd(fused, "$av", `$b${half}`, `$c${r}_${half}`);
  const lines = [
    `(func (export "gemm") (param $a i32) (param $bp i32) (param $c i32) (param $m i32) (param $n i32) (param $k i32)`,
    `(local $i i32) (local $j i32) (local $kk i32) (local $pa i32) (local $pb i32) (local $row i32)`,
    blocks.map((name) => `(local ${name} v128)`).join(" "),
    `(local $b0 v128) (local $b1 v128) (local $av v128)`,
    // row = K * 4 bytes, the stride between rows of A and between panels' columns.
    `local.get $k i32.const 4 i32.mul local.set $row`,
    `(block $rows_done (loop $rows`,
    `local.get $i local.get $m i32.ge_u br_if $rows_done`,
    `i32.const 0 local.set $j`,
    `(block $panels_done (loop $panels`,
    `local.get $j local.get $n i32.ge_u br_if $panels_done`,
    ...blocks.map((name) => `v128.const i32x4 0 0 0 0 local.set ${name}`),
    `local.get $a local.get $i local.get $row i32.mul i32.add local.set $pa`,
    // Panel j/8 starts K * 8 floats per panel in: j * K * 4 bytes.
    `local.get $bp local.get $j local.get $row i32.mul i32.add local.set $pb`,
    `local.get $k local.set $kk`,
    `(loop $inner`,
    `local.get $pb v128.load local.set $b0`,
    `local.get $pb v128.load offset=16 local.set $b1`,
  ];
  for (let r = 0; r < rows; r++) {
    lines.push(
      `local.get $pa local.get $row i32.const ${r} i32.mul i32.add v128.load32_splat local.set $av`,
      update(r, 0),
      update(r, 1),
    );
  }
  lines.push(
    `local.get $pa i32.const 4 i32.add local.set $pa`,
    `local.get $pb i32.const 32 i32.add local.set $pb`,
    `local.get $kk i32.const 1 i32.sub local.tee $kk br_if $inner)`,
  );
  for (let r = 0; r < rows; r++) {
    for (const half of [0, 1]) {
      lines.push(
        `local.get $c local.get $i i32.const ${r} i32.add local.get $n i32.mul local.get $j i32.add i32.const 4 i32.mul i32.add ` +
          `local.get $c${r}_${half} v128.store offset=${16 * half}`,
      );
    }
  }
  lines.push(
    `local.get $j i32.const 8 i32.add local.set $j br $panels))`,
    `local.get $i i32.const ${rows} i32.add local.set $i br $rows))`,
    `)`,
  );
  return lines.join("\n");
}

/**
 * Assembles and instantiates a module with {@link gemmWat}'s kernel and
 * `pages` of 64 KiB of memory; `undefined` when this runtime rejects it
 * (a fused kernel on an engine without relaxed SIMD).
 */
export async function assembleGemm(
  rows: number,
  fused: boolean,
  pages: number,
): Promise<GemmKernels | undefined> {
  const module = await compileWat(
    `(module (memory (export "memory") ${pages})\n${gemmWat(rows, fused)})`,
    fused,
  );
  return module &&
    new WebAssembly.Instance(module).exports as unknown as GemmKernels;
}

/** B (K x N, row-major) packed into the 8-column panels the kernel reads. */
export function packPanels(
  b: Float32Array,
  k: number,
  n: number,
): Float32Array {
  const packed = new Float32Array(k * n);
  for (let panel = 0; panel < n / 8; panel++) {
    for (let row = 0; row < k; row++) {
      for (let column = 0; column < 8; column++) {
        packed[(panel * k + row) * 8 + column] =
          b[row * n + panel * 8 + column];
      }
    }
  }
  return packed;
}
