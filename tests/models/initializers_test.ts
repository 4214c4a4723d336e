import assert from "node:assert/strict";
import { mulberry32 } from "../../data/random.ts";
import {
  glorotUniform,
  heNormal,
  initialBias,
  initializer,
  type InitializerName,
  torchUniform,
} from "../../models/initializers.ts";
import { Conv2D } from "../../models/layers.ts";

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

Deno.test("torchUniform() is PyTorch's default: uniform within 1 / sqrt(fanIn), whatever fanOut", () => {
  const values = torchUniform(10000, 36, 999, mulberry32(3));
  const limit = 1 / 6;
  assert.ok(values.every((value) => Math.abs(value) <= limit));
  const variance = values.reduce((total, value) => total + value * value, 0) /
    values.length;
  assert.ok(Math.abs(variance / (limit * limit / 3) - 1) < 0.05);
});

Deno.test("initialBias() draws a torch bias like its kernel and leaves the others at zero", () => {
  const bias = initialBias("torch", 500, 16, mulberry32(4));
  assert.ok(bias.every((value) => Math.abs(value) <= 0.25));
  assert.ok(bias.some((value) => Math.abs(value) > 0.2), "spread to the limit");
  for (const name of ["glorot", "he"] as const) {
    assert.ok(initialBias(name, 5, 16, mulberry32(4)).every((v) => v === 0));
  }
});

Deno.test("a torch-initialised Conv2D draws its bias within 1 / sqrt(fan-in) after its kernel", () => {
  const conv = new Conv2D({
    inputChannels: 2,
    outputChannels: 64,
    kernelSize: 3,
    random: mulberry32(5),
    init: "torch",
  });
  const limit = 1 / Math.sqrt(18);
  const kernel = conv.variables.kernel.dataSync();
  const bias = conv.variables.bias.dataSync();
  // The same stream: the kernel's 1152 draws, then the bias's 64.
  const expected = torchUniform(1152 + 64, 18, 64, mulberry32(5));
  assert.deepEqual(Array.from(kernel), Array.from(expected.subarray(0, 1152)));
  assert.deepEqual(Array.from(bias), Array.from(expected.subarray(1152)));
  assert.ok(bias.every((value) => Math.abs(value) <= limit));
  conv.dispose();
});

Deno.test("initializer() finds initialisers by name and rejects others", () => {
  assert.equal(initializer("glorot"), glorotUniform);
  assert.equal(initializer("he"), heNormal);
  assert.equal(initializer("torch"), torchUniform);
  assert.throws(
    () => initializer("zeros" as InitializerName),
    /unknown initializer "zeros"/,
  );
});
