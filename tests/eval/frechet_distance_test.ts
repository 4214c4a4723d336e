import assert from "node:assert/strict";
import {
  frechetDistance,
  traceSqrtProduct,
} from "../../eval/frechet_distance.ts";
import { Rng } from "../_helpers.ts";

/** Relative tolerance of float64 results against hand values. */
const TOLERANCE = 1e-9;

function assertNear(actual: number, expected: number, label = ""): void {
  assert.ok(
    Math.abs(actual - expected) <= TOLERANCE * Math.max(1, Math.abs(expected)),
    `${label} ${actual} vs ${expected}`,
  );
}

/** (n, n) row-major diagonal matrix. */
function diagonal(entries: number[]): Float64Array {
  const n = entries.length;
  const matrix = new Float64Array(n * n);
  entries.forEach((value, index) => matrix[index * n + index] = value);
  return matrix;
}

/** A random orthogonal (n, n) matrix: Gram-Schmidt on random columns. */
function randomOrthogonal(n: number, rng: Rng): Float64Array {
  const q = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    const column = Array.from({ length: n }, () => 2 * rng.next() - 1);
    for (let previous = 0; previous < k; previous++) {
      let dot = 0;
      for (let row = 0; row < n; row++) {
        dot += column[row] * q[row * n + previous];
      }
      for (let row = 0; row < n; row++) {
        column[row] -= dot * q[row * n + previous];
      }
    }
    const norm = Math.hypot(...column);
    for (let row = 0; row < n; row++) q[row * n + k] = column[row] / norm;
  }
  return q;
}

/** Q diag(entries) Q^T. */
function rotated(q: Float64Array, entries: number[]): Float64Array {
  const n = entries.length;
  const out = new Float64Array(n * n);
  for (let row = 0; row < n; row++) {
    for (let column = 0; column < n; column++) {
      let sum = 0;
      for (let k = 0; k < n; k++) {
        sum += q[row * n + k] * entries[k] * q[column * n + k];
      }
      out[row * n + column] = sum;
    }
  }
  return out;
}

/** A random symmetric positive definite (n, n) matrix B B^T + n I / 10. */
function randomSpd(n: number, rng: Rng): Float64Array {
  const b = Array.from({ length: n * n }, () => 2 * rng.next() - 1);
  const out = new Float64Array(n * n);
  for (let row = 0; row < n; row++) {
    for (let column = 0; column < n; column++) {
      let sum = row === column ? n / 10 : 0;
      for (let k = 0; k < n; k++) sum += b[row * n + k] * b[column * n + k];
      out[row * n + column] = sum;
    }
  }
  return out;
}

Deno.test("frechetDistance() is 0 for identical statistics", () => {
  const rng = new Rng(1);
  const n = 16;
  const mu = Float64Array.from({ length: n }, () => rng.next());
  const sigma = randomSpd(n, rng);
  const distance = frechetDistance(mu, sigma, mu, sigma);
  assert.ok(distance >= 0 && distance < 1e-9, `${distance}`);
});

Deno.test("frechetDistance() of 1-D Gaussians is (mu1 - mu2)^2 + s1 + s2 - 2 sqrt(s1 s2)", () => {
  for (
    const [mu1, s1, mu2, s2] of [[0, 1, 1, 4], [3, 0.5, -2, 7], [1, 2, 1, 2]]
  ) {
    assertNear(
      frechetDistance([mu1], [s1], [mu2], [s2]),
      (mu1 - mu2) ** 2 + s1 + s2 - 2 * Math.sqrt(s1 * s2),
      `N(${mu1}, ${s1}) vs N(${mu2}, ${s2})`,
    );
  }
});

Deno.test("frechetDistance() of diagonal covariances sums the 1-D distances", () => {
  const mu1 = [0, 1, 2];
  const mu2 = [1, 1, 0];
  const s1 = [1, 4, 0.25];
  const s2 = [9, 1, 0];
  let expected = 0;
  for (let index = 0; index < 3; index++) {
    expected += (mu1[index] - mu2[index]) ** 2 + s1[index] + s2[index] -
      2 * Math.sqrt(s1[index] * s2[index]);
  }
  // 1 + 0 + 4 + (1 + 9 - 6) + (4 + 1 - 4) + (0.25 + 0 - 0) = 10.25
  assertNear(expected, 10.25, "hand value");
  assertNear(frechetDistance(mu1, diagonal(s1), mu2, diagonal(s2)), expected);
});

Deno.test("frechetDistance() of commuting random 64 x 64 covariances matches sum (sqrt a - sqrt b)^2", () => {
  // S1 = Q diag(a) Q^T and S2 = Q diag(b) Q^T commute, so
  // Tr(S1 + S2 - 2 (S1 S2)^(1/2)) = sum_k (sqrt a_k - sqrt b_k)^2.
  const rng = new Rng(7);
  const n = 64;
  const q = randomOrthogonal(n, rng);
  const a = Array.from({ length: n }, () => 5 * rng.next());
  const b = Array.from({ length: n }, () => 5 * rng.next());
  const mu1 = Float64Array.from({ length: n }, () => rng.next());
  const mu2 = Float64Array.from({ length: n }, () => rng.next());
  let expected = 0;
  for (let k = 0; k < n; k++) {
    expected += (mu1[k] - mu2[k]) ** 2 +
      (Math.sqrt(a[k]) - Math.sqrt(b[k])) ** 2;
  }
  assertNear(
    frechetDistance(mu1, rotated(q, a), mu2, rotated(q, b)),
    expected,
  );
});

Deno.test("traceSqrtProduct() of random SPD matrices agrees both ways round and is c^(1/2) Tr S1 for S2 = c S1", () => {
  // S1 S2 and S2 S1 have the same eigenvalues, so the traces agree; the sum
  // of the square roots of n eigenvalues is at most sqrt(n Tr(S1 S2))
  // (Cauchy-Schwarz); and (S1 (c S1))^(1/2) = c^(1/2) S1.
  const rng = new Rng(11);
  const n = 32;
  const s1 = randomSpd(n, rng);
  const s2 = randomSpd(n, rng);
  const forward = traceSqrtProduct(s1, s2, n);
  assertNear(traceSqrtProduct(s2, s1, n), forward, "S2 S1 vs S1 S2");
  let traceProduct = 0;
  for (let row = 0; row < n; row++) {
    for (let k = 0; k < n; k++) {
      traceProduct += s1[row * n + k] * s2[k * n + row];
    }
  }
  assert.ok(forward ** 2 <= n * traceProduct * (1 + 1e-12));
  let trace1 = 0;
  for (let index = 0; index < n; index++) trace1 += s1[index * n + index];
  const scaled = s1.map((value) => 4 * value);
  assertNear(traceSqrtProduct(s1, scaled, n), 2 * trace1, "S2 = 4 S1");
});

Deno.test("frechetDistance() of random SPD covariances agrees with an exact 2 x 2 formula", () => {
  // For 2 x 2 PSD M: Tr(M^(1/2)) = sqrt(Tr M + 2 sqrt(det M)), and
  // Tr((S1 S2)^(1/2)) = sqrt(Tr(S1 S2) + 2 sqrt(det S1 det S2)).
  const rng = new Rng(5);
  for (let trial = 0; trial < 5; trial++) {
    const s1 = randomSpd(2, rng);
    const s2 = randomSpd(2, rng);
    const traceProduct = s1[0] * s2[0] + s1[1] * s2[2] + s1[2] * s2[1] +
      s1[3] * s2[3];
    const det1 = s1[0] * s1[3] - s1[1] * s1[2];
    const det2 = s2[0] * s2[3] - s2[1] * s2[2];
    const traceSqrt = Math.sqrt(traceProduct + 2 * Math.sqrt(det1 * det2));
    const expected = 1 + s1[0] + s1[3] + s2[0] + s2[3] - 2 * traceSqrt;
    assertNear(
      frechetDistance([1, 0], s1, [0, 0], s2),
      expected,
      `trial ${trial}`,
    );
  }
});

Deno.test("frechetDistance() handles singular covariances", () => {
  // Point masses: only the means differ.
  assertNear(
    frechetDistance([0, 0], diagonal([0, 0]), [3, 4], diagonal([0, 0])),
    25,
  );
  // One variance zero in one Gaussian: (sqrt 4 - 0)^2 = 4.
  assertNear(
    frechetDistance([0, 0], diagonal([1, 4]), [0, 0], diagonal([1, 0])),
    4,
  );
});

Deno.test("frechetDistance() rejects statistics of different sizes", () => {
  assert.throws(() => frechetDistance([0], [1], [0, 0], [1, 0, 0, 1]), /mu2/);
  assert.throws(
    () => frechetDistance([0, 0], [1], [0, 0], [1, 0, 0, 1]),
    /sigma1/,
  );
});
