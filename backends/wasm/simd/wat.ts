/**
 * Pieces of WebAssembly text shared by genwasm's hand-blocked SIMD kernels
 * (the conv filter gradient, and the GEMM of bench/fma_bench.ts), and the
 * compilation of their binaries; ./assemble.ts turns a module's text into a
 * binary.
 *
 * @module
 */

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
 * A compiled module of `binary`; `undefined` when this engine rejects it
 * (relaxed SIMD is missing from some runtimes).
 */
export async function compileBinary(
  binary: Uint8Array<ArrayBuffer>,
): Promise<WebAssembly.Module | undefined> {
  if (!WebAssembly.validate(binary)) return undefined;
  return await WebAssembly.compile(binary);
}
