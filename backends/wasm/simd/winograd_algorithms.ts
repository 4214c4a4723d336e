/**
 * Winograd's minimal filtering algorithms F(m, r) (Lavin & Gray 2016;
 * the Toom-Cook construction at the points 0, ±1, ±2 and infinity): m
 * outputs of an r-tap correlation from a = m + r - 1 inputs with a
 * multiplies,
 *
 *   y = A^T [ (G g) ⊙ (B^T d) ],
 *
 * nested for 2-D tiles (./winograd.ts). Larger tiles need fewer multiplies
 * per output but have larger coefficients, so more float32 rounding:
 * F(4, 3)'s transforms reach 8 where F(2, 3)'s stay at 1.
 *
 * @module
 */

/** One algorithm F(m x m, r x r): B^T (a x a), G (a x r), A^T (m x a). */
export interface WinogradAlgorithm {
  /** Outputs per tile side. */
  m: number;
  /** Filter taps per side. */
  r: number;
  bt: readonly (readonly number[])[];
  g: readonly (readonly number[])[];
  at: readonly (readonly number[])[];
}

/** a = m + r - 1: inputs (and transformed values) per tile side. */
export function tileSize(algorithm: WinogradAlgorithm): number {
  return algorithm.m + algorithm.r - 1;
}

/** F(2x2, 3x3): 16 multiplies for 4 outputs (direct: 36), 2.25x fewer. */
export const F2_3: WinogradAlgorithm = {
  m: 2,
  r: 3,
  bt: [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]],
  g: [[1, 0, 0], [1 / 2, 1 / 2, 1 / 2], [1 / 2, -1 / 2, 1 / 2], [0, 0, 1]],
  at: [[1, 1, 1, 0], [0, 1, -1, -1]],
};

/** F(3x3, 2x2): 16 multiplies for 9 outputs (direct: 36), 2.25x fewer. */
export const F3_2: WinogradAlgorithm = {
  m: 3,
  r: 2,
  bt: [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, -1, 0, 1]],
  g: [[1, 0], [1 / 2, 1 / 2], [1 / 2, -1 / 2], [0, 1]],
  at: [[1, 1, 1, 0], [0, 1, -1, 0], [0, 1, 1, 1]],
};

/** F(4x4, 3x3): 36 multiplies for 16 outputs (direct: 144), 4x fewer. */
export const F4_3: WinogradAlgorithm = {
  m: 4,
  r: 3,
  bt: [
    [4, 0, -5, 0, 1, 0],
    [0, -4, -4, 1, 1, 0],
    [0, 4, -4, -1, 1, 0],
    [0, -2, -1, 2, 1, 0],
    [0, 2, -1, -2, 1, 0],
    [0, 4, 0, -5, 0, 1],
  ],
  g: [
    [1 / 4, 0, 0],
    [-1 / 6, -1 / 6, -1 / 6],
    [-1 / 6, 1 / 6, -1 / 6],
    [1 / 24, 1 / 12, 1 / 6],
    [1 / 24, -1 / 12, 1 / 6],
    [0, 0, 1],
  ],
  at: [
    [1, 1, 1, 1, 1, 0],
    [0, 1, -1, 2, -2, 0],
    [0, 1, 1, 4, 4, 0],
    [0, 1, -1, 8, -8, 1],
  ],
};

/** Every algorithm the kernel module is built with. */
export const WINOGRAD_ALGORITHMS: readonly WinogradAlgorithm[] = [
  F2_3,
  F3_2,
  F4_3,
];
