/**
 * Slice, SplitV and Concat on wasm against the tfjs cpu backend: random
 * shapes of rank 1 to 5, every axis, runs short (copied number by number)
 * and long (copied with `set`), int32 and bool as well as float32, their
 * gradients, and strings (Slice and Concat hand them to the stock kernels;
 * tf.split refuses them before any kernel runs).
 */
import assert from "node:assert/strict";
import { tf } from "../../../../backends/tf.ts";
import { initEngine } from "../../../../backends/engine.ts";
import { wasmKernelConfigs } from "../../../../backends/wasm/register_kernels.ts";
import {
  assertBackendsAgree,
  assertGenwasmKernel,
  quietCpuBackend,
  Rng,
  sizeOf,
} from "../../../_helpers.ts";

await initEngine({ threads: 2 });
quietCpuBackend();

const rng = new Rng(20261126);

/** A random shape of `rank` with sides 1..max; the last side sometimes long. */
function randomShape(rank: number, max = 5): number[] {
  return Array.from(
    { length: rank },
    (_, d) =>
      d === rank - 1 && rng.next() < 0.3 ? rng.int(60, 140) : rng.int(1, max),
  );
}

Deno.test("Slice, SplitV and Concat are genwasm's kernels on wasm", () => {
  for (const name of ["Slice", "SplitV", "Concat"]) {
    assertGenwasmKernel(wasmKernelConfigs, name);
  }
});

Deno.test("slice matches the cpu backend on random blocks of rank 1 to 5", async (t) => {
  for (let i = 0; i < 24; i++) {
    const shape = randomShape(1 + (i % 5));
    const begin = shape.map((side) => rng.int(0, side - 1));
    const size = shape.map((side, d) =>
      rng.next() < 0.3 ? -1 : rng.int(1, side - begin[d])
    );
    const values = rng.uniform(sizeOf(shape));
    // Whole numbers of both signs up to 2^20 (exact in float32, where the
    // comparison reads them): casting `values` in [-1, 1) gave only zeros.
    const ints = rng.ints(sizeOf(shape), -(2 ** 20), 2 ** 20);
    // A weight per sliced number, so the gradient shows which upstream
    // value lands where (a constant upstream gradient would not).
    const sliceShape = size.map((side, d) =>
      side === -1 ? shape[d] - begin[d] : side
    );
    const weights = rng.uniform(sizeOf(sliceShape));
    await t.step(`${shape} from ${begin} size ${size}`, async () => {
      await assertBackendsAgree(() => {
        const x = tf.tensor(values, shape);
        const y = tf.slice(x, begin, size);
        const dx = tf.grad((v) =>
          tf.mul(tf.slice(v, begin, size), tf.tensor(weights, sliceShape))
        )(x);
        return [y, dx, tf.slice(tf.tensor(ints, shape, "int32"), begin, size)];
      }, ["slice", "slice gradient", "int32 slice"]);
    });
  }
});

Deno.test("split and concat match the cpu backend on every axis", async (t) => {
  for (let i = 0; i < 20; i++) {
    const shape = randomShape(1 + (i % 4));
    const axis = rng.int(0, shape.length - 1);
    shape[axis] = Math.max(2, shape[axis]);
    const side = shape[axis];
    const first = rng.int(1, side - 1);
    const sizes = [first, side - first];
    const values = rng.uniform(sizeOf(shape));
    const other = rng.uniform(sizeOf(shape));
    // A weight per joined number, so each gradient is the right block of
    // them (a constant upstream gradient would hide a misplaced block).
    const joinedShape = shape.map((s, d) => d === axis ? side + first : s);
    const weights = rng.uniform(sizeOf(joinedShape));
    await t.step(`${shape} axis ${axis} into ${sizes}`, async () => {
      await assertBackendsAgree(() => {
        const x = tf.tensor(values, shape);
        const y = tf.tensor(other, shape);
        const parts = tf.split(x, sizes, axis);
        const joined = tf.concat([y, x, y], axis);
        const [dx, dy] = tf.grads((a, b) =>
          tf.mul(
            tf.concat([a, tf.split(b, sizes, axis)[0]], axis),
            tf.tensor(weights, joinedShape),
          )
        )([x, y]);
        const flags = tf.concat([tf.greater(x, 0), tf.less(y, 0)], axis);
        return [...parts, joined, dx, dy, tf.cast(flags, "float32")];
      }, [
        ...sizes.map((_, k) => `part ${k}`),
        "concat",
        "d concat a",
        "d split b",
        "bool concat",
      ]);
    });
  }
});

Deno.test("string tensors still slice and concatenate (stock kernels)", () => {
  const words = tf.tensor(["a", "b", "c", "d", "e", "f"], [2, 3]);
  const left = tf.slice(words, [0, 0], [2, 1]);
  const right = tf.slice(words, [0, 1], [2, 2]);
  assert.deepEqual(left.arraySync(), [["a"], ["d"]]);
  assert.deepEqual(right.arraySync(), [["b", "c"], ["e", "f"]]);
  assert.deepEqual(tf.concat([right, left], 1).arraySync(), [
    ["b", "c", "a"],
    ["e", "f", "d"],
  ]);
  tf.dispose([words, left, right]);
});
