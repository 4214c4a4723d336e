/**
 * Identity on wasm shares the input's memory instead of copying it (tfjs
 * clones every tensor it saves for a gradient through Identity), and the
 * shared memory lives exactly as long as its last tensor.
 */
import assert from "node:assert/strict";
import { tf } from "../../../../backends/tf.ts";
import { initEngine, wasmKernelConfigs } from "../../../../backends/mod.ts";
import { assertGenwasmKernel } from "../../../_helpers.ts";

await initEngine({ threads: 2 });

/** Tensors' memory blocks the wasm backend holds. */
const blocks = () => tf.engine().backend.numDataIds();

Deno.test("Identity registered for wasm is genwasm's", () => {
  assertGenwasmKernel(wasmKernelConfigs, "Identity");
});

Deno.test("tf.clone on wasm shares memory, and it is freed with the last tensor that uses it", () => {
  const before = blocks();
  const x = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
  const copy = tf.clone(x);
  assert.equal(blocks(), before + 1, "the clone made no second block");
  x.dispose();
  assert.deepEqual(Array.from(copy.dataSync()), [1, 2, 3, 4, 5, 6]);
  assert.equal(blocks(), before + 1, "the clone keeps the block alive");
  copy.dispose();
  assert.equal(blocks(), before, "the block is freed with the clone");
});

Deno.test("a gradient that saves its inputs (through Identity) is right, and leaves no memory behind", () => {
  const x = tf.tensor1d([0.5, -1, 2]);
  const before = blocks();
  const dx = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(v, tf.exp(v))))(x);
  // d/dv v e^v = (1 + v) e^v
  const expected = [0.5, -1, 2].map((v) => (1 + v) * Math.exp(v));
  dx.dataSync().forEach((value, i) =>
    assert.ok(Math.abs(value - expected[i]) < 1e-5, `dx[${i}] = ${value}`)
  );
  dx.dispose();
  assert.equal(blocks(), before);
  x.dispose();
});

Deno.test("string tensors still clone (the stock kernel)", () => {
  const words = tf.tensor1d(["a", "bc"], "string");
  const copy = tf.clone(words);
  words.dispose();
  assert.deepEqual(copy.dataSync(), ["a", "bc"]);
  copy.dispose();
});
