import assert from "node:assert/strict";
import { mulberry32 } from "../../../data/random.ts";
import {
  invertMatrix,
  isSingular,
  logAbsDeterminant,
  luFactor,
  multiplyMatrices,
  randomRotation,
} from "../../../models/flow/_matrix.ts";
import { matrixProduct } from "./_helpers.ts";

function assertIdentity(matrix: Float64Array, n: number, tolerance: number) {
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const expected = i === j ? 1 : 0;
      assert.ok(
        Math.abs(matrix[i * n + j] - expected) <= tolerance,
        `(${i}, ${j}) = ${matrix[i * n + j]}`,
      );
    }
  }
}

Deno.test("logAbsDeterminant() matches the cofactor expansion of a 3 x 3 that needs pivoting", () => {
  // A zero in the top-left corner forces a row swap.
  const a = [0, 2, 1, 3, -1, 4, 2, 5, -2];
  const det = a[0] * (a[4] * a[8] - a[5] * a[7]) -
    a[1] * (a[3] * a[8] - a[5] * a[6]) +
    a[2] * (a[3] * a[7] - a[4] * a[6]); // 0 - 2 (-6 - 8) + (15 + 2) = 45
  assert.equal(det, 45);
  assert.ok(Math.abs(logAbsDeterminant(a, 3) - Math.log(45)) < 1e-12);
  assert.ok(
    Math.abs(logAbsDeterminant([2, 0, 0, -3], 2) - Math.log(6)) < 1e-12,
  );
});

Deno.test("multiplyMatrices() gives the row-by-column product, worked by hand", () => {
  const a = [1, 2, 0, -1, 3, 4, 2, 0, -2];
  const b = [0, 1, 5, 2, -1, 1, 3, 0, -1];
  // Row 2 of a b: (-1)(0) + 3(2) + 4(3) = 18, (-1)(1) + 3(-1) + 4(0) = -4,
  // (-1)(5) + 3(1) + 4(-1) = -6; rows 1 and 3 likewise.
  const rows = (m: Float64Array) =>
    [0, 3, 6].map((i) => [...m.slice(i, i + 3)]);
  assert.deepEqual(rows(multiplyMatrices(a, b, 3)), [
    [4, -1, 7],
    [18, -4, -6],
    [-6, 2, 12],
  ]);
  // b a is another matrix: the order of the factors is kept.
  assert.deepEqual(rows(multiplyMatrices(b, a, 3)), [
    [9, 3, -6],
    [5, 1, -6],
    [1, 6, 2],
  ]);
});

Deno.test("luFactor() rebuilds P A = L U with the sign of P", () => {
  const a = [0, 2, 1, 3, -1, 4, 2, 5, -2];
  const { lu, rows, permutationSign } = luFactor(a, 3);
  const l = new Float64Array(9), u = new Float64Array(9);
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      if (j < i) l[i * 3 + j] = lu[i * 3 + j];
      else u[i * 3 + j] = lu[i * 3 + j];
    }
    l[i * 3 + i] = 1;
  }
  const product = matrixProduct(l, u, 3);
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      assert.ok(Math.abs(product[i * 3 + j] - a[rows[i] * 3 + j]) < 1e-12);
    }
  }
  const diagonal = u[0] * u[4] * u[8];
  assert.ok(Math.abs(permutationSign * diagonal - 45) < 1e-9);
});

Deno.test("invertMatrix() gives A^-1 A = I, and undefined for a singular matrix", () => {
  const random = mulberry32(3);
  const n = 6;
  const a = Float64Array.from({ length: n * n }, () => 2 * random() - 1);
  assertIdentity(matrixProduct(invertMatrix(a, n)!, a, n), n, 1e-10);
  assert.equal(invertMatrix([1, 2, 2, 4], 2), undefined);
  assert.equal(invertMatrix([1, NaN, 0, 1], 2), undefined);
});

Deno.test("isSingular() flags zero, NaN and float32-hopeless pivots, not rotations", () => {
  assert.equal(isSingular(luFactor([1, 2, 2, 4], 2)), true);
  assert.equal(isSingular(luFactor([1, 0, 0, NaN], 2)), true);
  assert.equal(isSingular(luFactor([1, 0, 0, 1e-9], 2)), true);
  assert.equal(isSingular(luFactor([1, 0, 0, 1e-5], 2)), false);
  assert.equal(
    isSingular(luFactor(randomRotation(8, mulberry32(1)), 8)),
    false,
  );
  assert.equal(logAbsDeterminant([1, 2, 2, 4], 2), -Infinity);
});

Deno.test("randomRotation() is orthogonal (Q Q^T = I, log |det| = 0) and seeded", () => {
  const n = 8;
  const q = randomRotation(n, mulberry32(5));
  const transposed = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) transposed[j * n + i] = q[i * n + j];
  }
  assertIdentity(matrixProduct(q, transposed, n), n, 1e-12);
  assert.ok(Math.abs(logAbsDeterminant(q, n)) < 1e-12);
  assert.deepEqual(randomRotation(n, mulberry32(5)), q);
  // Another seed, another rotation: any rotation passes the checks above.
  assert.notDeepEqual(randomRotation(n, mulberry32(6)), q);
});
