/**
 * Tile on wasm against the tfjs cpu backend: random shapes of rank 1 to 5
 * and repetitions, broadcastTo (which runs Tile), the gradient, int32 and
 * bool; strings are refused.
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

const rng = new Rng(20261128);

Deno.test("Tile is genwasm's kernel on wasm", () => {
  assertGenwasmKernel(wasmKernelConfigs, "Tile");
});

Deno.test("tile and broadcastTo match the cpu backend on random shapes", async (t) => {
  for (let i = 0; i < 20; i++) {
    const rank = 1 + (i % 5);
    const shape = Array.from({ length: rank }, () => rng.int(1, 4));
    // One number tiled is one number repeated: too little to place wrongly.
    if (sizeOf(shape) === 1) shape[rank - 1] = 3;
    const reps = shape.map(() => rng.int(1, 3));
    const values = rng.uniform(sizeOf(shape));
    const tiledShape = shape.map((side, d) => side * reps[d]);
    const dy = rng.uniform(sizeOf(tiledShape));
    // Broadcast a block that keeps the odd axes (plus the last axis longer
    // than 1 when none of them is), so it holds more than one value
    // whenever x does; rank 1 broadcasts x under a new leading axis.
    const keep = shape.map((side, d) => d % 2 === 1 && side > 1);
    if (!keep.includes(true)) {
      const last = shape.findLastIndex((side) => side > 1);
      if (last >= 0) keep[last] = true;
    }
    const block = shape.map((side, d) => keep[d] ? side : 1);
    const target = rank === 1
      ? [reps[0] + 1, shape[0]]
      : block.map((side, d) => side === 1 ? tiledShape[d] : side);
    // A threshold between the smallest and the largest value, so the
    // flags hold both true and false whenever x has two distinct values.
    const threshold = (Math.min(...values) + Math.max(...values)) / 2;
    await t.step(`${shape} x ${reps}`, async () => {
      await assertBackendsAgree(() => {
        const x = tf.tensor(values, shape);
        const tiled = tf.tile(x, reps);
        const upstream = tf.tensor(dy, tiledShape);
        // tfjs has Tile's gradient up to rank 4. At rank 5 the test takes
        // the adjoint itself: dx sums the reps copies of dy, read as
        // (reps0, side0, reps1, side1, ...) and summed over the reps axes.
        const dx = rank <= 4
          ? tf.grad((v) => tf.tile(v, reps))(x, upstream)
          : tf.sum(
            tf.reshape(upstream, shape.flatMap((side, d) => [reps[d], side])),
            shape.map((_, d) => 2 * d),
          );
        const broadcast = rank === 1
          ? tf.broadcastTo(x, target)
          : tf.broadcastTo(tf.slice(x, block.map(() => 0), block), target);
        const flags = tf.tile(tf.greater(x, threshold), reps);
        return [tiled, dx, broadcast, tf.cast(flags, "float32")];
      }, ["tile", "gradient", "broadcastTo", "bool tile"]);
    });
  }
});

Deno.test("tiling strings on wasm is refused with an error (the stock kernel aborted the runtime)", () => {
  const words = tf.tensor(["a", "b"], [1, 2]);
  assert.throws(() => tf.tile(words, [2, 2]), /takes numbers, not strings/);
  words.dispose();
});
