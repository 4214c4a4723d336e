import assert from "node:assert/strict";
import { mulberry32, normal } from "../../data/random.ts";

Deno.test("mulberry32() repeats its sequence for the same seed", () => {
  const first = mulberry32(123);
  const second = mulberry32(123);
  for (let draw = 0; draw < 100; draw++) assert.equal(first(), second());
});

Deno.test("mulberry32() gives different sequences for different seeds", () => {
  const first = mulberry32(1);
  const second = mulberry32(2);
  const same = Array.from({ length: 20 }, () => first() === second());
  assert.ok(same.filter(Boolean).length < 2);
});

Deno.test("mulberry32() stays in [0, 1) with mean near 1/2", () => {
  const random = mulberry32(7);
  let sum = 0;
  const count = 20000;
  for (let draw = 0; draw < count; draw++) {
    const value = random();
    assert.ok(value >= 0 && value < 1);
    sum += value;
  }
  // Standard error of the mean is 0.29 / sqrt(20000) = 0.002; allow 5 of them.
  assert.ok(Math.abs(sum / count - 0.5) < 0.01);
});

Deno.test("normal() has mean near 0 and variance near 1", () => {
  const random = mulberry32(11);
  const count = 20000;
  const samples = Array.from({ length: count }, () => normal(random));
  const mean = samples.reduce((total, value) => total + value, 0) / count;
  const variance =
    samples.reduce((total, value) => total + (value - mean) ** 2, 0) / count;
  assert.ok(Math.abs(mean) < 0.04, `mean ${mean}`);
  assert.ok(Math.abs(variance - 1) < 0.05, `variance ${variance}`);
});
