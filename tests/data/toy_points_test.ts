import assert from "node:assert/strict";
import { TOY_NAMES, toyPoints, toyStd } from "../../data/toy_points.ts";

/** Sample mean and standard deviation of each axis of (count, 2) points. */
function moments(points: Float32Array): { mean: number[]; std: number[] } {
  const count = points.length / 2;
  const mean = [0, 0];
  const std = [0, 0];
  for (let index = 0; index < count; index++) {
    for (const axis of [0, 1]) mean[axis] += points[2 * index + axis] / count;
  }
  for (let index = 0; index < count; index++) {
    for (const axis of [0, 1]) {
      std[axis] += (points[2 * index + axis] - mean[axis]) ** 2 / count;
    }
  }
  return { mean, std: std.map(Math.sqrt) };
}

Deno.test("toyPoints() gives (count, 2) finite points and one label each", () => {
  for (const name of TOY_NAMES) {
    const { points, labels } = toyPoints(name, 1001, 0);
    assert.equal(points.length, 2002, name);
    assert.equal(labels.length, 1001, name);
    assert.ok(points.every(Number.isFinite), name);
  }
  const empty = toyPoints("moons", 0, 0);
  assert.equal(empty.points.length, 0);
});

Deno.test("toyPoints() repeats exactly for a seed and differs between seeds", () => {
  for (const name of TOY_NAMES) {
    const first = toyPoints(name, 500, 42);
    const again = toyPoints(name, 500, 42);
    const other = toyPoints(name, 500, 43);
    assert.deepEqual(again.points, first.points, name);
    assert.deepEqual(again.labels, first.labels, name);
    // Random points of another seed have no value to expect.
    assert.notDeepEqual(other.points, first.points, name);
  }
});

Deno.test("toyPoints() centres each distribution and matches toyStd() (tolerance 0.03)", () => {
  for (const name of TOY_NAMES) {
    const { mean, std } = moments(toyPoints(name, 20000, 7).points);
    const expected = toyStd(name);
    for (const axis of [0, 1]) {
      assert.ok(Math.abs(mean[axis]) < 0.03, `${name} mean ${mean}`);
      assert.ok(
        Math.abs(std[axis] - expected[axis]) < 0.03,
        `${name} std ${std}, expected ${expected}`,
      );
    }
    // Per-axis variances average to 1, as for N(0, I).
    assert.ok(Math.abs((expected[0] ** 2 + expected[1] ** 2) / 2 - 1) < 1e-12);
  }
});

Deno.test("toyStd() gives the documented spreads", () => {
  const round = (values: number[]) =>
    values.map((value) => Math.round(value * 100) / 100);
  assert.deepEqual(round(toyStd("moons")), [1.22, 0.71]);
  assert.deepEqual(round(toyStd("gaussians")), [1, 1]);
  assert.deepEqual(round(toyStd("swissroll")), [0.98, 1.02]);
});

Deno.test("toyPoints('moons') gives two balanced moons, one above the other", () => {
  const { points, labels } = toyPoints("moons", 4000, 1);
  const counts = [0, 0];
  const meanY = [0, 0];
  for (let index = 0; index < labels.length; index++) {
    counts[labels[index]]++;
    meanY[labels[index]] += points[2 * index + 1] / 2000;
  }
  assert.deepEqual(counts, [2000, 2000]);
  // The upper moon (label 0) sits above the lower one. Raw moons (t ~
  // U(0, pi), noise 0.1): mean y 2/pi and 1/2 - 2/pi, so 0.25 overall;
  // x has variance 3/4 + 0.01 and y 9/16 - 1/pi + 0.01. Centred and scaled
  // by s with s^2 (var x + var y) / 2 = 1, the moons' mean y are
  // +-(2/pi - 1/4) s. Within a moon y has standard deviation
  // sqrt(1/2 - 4/pi^2 + 0.01) s, so a mean of 2000 is off by under 0.008 s
  // (one standard deviation); 6 of them.
  const s = 1 / Math.sqrt(
    (0.75 + 0.01 + (0.5625 - 1 / Math.PI + 0.01)) / 2,
  );
  const expected = (2 / Math.PI - 0.25) * s;
  const slack = 6 * Math.sqrt(0.5 - 4 / Math.PI ** 2 + 0.01) * s /
    Math.sqrt(2000);
  assert.ok(
    Math.abs(meanY[0] - expected) < slack &&
      Math.abs(meanY[1] + expected) < slack,
    `mean y ${meanY}, expected +-${expected} within ${slack}`,
  );
});

Deno.test("toyPoints('gaussians') puts component k near angle k pi/4 on one circle", () => {
  const { points, labels } = toyPoints("gaussians", 800, 2);
  // Radius 2 scaled by 1 / sqrt(2^2 / 2 + 0.1^2).
  const radius = 2 / Math.sqrt(2 + 0.01);
  for (let index = 0; index < labels.length; index++) {
    const angle = (labels[index] * Math.PI) / 4;
    const dx = points[2 * index] - radius * Math.cos(angle);
    const dy = points[2 * index + 1] - radius * Math.sin(angle);
    // The component std is 0.1 / sqrt(2.01) = 0.07; 6 std is far out.
    assert.ok(Math.hypot(dx, dy) < 0.45, `point ${index} is off its centre`);
  }
  assert.deepEqual(new Set(labels), new Set([0, 1, 2, 3, 4, 5, 6, 7]));
});

Deno.test("toyPoints('swissroll') labels every point 0", () => {
  const { labels } = toyPoints("swissroll", 100, 3);
  assert.ok(labels.every((label) => label === 0));
});

Deno.test("toyPoints() rejects an unknown name, listing the valid ones, and a bad count", () => {
  assert.throws(
    () => toyPoints("spirals", 10, 0),
    /unknown toy distribution "spirals": expected one of moons, gaussians, swissroll/,
  );
  assert.throws(() => toyPoints("moons", 1.5, 0), /whole number/);
  assert.throws(() => toyPoints("moons", -1, 0), /whole number/);
});
