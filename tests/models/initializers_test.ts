import assert from "node:assert/strict";
import { mulberry32 } from "../../data/random.ts";
import {
  glorotUniform,
  heNormal,
  initializer,
  type InitializerName,
} from "../../models/initializers.ts";

Deno.test("glorotUniform() stays within sqrt(6 / (fanIn + fanOut))", () => {
  const values = glorotUniform(10000, 20, 40, mulberry32(1));
  const limit = Math.sqrt(6 / 60);
  assert.ok(values.every((value) => Math.abs(value) <= limit));
  // Uniform on (-limit, limit) has variance limit^2 / 3; allow 5 %.
  const variance = values.reduce((total, value) => total + value * value, 0) /
    values.length;
  assert.ok(Math.abs(variance / (limit * limit / 3) - 1) < 0.05);
});

Deno.test("heNormal() has variance 2 / fanIn", () => {
  const values = heNormal(20000, 50, 10, mulberry32(2));
  const variance = values.reduce((total, value) => total + value * value, 0) /
    values.length;
  assert.ok(Math.abs(variance / (2 / 50) - 1) < 0.05, `variance ${variance}`);
});

Deno.test("initializer() finds initialisers by name and rejects others", () => {
  assert.equal(initializer("glorot"), glorotUniform);
  assert.equal(initializer("he"), heNormal);
  assert.throws(
    () => initializer("zeros" as InitializerName),
    /unknown initializer "zeros"/,
  );
});
