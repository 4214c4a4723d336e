import assert from "node:assert/strict";
import { inceptionScore } from "../../eval/inception_score.ts";

const TOLERANCE = 1e-12;

function assertNear(actual: number, expected: number, label = ""): void {
  assert.ok(
    Math.abs(actual - expected) <= TOLERANCE * Math.max(1, Math.abs(expected)),
    `${label} ${actual} vs ${expected}`,
  );
}

/** One-hot rows for the given labels over `classes`. */
function oneHot(labels: number[], classes: number): Float64Array {
  const rows = new Float64Array(labels.length * classes);
  labels.forEach((label, row) => rows[row * classes + label] = 1);
  return rows;
}

Deno.test("inceptionScore() is 1 for uniform predictions", () => {
  const uniform = new Float64Array(20 * 10).fill(0.1);
  const { mean, std } = inceptionScore(uniform, 10, 2);
  assertNear(mean, 1);
  assertNear(std, 0);
});

Deno.test("inceptionScore() is 10 for confident predictions spread evenly over 10 classes", () => {
  const labels = Array.from({ length: 100 }, (_, index) => index % 10);
  const { mean, std } = inceptionScore(oneHot(labels, 10), 10, 10);
  assertNear(mean, 10);
  assertNear(std, 0);
});

Deno.test("inceptionScore() is 1 when every sample is confidently the same class", () => {
  assertNear(inceptionScore(oneHot([3, 3, 3, 3], 10), 10, 1).mean, 1);
});

Deno.test("inceptionScore() matches a hand-computed two-class table", () => {
  // Rows (0.9, 0.1) and (0.5, 0.5): p(y) = (0.7, 0.3).
  // KL1 = 0.9 ln(9/7) + 0.1 ln(1/3); KL2 = 0.5 ln(5/7) + 0.5 ln(5/3).
  const kl1 = 0.9 * Math.log(0.9 / 0.7) + 0.1 * Math.log(0.1 / 0.3);
  const kl2 = 0.5 * Math.log(0.5 / 0.7) + 0.5 * Math.log(0.5 / 0.3);
  const score = inceptionScore([0.9, 0.1, 0.5, 0.5], 2, 1);
  assertNear(score.mean, Math.exp((kl1 + kl2) / 2));
});

Deno.test("inceptionScore() averages and spreads the scores of its splits", () => {
  // Split 1: two confident, different classes -> 2. Split 2: uniform -> 1.
  const { mean, std } = inceptionScore([1, 0, 0, 1, 0.5, 0.5, 0.5, 0.5], 2, 2);
  assertNear(mean, 1.5);
  assertNear(std, 0.5);
});

Deno.test("inceptionScore() rejects partial rows and too many splits", () => {
  assert.throws(() => inceptionScore([1, 0, 0], 2), /whole rows of 2/);
  assert.throws(() => inceptionScore([1, 0, 0, 1], 2, 3), /splits/);
});
