/**
 * Whether this runtime has relaxed SIMD, asked of the engine directly (not
 * through the assembler the tests check): it validates a hand-written
 * module whose one function is `f32x4.relaxed_madd` of its three v128
 * parameters.
 *
 * @module
 */

/** (func (param v128 v128 v128) (result v128) local.get 0..2 f32x4.relaxed_madd) */
const RELAXED_MADD_MODULE = Uint8Array.of(
  ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00], // "\0asm", version 1
  ...[0x01, 0x08, 0x01, 0x60, 0x03, 0x7b, 0x7b, 0x7b, 0x01, 0x7b], // type
  ...[0x03, 0x02, 0x01, 0x00], // one function of type 0
  ...[0x0a, 0x0d, 0x01, 0x0b, 0x00], // code: one body of 11 bytes, no locals
  ...[0x20, 0x00, 0x20, 0x01, 0x20, 0x02], // local.get 0, 1, 2
  ...[0xfd, 0x85, 0x02, 0x0b], // f32x4.relaxed_madd (0xfd 0x105), end
);

/** True where the engine validates `f32x4.relaxed_madd`. */
export const HAS_RELAXED_SIMD = WebAssembly.validate(RELAXED_MADD_MODULE);

/** The line a test file prints when it ignores its relaxed-SIMD tests. */
export function noRelaxedSimdNote(file: string): string {
  return `${file}: this runtime has no relaxed SIMD, so the relaxed_madd tests are ignored`;
}
