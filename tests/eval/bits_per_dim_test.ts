import assert from "node:assert/strict";
import { bitsPerDim } from "../../eval/bits_per_dim.ts";

Deno.test("bitsPerDim() divides nats by dims * ln 2", () => {
  assert.equal(bitsPerDim(0, 784), 0);
  assert.ok(Math.abs(bitsPerDim(784 * Math.LN2, 784) - 1) < 1e-15);
  // A uniform 8-bit pixel costs ln 256 nats: exactly 8 bits.
  assert.ok(Math.abs(bitsPerDim(784 * Math.log(256), 784) - 8) < 1e-12);
});

Deno.test("bitsPerDim() rejects dims that are not a whole number >= 1", () => {
  assert.throws(() => bitsPerDim(1, 0), /dims/);
  assert.throws(() => bitsPerDim(1, 2.5), /dims/);
});
