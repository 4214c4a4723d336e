import assert from "node:assert/strict";
import { featureStatistics } from "../../eval/feature_statistics.ts";
import { Rng } from "../_helpers.ts";

Deno.test("featureStatistics() gives the mean and unbiased covariance of hand rows", () => {
  // Rows (1, 2), (3, 6), (5, 4): mean (3, 4); centred (-2, -2), (0, 2), (2, 0);
  // sums of products: xx 8, xy 4, yy 8; divided by count - 1 = 2.
  const { mean, covariance } = featureStatistics(
    Float64Array.of(1, 2, 3, 6, 5, 4),
    2,
  );
  assert.deepEqual([...mean], [3, 4]);
  assert.deepEqual([...covariance], [4, 2, 2, 4]);
});

Deno.test("featureStatistics() matches a one-pass float64 reference on random rows", () => {
  const rng = new Rng(2);
  const count = 50;
  const dim = 6;
  const rows = Float32Array.from(
    { length: count * dim },
    () => 100 + rng.next(),
  );
  const { mean, covariance } = featureStatistics(rows, dim);
  for (let first = 0; first < dim; first++) {
    let sumFirst = 0;
    for (let row = 0; row < count; row++) sumFirst += rows[row * dim + first];
    assert.ok(Math.abs(mean[first] - sumFirst / count) < 1e-10);
    for (let second = 0; second < dim; second++) {
      let sum = 0;
      for (let row = 0; row < count; row++) {
        sum += (rows[row * dim + first] - mean[first]) *
          (rows[row * dim + second] - mean[second]);
      }
      assert.ok(
        Math.abs(covariance[first * dim + second] - sum / (count - 1)) < 1e-12,
      );
      assert.equal(
        covariance[first * dim + second],
        covariance[second * dim + first],
      );
    }
  }
});

Deno.test("featureStatistics() rejects partial rows and a single row", () => {
  assert.throws(() => featureStatistics([1, 2, 3], 2), /whole rows of 2/);
  assert.throws(() => featureStatistics([1, 2], 2), /at least 2 rows/);
});
