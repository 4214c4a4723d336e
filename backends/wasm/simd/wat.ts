/**
 * Pieces of WebAssembly text shared by genwasm's hand-blocked SIMD kernels
 * (the conv filter gradient, and the GEMM of bench/fma_bench.ts), and the
 * assembler that turns a module's text into a compiled module (wabt, from
 * npm).
 *
 * @module
 */
import initWabt from "wabt";

/**
 * `acc += a * b` on f32x4 locals: one `f32x4.relaxed_madd` (a fused
 * multiply-add where the CPU has one) when `fused`, else a multiply and an
 * add, as XNNPACK's wasmsimd kernels do.
 */
export function multiplyAdd(
  fused: boolean,
  a: string,
  b: string,
  acc: string,
): string {
  return fused
    ? `local.get ${a} local.get ${b} local.get ${acc} f32x4.relaxed_madd local.set ${acc}`
    : `local.get ${a} local.get ${b} f32x4.mul local.get ${acc} f32x4.add local.set ${acc}`;
}

/**
 * Assembles and compiles module text with SIMD (and relaxed SIMD when
 * `fused`); `undefined` when this engine rejects the binary (relaxed SIMD
 * is missing from some runtimes).
 */
export async function compileWat(
  text: string,
  fused: boolean,
): Promise<WebAssembly.Module | undefined> {
  const wabt = await initWabt();
  const features = {
    simd: true,
    relaxed_simd: fused,
    threads: true,
    bulk_memory: true,
  };
  const parsed = wabt.parseWat("genwasm.wat", text, features);
  try {
    // validate() takes the features too (wabt's typings omit the argument).
    (parsed as unknown as { validate(allowed: object): void }).validate(
      features,
    );
    const binary = new Uint8Array(parsed.toBinary({}).buffer);
    if (!WebAssembly.validate(binary)) return undefined;
    return new WebAssembly.Module(binary);
  } finally {
    parsed.destroy();
  }
}
