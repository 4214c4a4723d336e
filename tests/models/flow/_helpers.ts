/**
 * Helpers of the flow tests: brute-force log-determinants (the full
 * Jacobian of a map, one row per output number by automatic
 * differentiation, and its log |det| by Gaussian elimination with partial
 * pivoting in float64, independent of models/flow/_matrix.ts), weights
 * moved off their initialisation so no block is tested at a trivial
 * point, and plain comparisons and matrix products of the tests' own (the
 * library's are among what the tests check).
 *
 * @module
 */
import { tf } from "../../../backends/tf.ts";
import type { Random } from "../../../data/random.ts";

/** Adds U(-scale, scale) noise to every variable. */
export function perturbVariables(
  variables: Iterable<tf.Variable>,
  random: Random,
  scale: number,
): void {
  tf.tidy(() => {
    for (const variable of variables) {
      const noise = Float32Array.from(
        { length: variable.size },
        () => (2 * random() - 1) * scale,
      );
      variable.assign(tf.add(variable, tf.tensor(noise, variable.shape)));
    }
  });
}

/** The Jacobian dF/dx of F at x, (outputs, inputs) row-major, F's output flattened. */
export function jacobian(
  map: (x: tf.Tensor4D) => tf.Tensor,
  x: tf.Tensor4D,
): { rows: number; columns: number; values: Float64Array } {
  const columns = x.size;
  const rows = tf.tidy(() => map(x).size);
  const values = new Float64Array(rows * columns);
  for (let row = 0; row < rows; row++) {
    const gradient = tf.tidy(() => {
      const pick = tf.oneHot(tf.tensor1d([row], "int32"), rows).reshape([
        rows,
      ]);
      return tf.grad((input: tf.Tensor) =>
        tf.sum(tf.mul(tf.reshape(map(input as tf.Tensor4D), [-1]), pick))
      )(x).dataSync();
    });
    values.set(gradient, row * columns);
  }
  return { rows, columns, values };
}

/** log |det A| of a square float64 matrix by elimination with partial pivoting. */
export function eliminationLogAbsDet(matrix: Float64Array, n: number): number {
  const a = Float64Array.from(matrix);
  let sum = 0;
  for (let k = 0; k < n; k++) {
    let pivot = k;
    for (let i = k + 1; i < n; i++) {
      if (Math.abs(a[i * n + k]) > Math.abs(a[pivot * n + k])) pivot = i;
    }
    for (let j = 0; j < n; j++) {
      [a[k * n + j], a[pivot * n + j]] = [a[pivot * n + j], a[k * n + j]];
    }
    const diagonal = a[k * n + k];
    if (diagonal === 0) return -Infinity;
    sum += Math.log(Math.abs(diagonal));
    for (let i = k + 1; i < n; i++) {
      const factor = a[i * n + k] / diagonal;
      for (let j = k; j < n; j++) a[i * n + j] -= factor * a[k * n + j];
    }
  }
  return sum;
}

/** log |det dF/dx| at x (one example, F square), the brute-force way. */
export function bruteForceLogDet(
  map: (x: tf.Tensor4D) => tf.Tensor,
  x: tf.Tensor4D,
): number {
  const { rows, columns, values } = jacobian(map, x);
  if (rows !== columns) {
    throw new Error(`the Jacobian is ${rows} x ${columns}, not square`);
  }
  return eliminationLogAbsDet(values, rows);
}

/**
 * Largest |a_i - b_i|, Infinity where either holds NaN: the tests' own, so
 * a comparison does not go through models/flow/float64.ts, which it checks.
 */
export function maxAbsDifference(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
): number {
  if (a.length !== b.length) {
    throw new Error(`${a.length} values against ${b.length}`);
  }
  let largest = 0;
  for (let i = 0; i < a.length; i++) {
    const difference = Math.abs(a[i] - b[i]);
    if (Number.isNaN(difference)) return Infinity;
    if (difference > largest) largest = difference;
  }
  return largest;
}

/**
 * The product of two (n, n) row-major matrices in float64, entry by entry
 * as a dot product of a row and a column: the tests' own, independent of
 * models/flow/_matrix.ts.
 */
export function matrixProduct(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  n: number,
): Float64Array {
  const product = new Float64Array(n * n);
  for (let row = 0; row < n; row++) {
    for (let column = 0; column < n; column++) {
      let dot = 0;
      for (let k = 0; k < n; k++) dot += a[row * n + k] * b[k * n + column];
      product[row * n + column] = dot;
    }
  }
  return product;
}
