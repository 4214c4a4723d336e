import assert from "node:assert/strict";
import { symmetricEigen } from "../../eval/symmetric_eigen.ts";
import { Rng } from "../_helpers.ts";

/** Absolute tolerance of float64 results of size about 1. */
const TOLERANCE = 1e-10;

function assertNear(actual: number, expected: number, label = ""): void {
  assert.ok(
    Math.abs(actual - expected) <= TOLERANCE * Math.max(1, Math.abs(expected)),
    `${label} ${actual} vs ${expected}`,
  );
}

/** A random symmetric (n, n) matrix with entries in [-1, 1). */
function randomSymmetric(n: number, seed: number): Float64Array {
  const rng = new Rng(seed);
  const matrix = new Float64Array(n * n);
  for (let row = 0; row < n; row++) {
    for (let column = row; column < n; column++) {
      const value = 2 * rng.next() - 1;
      matrix[row * n + column] = value;
      matrix[column * n + row] = value;
    }
  }
  return matrix;
}

Deno.test("symmetricEigen() finds the eigenvalues of a known 3 x 3 matrix", () => {
  // [[2, -1, 0], [-1, 2, -1], [0, -1, 2]]: 2 - sqrt 2, 2, 2 + sqrt 2, with
  // eigenvectors (1, sqrt 2, 1) / 2, (1, 0, -1) / sqrt 2, (1, -sqrt 2, 1) / 2.
  const { values, vectors } = symmetricEigen(
    Float64Array.of(2, -1, 0, -1, 2, -1, 0, -1, 2),
    3,
  );
  assertNear(values[0], 2 - Math.SQRT2, "lambda 0");
  assertNear(values[1], 2, "lambda 1");
  assertNear(values[2], 2 + Math.SQRT2, "lambda 2");
  const expected = [
    [0.5, Math.SQRT1_2, 0.5],
    [Math.SQRT1_2, 0, -Math.SQRT1_2],
    [0.5, -Math.SQRT1_2, 0.5],
  ];
  for (let k = 0; k < 3; k++) {
    // Eigenvectors are defined up to sign.
    const sign = Math.sign(vectors[k]) * Math.sign(expected[k][0]);
    for (let row = 0; row < 3; row++) {
      assertNear(
        sign * vectors[row * 3 + k],
        expected[k][row],
        `v${k}[${row}]`,
      );
    }
  }
});

Deno.test("symmetricEigen() leaves a diagonal matrix's entries, sorted", () => {
  const { values, vectors } = symmetricEigen(
    Float64Array.of(3, 0, 0, 0, -1, 0, 0, 0, 2),
    3,
  );
  assert.deepEqual([...values], [-1, 2, 3]);
  assert.deepEqual([...vectors], [0, 0, 1, 1, 0, 0, 0, 1, 0]);
});

Deno.test("symmetricEigen() rebuilds a random 128 x 128 matrix as V diag(values) V^T", () => {
  const n = 128;
  const matrix = randomSymmetric(n, 3);
  const { values, vectors } = symmetricEigen(matrix, n);
  for (let k = 1; k < n; k++) assert.ok(values[k - 1] <= values[k], "sorted");
  let worstRebuild = 0;
  let worstOrthogonality = 0;
  for (let row = 0; row < n; row++) {
    for (let column = 0; column < n; column++) {
      let rebuilt = 0;
      let dot = 0;
      for (let k = 0; k < n; k++) {
        rebuilt += vectors[row * n + k] * values[k] * vectors[column * n + k];
        // (V^T V)[row][column]
        dot += vectors[k * n + row] * vectors[k * n + column];
      }
      worstRebuild = Math.max(
        worstRebuild,
        Math.abs(rebuilt - matrix[row * n + column]),
      );
      worstOrthogonality = Math.max(
        worstOrthogonality,
        Math.abs(dot - (row === column ? 1 : 0)),
      );
    }
  }
  assert.ok(worstRebuild < 1e-12, `A - V L V^T: ${worstRebuild}`);
  assert.ok(worstOrthogonality < 1e-12, `V^T V - I: ${worstOrthogonality}`);
});

Deno.test("symmetricEigen() keeps tiny eigenvalues of a rank-deficient matrix near 0", () => {
  // u u^T + w w^T in 5-D: eigenvalues 0, 0, 0 and two positive ones.
  const u = [1, 2, 0, -1, 3];
  const w = [0, 1, 1, 1, -1];
  const matrix = new Float64Array(25);
  for (let row = 0; row < 5; row++) {
    for (let column = 0; column < 5; column++) {
      matrix[row * 5 + column] = u[row] * u[column] + w[row] * w[column];
    }
  }
  const { values } = symmetricEigen(matrix, 5);
  for (let k = 0; k < 3; k++) assert.ok(Math.abs(values[k]) < 1e-14);
  // The trace is kept: |u|^2 + |w|^2 = 15 + 4.
  assertNear(values[3] + values[4], 19, "trace");
});

Deno.test("symmetricEigen() rejects a wrong size and non-finite entries", () => {
  assert.throws(() => symmetricEigen([1, 2, 3], 2), /n \* n = 4/);
  assert.throws(() => symmetricEigen([1, NaN, NaN, 1], 2), /matrix\[0\]\[1\]/);
  assert.throws(() => symmetricEigen([], 0), /whole number >= 1/);
});
