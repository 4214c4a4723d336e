import assert from "node:assert/strict";
import { tf } from "../../backends/tf.ts";
import { initEngine } from "../../backends/engine.ts";
import { GroupNorm, groupNorm } from "../../models/group_norm.ts";
import {
  assertBackendsAgree,
  assertClose,
  quietCpuBackend,
  Rng,
} from "../_helpers.ts";

await initEngine({ threads: 2 });
quietCpuBackend();

/** Group norm with plain loops: the two-pass mean and biased variance per (sample, group). */
function referenceGroupNorm(
  x: Float32Array,
  [batch, height, width, channels]: number[],
  groups: number,
  scale: Float32Array,
  offset: Float32Array,
  epsilon = 1e-5,
): Float32Array {
  const out = new Float32Array(x.length);
  const size = channels / groups;
  const positions = height * width;
  for (let n = 0; n < batch; n++) {
    for (let g = 0; g < groups; g++) {
      const indices: number[] = [];
      for (let p = 0; p < positions; p++) {
        for (let c = g * size; c < (g + 1) * size; c++) {
          indices.push((n * positions + p) * channels + c);
        }
      }
      let mean = 0;
      for (const i of indices) mean += x[i];
      mean /= indices.length;
      let variance = 0;
      for (const i of indices) variance += (x[i] - mean) ** 2;
      variance /= indices.length;
      for (const i of indices) {
        const c = i % channels;
        out[i] = (x[i] - mean) / Math.sqrt(variance + epsilon) * scale[c] +
          offset[c];
      }
    }
  }
  return out;
}

const CASES = [
  { shape: [2, 5, 3, 8], groups: 4 },
  { shape: [3, 4, 4, 6], groups: 2 },
  { shape: [1, 7, 7, 16], groups: 8 },
  { shape: [2, 2, 3, 4], groups: 1 },
];

Deno.test("groupNorm() matches a plain-loop reference", () => {
  const rng = new Rng(11);
  for (const { shape, groups } of CASES) {
    const size = shape.reduce((a, b) => a * b, 1);
    // An offset and a spread per case, so the statistics matter.
    const x = rng.uniform(size, -3, 5);
    const scale = rng.uniform(shape[3], 0.5, 2);
    const offset = rng.uniform(shape[3], -1, 1);
    const actual = tf.tidy(() =>
      groupNorm(
        tf.tensor4d(x, shape as [number, number, number, number]),
        groups,
        tf.tensor1d(scale),
        tf.tensor1d(offset),
      ).dataSync() as Float32Array
    );
    assertClose(
      actual,
      referenceGroupNorm(x, shape, groups, scale, offset),
      1e-5,
      `groupNorm ${shape} groups ${groups}`,
    );
  }
});

Deno.test("groupNorm() gradients agree on wasm and cpu", async () => {
  const rng = new Rng(5);
  const shape: [number, number, number, number] = [2, 4, 3, 8];
  const x = rng.uniform(2 * 4 * 3 * 8, -2, 3);
  const scale = rng.uniform(8, 0.5, 1.5), offset = rng.uniform(8);
  const weights = rng.uniform(x.length);
  await assertBackendsAgree(
    () => {
      const loss = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
        tf.sum(
          tf.mul(
            groupNorm(a as tf.Tensor4D, 4, b as tf.Tensor1D, c as tf.Tensor1D),
            tf.tensor4d(weights, shape),
          ),
        );
      return tf.grads(loss)([
        tf.tensor4d(x, shape),
        tf.tensor1d(scale),
        tf.tensor1d(offset),
      ]);
    },
    ["d/dx", "d/dscale", "d/doffset"],
    1e-4,
  );
});

Deno.test("groupNorm() refuses channels that do not split into the groups", () => {
  tf.tidy(() => {
    assert.throws(
      () => groupNorm(tf.zeros([1, 2, 2, 6]), 4, tf.ones([6]), tf.zeros([6])),
      /6 channels do not split into 4 groups/,
    );
  });
});

Deno.test("GroupNorm() starts as a plain normalisation with scale 1 and offset 0", () => {
  const norm = new GroupNorm({ channels: 8, groups: 2 });
  assert.deepEqual(Object.keys(norm.variables), ["scale", "offset"]);
  assert.deepEqual([...norm.variables.scale.dataSync()], new Array(8).fill(1));
  assert.deepEqual([...norm.variables.offset.dataSync()], new Array(8).fill(0));
  const x = new Rng(3).uniform(2 * 3 * 3 * 8, 0, 4);
  const actual = tf.tidy(() =>
    norm.apply(tf.tensor4d(x, [2, 3, 3, 8])).dataSync() as Float32Array
  );
  assertClose(
    actual,
    referenceGroupNorm(
      x,
      [2, 3, 3, 8],
      2,
      new Float32Array(8).fill(1),
      new Float32Array(8),
    ),
    1e-5,
    "GroupNorm layer",
  );
  const before = tf.memory().numTensors;
  norm.dispose();
  assert.equal(tf.memory().numTensors, before - 2);
  assert.throws(
    () => new GroupNorm({ channels: 10, groups: 4 }),
    /dividing 10/,
  );
});

Deno.test("groupNorm() on wasm leaks no tensors, with or without a gradient tape", () => {
  const x = tf.randomNormal([2, 4, 4, 8]) as tf.Tensor4D;
  const scale = tf.ones([8]) as tf.Tensor1D,
    offset = tf.zeros([8]) as tf.Tensor1D;
  const before = tf.memory().numTensors;
  tf.dispose(groupNorm(x, 4, scale, offset));
  tf.dispose(
    tf.grads((a, b, c) =>
      groupNorm(a as tf.Tensor4D, 4, b as tf.Tensor1D, c as tf.Tensor1D)
    )([x, scale, offset]),
  );
  assert.equal(tf.memory().numTensors, before);
  tf.dispose([x, scale, offset]);
});

Deno.test("groupNorm() keeps its precision for a large mean and a small spread", () => {
  const rng = new Rng(12);
  const shape = [2, 6, 6, 8];
  const x = rng.uniform(2 * 6 * 6 * 8, 99.99, 100.01);
  const scale = rng.uniform(8, 0.5, 2), offset = rng.uniform(8);
  const actual = tf.tidy(() =>
    groupNorm(
      tf.tensor4d(x, shape as [number, number, number, number]),
      2,
      tf.tensor1d(scale),
      tf.tensor1d(offset),
    ).dataSync() as Float32Array
  );
  assertClose(
    actual,
    referenceGroupNorm(x, shape, 2, scale, offset),
    1e-3,
    "mean 100, spread 0.01",
  );
});
