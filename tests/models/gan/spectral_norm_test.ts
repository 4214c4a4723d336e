import assert from "node:assert/strict";
import { tf } from "../../../backends/tf.ts";
import { initEngine } from "../../../backends/engine.ts";
import { mulberry32 } from "../../../data/random.ts";
import { SpectralNorm } from "../../../models/gan/spectral_norm.ts";
import { assertClose, Rng } from "../../_helpers.ts";

await initEngine({ threads: 2 });

/** Largest singular value of [[a, b], [c, d]] in closed form. */
function largestSingularValue2x2(
  a: number,
  b: number,
  c: number,
  d: number,
): number {
  // Eigenvalues of A^T A: (S +- sqrt(S^2 - 4 det^2)) / 2, S = sum of squares.
  const s = a * a + b * b + c * c + d * d;
  const det = a * d - b * c;
  return Math.sqrt((s + Math.sqrt(s * s - 4 * det * det)) / 2);
}

/** Largest singular value of a (rows, columns) matrix by plain power iteration on M^T M. */
function largestSingularValue(
  matrix: ArrayLike<number>,
  rows: number,
  columns: number,
): number {
  let u = Array.from({ length: columns }, (_, i) => 1 + i);
  let value = 0;
  for (let iteration = 0; iteration < 2000; iteration++) {
    const mu = Array.from({ length: rows }, (_, r) => {
      let sum = 0;
      for (let c = 0; c < columns; c++) sum += matrix[r * columns + c] * u[c];
      return sum;
    });
    const next = Array.from({ length: columns }, (_, c) => {
      let sum = 0;
      for (let r = 0; r < rows; r++) sum += matrix[r * columns + c] * mu[r];
      return sum;
    });
    const norm = Math.hypot(...next);
    u = next.map((x) => x / norm);
    value = Math.sqrt(norm);
  }
  return value;
}

Deno.test("SpectralNorm.sigma() converges to the largest singular value of a 2x2 matrix", () => {
  const weight = tf.variable(tf.tensor2d([[1, 2], [3, 4]]));
  // [[1, 2], [3, 4]] has singular values 5.4650 and 0.3660.
  const expected = largestSingularValue2x2(1, 2, 3, 4);
  assert.ok(Math.abs(expected - 5.46499) < 1e-4);
  const norm = new SpectralNorm(weight, mulberry32(1));
  for (let i = 0; i < 30; i++) tf.tidy(() => norm.apply(true));
  assert.ok(
    Math.abs(norm.sigma() - expected) < 1e-4 * expected,
    `sigma ${norm.sigma()} vs ${expected}`,
  );
  // The normalised weight's own largest singular value is then 1.
  const normalized = tf.tidy(() => norm.apply(false).dataSync());
  const [a, b, c, d] = normalized;
  assert.ok(Math.abs(largestSingularValue2x2(a, b, c, d) - 1) < 1e-4);
  norm.dispose();
  weight.dispose();
});

Deno.test("SpectralNorm on a conv kernel matches power iteration on the (h*w*in, out) matrix", () => {
  const rng = new Rng(2);
  const values = rng.uniform(2 * 2 * 3 * 4);
  const weight = tf.variable(tf.tensor4d(values, [2, 2, 3, 4]));
  const norm = new SpectralNorm(weight, mulberry32(3));
  for (let i = 0; i < 200; i++) tf.tidy(() => norm.apply(true));
  const expected = largestSingularValue(values, 12, 4);
  assert.ok(
    Math.abs(norm.sigma() - expected) < 1e-3 * expected,
    `sigma ${norm.sigma()} vs ${expected}`,
  );
  assert.deepEqual(norm.u.shape, [4]);
  norm.dispose();
  weight.dispose();
});

Deno.test("SpectralNorm.apply() moves u only when asked to update", () => {
  const weight = tf.variable(tf.tensor2d([[2, 0.5], [0.1, 1]]));
  const norm = new SpectralNorm(weight, mulberry32(4));
  const start = [...norm.u.dataSync()];
  assert.ok(
    Math.abs(Math.hypot(...start) - 1) < 1e-6,
    "u starts at unit length",
  );
  tf.tidy(() => norm.apply(false));
  assert.deepEqual([...norm.u.dataSync()], start);
  tf.tidy(() => norm.apply(true));
  // One power step by hand, W = [[2, 0.5], [0.1, 1]] as (fanIn, outputs):
  // v = W u / ||W u||, then u = W^T v / ||W^T v||.
  const [a, b] = start;
  const wu = [2 * a + 0.5 * b, 0.1 * a + 1 * b];
  const v = wu.map((x) => x / Math.hypot(...wu));
  const wtv = [2 * v[0] + 0.1 * v[1], 0.5 * v[0] + 1 * v[1]];
  const expected = wtv.map((x) => x / Math.hypot(...wtv));
  const moved = [...norm.u.dataSync()];
  expected.forEach((x, i) =>
    assert.ok(Math.abs(moved[i] - x) < 1e-6, `u ${moved}, by hand ${expected}`)
  );
  assert.ok(Math.abs(moved[0] - start[0]) > 1e-3, "the step moved u");
  assert.equal(norm.u.trainable, false);
  norm.dispose();
  weight.dispose();
});

Deno.test("SpectralNorm.apply() differentiates W / sigma with the singular vectors held constant", () => {
  const rng = new Rng(6);
  const rows = 3, columns = 2;
  const w = rng.uniform(rows * columns);
  const g = rng.uniform(rows * columns);
  const weight = tf.variable(tf.tensor2d(w, [rows, columns]));
  const norm = new SpectralNorm(weight, mulberry32(7));
  const u0 = [...norm.u.dataSync()];
  // One power step by hand: v = W u0 / |.|, u1 = W^T v / |.|, sigma = v^T W u1.
  const times = (m: ArrayLike<number>, x: number[]) =>
    Array.from(
      { length: rows },
      (_, r) => x.reduce((s, xc, c) => s + m[r * columns + c] * xc, 0),
    );
  const unit = (x: number[]) => x.map((e) => e / Math.hypot(...x));
  const v = unit(times(w, u0));
  const u1 = unit(
    Array.from(
      { length: columns },
      (_, c) => v.reduce((s, vr, r) => s + w[r * columns + c] * vr, 0),
    ),
  );
  const sigma = times(w, u1).reduce((s, x, r) => s + x * v[r], 0);
  // d/dW sum(G * W / sigma) = G / sigma - sum(W * G) / sigma^2 * v u1^T.
  const inner = w.reduce((s, x, i) => s + x * g[i], 0);
  const expected = Array.from(
    w,
    (_, i) =>
      g[i] / sigma -
      inner / sigma ** 2 * v[Math.floor(i / columns)] * u1[i % columns],
  );
  const gradient = tf.tidy(() => {
    const { grads } = tf.variableGrads(
      () => tf.sum(tf.mul(norm.apply(false), tf.tensor2d(g, [rows, columns]))),
      [weight],
    );
    return grads[weight.name].dataSync();
  });
  assertClose(gradient, expected, 1e-4, "d sum(G * W_sn) / dW");
  norm.dispose();
  weight.dispose();
});
