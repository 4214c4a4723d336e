import assert from "node:assert/strict";
import { classHistogram, modesCovered } from "../../eval/class_histogram.ts";

Deno.test("classHistogram() counts predictions per class", () => {
  assert.deepEqual([...classHistogram([0, 2, 2, 1, 2, 4], 5)], [1, 1, 3, 0, 1]);
  assert.deepEqual([...classHistogram([], 3)], [0, 0, 0]);
});

Deno.test("classHistogram() rejects a class out of range", () => {
  assert.throws(() => classHistogram([0, 3], 3), /prediction 1 is 3/);
  assert.throws(() => classHistogram([0.5], 3), /prediction 0/);
});

Deno.test("modesCovered() counts classes holding at least 1% of the samples", () => {
  // 1000 samples: 10 (1%) counts, 9 does not, 0 does not.
  const histogram = [500, 300, 181, 10, 9, 0, 0, 0, 0, 0];
  assert.equal(modesCovered(histogram), 4);
  assert.equal(modesCovered(histogram, 0.2), 2);
  assert.equal(modesCovered(Array(10).fill(100)), 10);
  assert.equal(modesCovered([0, 0, 0]), 0);
});

Deno.test("modesCovered() rejects a threshold outside (0, 1]", () => {
  assert.throws(() => modesCovered([1], 0), /threshold/);
  assert.throws(() => modesCovered([1], 1.5), /threshold/);
});
