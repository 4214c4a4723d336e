/**
 * The Fréchet distance between two Gaussians, the formula behind FID.
 *
 * @module
 */
import { symmetricEigen } from "./symmetric_eigen.ts";

/**
 * The squared Fréchet (2-Wasserstein) distance between N(mu1, S1) and
 * N(mu2, S2) (Dowson & Landau 1982; as FID, Heusel et al. 2017):
 *
 *   d^2 = ||mu1 - mu2||^2 + Tr(S1 + S2 - 2 (S1 S2)^(1/2)),
 *
 * in float64. Tr((S1 S2)^(1/2)) is taken without the non-symmetric square
 * root: S1 S2 has the same eigenvalues as the symmetric positive
 * semi-definite M = S1^(1/2) S2 S1^(1/2), so the trace is the sum of the
 * square roots of M's eigenvalues. Two symmetric eigen-decompositions (of S1,
 * for its square root, then of M) do it; eigenvalues that rounding leaves
 * slightly negative count as 0, and a result that rounding leaves slightly
 * below 0 is returned as 0.
 *
 * @param mu1 (n) mean of the first Gaussian.
 * @param sigma1 (n, n) row-major covariance of the first, symmetric PSD.
 * @param mu2 (n) mean of the second.
 * @param sigma2 (n, n) row-major covariance of the second, symmetric PSD.
 * @returns d^2 >= 0 (FID reports this squared distance).
 * @throws Error if the sizes disagree.
 *
 * @example Two 1-D Gaussians: (0 - 1)^2 + 1 + 4 - 2 sqrt(1 * 4) = 2
 * ```ts
 * import assert from "node:assert/strict";
 * import { frechetDistance } from "./frechet_distance.ts";
 * assert.equal(frechetDistance([0], [1], [1], [4]), 2);
 * ```
 */
export function frechetDistance(
  mu1: ArrayLike<number>,
  sigma1: ArrayLike<number>,
  mu2: ArrayLike<number>,
  sigma2: ArrayLike<number>,
): number {
  const n = mu1.length;
  if (mu2.length !== n) {
    throw new Error(`mu1 has ${n} entries but mu2 has ${mu2.length}`);
  }
  for (
    const [name, sigma] of [["sigma1", sigma1], ["sigma2", sigma2]] as const
  ) {
    if (sigma.length !== n * n) {
      throw new Error(
        `${name} must hold ${n} x ${n} = ${n * n} numbers, got ${sigma.length}`,
      );
    }
  }
  let meanTerm = 0;
  for (let index = 0; index < n; index++) {
    meanTerm += (mu1[index] - mu2[index]) ** 2;
  }
  let traces = 0;
  for (let index = 0; index < n; index++) {
    traces += sigma1[index * n + index] + sigma2[index * n + index];
  }
  const distance = meanTerm + traces - 2 * traceSqrtProduct(sigma1, sigma2, n);
  return Math.max(0, distance);
}

/**
 * Tr((S1 S2)^(1/2)) for symmetric PSD S1, S2: the sum of sqrt(lambda) over
 * the eigenvalues lambda of S1^(1/2) S2 S1^(1/2).
 *
 * @param sigma1 (n, n) row-major, symmetric PSD.
 * @param sigma2 (n, n) row-major, symmetric PSD.
 * @param n Side of both.
 * @returns The trace, >= 0.
 *
 * @example Commuting (diagonal) matrices: sqrt(1 * 4) + sqrt(9 * 1) = 5
 * ```ts
 * import assert from "node:assert/strict";
 * import { traceSqrtProduct } from "./frechet_distance.ts";
 * assert.equal(traceSqrtProduct([1, 0, 0, 9], [4, 0, 0, 1], 2), 5);
 * ```
 */
export function traceSqrtProduct(
  sigma1: ArrayLike<number>,
  sigma2: ArrayLike<number>,
  n: number,
): number {
  // 1. S1^(1/2) = V diag(sqrt(max(l, 0))) V^T from S1 = V diag(l) V^T.
  const { values, vectors } = symmetricEigen(sigma1, n);
  const root = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    const scale = Math.sqrt(Math.max(0, values[k]));
    if (scale === 0) continue;
    for (let row = 0; row < n; row++) {
      const left = scale * vectors[row * n + k];
      for (let column = 0; column < n; column++) {
        root[row * n + column] += left * vectors[column * n + k];
      }
    }
  }
  // 2. M = S1^(1/2) S2 S1^(1/2), symmetric PSD (only its upper triangle is read).
  const product = multiply(multiply(root, sigma2, n), root, n);
  // 3. Tr(M^(1/2)) = sum of sqrt of M's eigenvalues.
  let trace = 0;
  for (const lambda of symmetricEigen(product, n).values) {
    trace += Math.sqrt(Math.max(0, lambda));
  }
  return trace;
}

/** (n, n) x (n, n), row-major, in float64. */
function multiply(
  left: ArrayLike<number>,
  right: ArrayLike<number>,
  n: number,
): Float64Array {
  const out = new Float64Array(n * n);
  for (let row = 0; row < n; row++) {
    for (let inner = 0; inner < n; inner++) {
      const value = left[row * n + inner];
      if (value === 0) continue;
      const offset = inner * n;
      const outOffset = row * n;
      for (let column = 0; column < n; column++) {
        out[outOffset + column] += value * right[offset + column];
      }
    }
  }
  return out;
}
