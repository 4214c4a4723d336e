/**
 * Small dense matrices in float64 JavaScript, for the c x c weights of the
 * invertible 1x1 convolutions (c is 2 to a few dozen): LU factorisation
 * with partial pivoting, log |det|, the inverse, and a random rotation for
 * initialisation. tfjs has neither a determinant nor an inverse.
 *
 * Matrices are row-major arrays of n * n numbers.
 *
 * @module
 */
import { normal, type Random } from "@genwasm/data/random";

/** P A = L U with L unit lower triangular and U upper triangular. */
export interface LuFactors {
  /** Side of the matrix. */
  n: number;
  /** L below the diagonal (its unit diagonal implied) and U on and above it. */
  lu: Float64Array;
  /** Row i of P A is row `rows[i]` of A. */
  rows: Int32Array;
  /** det P: +1 or -1. */
  permutationSign: number;
}

/**
 * Doolittle LU factorisation with partial pivoting (the largest remaining
 * entry of each column becomes the pivot). A zero pivot column is left as
 * it is, so a singular matrix gives a zero on U's diagonal, not an error.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { luFactor } from "./_matrix.ts";
 * const { lu, rows } = luFactor([0, 1, 2, 3], 2);
 * assert.deepEqual([...rows], [1, 0]); // rows swapped: the pivot is 2
 * assert.deepEqual([...lu], [2, 3, 0, 1]);
 * ```
 */
export function luFactor(matrix: ArrayLike<number>, n: number): LuFactors {
  if (matrix.length !== n * n) {
    throw new Error(
      `expected ${n * n} numbers for ${n} x ${n}, got ${matrix.length}`,
    );
  }
  const lu = Float64Array.from(matrix);
  const rows = Int32Array.from({ length: n }, (_, i) => i);
  let permutationSign = 1;
  for (let k = 0; k < n; k++) {
    let pivot = k;
    for (let i = k + 1; i < n; i++) {
      if (Math.abs(lu[i * n + k]) > Math.abs(lu[pivot * n + k])) pivot = i;
    }
    if (pivot !== k) {
      for (let j = 0; j < n; j++) {
        const swap = lu[k * n + j];
        lu[k * n + j] = lu[pivot * n + j];
        lu[pivot * n + j] = swap;
      }
      [rows[k], rows[pivot]] = [rows[pivot], rows[k]];
      permutationSign = -permutationSign;
    }
    const diagonal = lu[k * n + k];
    if (diagonal === 0) continue;
    for (let i = k + 1; i < n; i++) {
      const factor = (lu[i * n + k] /= diagonal);
      for (let j = k + 1; j < n; j++) lu[i * n + j] -= factor * lu[k * n + j];
    }
  }
  return { n, lu, rows, permutationSign };
}

/**
 * log |det A| from U's diagonal: -Infinity for a singular matrix, NaN if A
 * holds NaN.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { logAbsDeterminant } from "./_matrix.ts";
 * assert.equal(logAbsDeterminant([2, 0, 0, 3], 2), Math.log(2) + Math.log(3)); // ln 6
 * ```
 */
export function logAbsDeterminant(
  matrix: ArrayLike<number>,
  n: number,
): number {
  const { lu } = luFactor(matrix, n);
  let sum = 0;
  for (let k = 0; k < n; k++) sum += Math.log(Math.abs(lu[k * n + k]));
  return sum;
}

/**
 * Whether A is singular to float32 working precision: a zero or non-finite
 * pivot, or pivots more than 1e7 apart in size (float32 keeps ~7 digits,
 * so an inverse would be noise).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isSingular, luFactor } from "./_matrix.ts";
 * assert.equal(isSingular(luFactor([1, 2, 2, 4], 2)), true); // second row = 2 x first
 * ```
 */
export function isSingular({ n, lu }: LuFactors): boolean {
  let smallest = Infinity, largest = 0;
  for (let k = 0; k < n; k++) {
    const size = Math.abs(lu[k * n + k]);
    if (!Number.isFinite(size)) return true;
    smallest = Math.min(smallest, size);
    largest = Math.max(largest, size);
  }
  return smallest === 0 || smallest < 1e-7 * largest;
}

/**
 * A^-1 from its LU factors (solving L U x = P e_j column by column), or
 * undefined when a pivot is zero or not finite. An ill-conditioned A still
 * gets its (inexact) inverse; {@link isSingular} tells when not to trust it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { invertMatrix } from "./_matrix.ts";
 * assert.deepEqual(invertMatrix([0, 2, 4, 0], 2), Float64Array.of(0, 0.25, 0.5, 0));
 * assert.equal(invertMatrix([1, 2, 2, 4], 2), undefined); // singular
 * ```
 */
export function invertMatrix(
  matrix: ArrayLike<number>,
  n: number,
): Float64Array | undefined {
  const { lu, rows } = luFactor(matrix, n);
  for (let k = 0; k < n; k++) {
    const pivot = lu[k * n + k];
    if (pivot === 0 || !Number.isFinite(pivot)) return undefined;
  }
  const inverse = new Float64Array(n * n);
  const column = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    // P e_j, then forward substitution with L, back substitution with U.
    for (let i = 0; i < n; i++) column[i] = rows[i] === j ? 1 : 0;
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < i; k++) column[i] -= lu[i * n + k] * column[k];
    }
    for (let i = n - 1; i >= 0; i--) {
      for (let k = i + 1; k < n; k++) column[i] -= lu[i * n + k] * column[k];
      column[i] /= lu[i * n + i];
    }
    for (let i = 0; i < n; i++) inverse[i * n + j] = column[i];
  }
  return inverse;
}

/**
 * The product a b of two (n, n) row-major matrices, in float64.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { multiplyMatrices } from "./_matrix.ts";
 * assert.deepEqual([...multiplyMatrices([0, 1, 1, 0], [1, 2, 3, 4], 2)], [3, 4, 1, 2]);
 * ```
 */
export function multiplyMatrices(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  n: number,
): Float64Array {
  const product = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < n; k++) {
      for (let j = 0; j < n; j++) {
        product[i * n + j] += a[i * n + k] * b[k * n + j];
      }
    }
  }
  return product;
}

/**
 * A random orthogonal matrix (|det| = 1): Gram-Schmidt on rows of standard
 * normal numbers, Glow's initialisation of the 1x1 convolution.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { multiplyMatrices, randomRotation } from "./_matrix.ts";
 * import { mulberry32 } from "../../data/random.ts";
 * const q = randomRotation(3, mulberry32(0));
 * const transposed = [0, 3, 6, 1, 4, 7, 2, 5, 8].map((index) => q[index]);
 * const product = multiplyMatrices(q, transposed, 3); // q q^T = I
 * [1, 0, 0, 0, 1, 0, 0, 0, 1].forEach((value, index) => assert.ok(Math.abs(product[index] - value) < 1e-12));
 * ```
 */
export function randomRotation(n: number, random: Random): Float64Array {
  const q = Float64Array.from({ length: n * n }, () => normal(random));
  for (let i = 0; i < n; i++) {
    for (let previous = 0; previous < i; previous++) {
      let dot = 0;
      for (let j = 0; j < n; j++) dot += q[i * n + j] * q[previous * n + j];
      for (let j = 0; j < n; j++) q[i * n + j] -= dot * q[previous * n + j];
    }
    let norm = 0;
    for (let j = 0; j < n; j++) norm += q[i * n + j] ** 2;
    norm = Math.sqrt(norm);
    for (let j = 0; j < n; j++) q[i * n + j] /= norm;
  }
  return q;
}
