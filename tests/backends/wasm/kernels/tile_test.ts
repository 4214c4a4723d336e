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
    const reps = shape.map(() => rng.int(1, 3));
    const values = rng.uniform(sizeOf(shape));
    await t.step(`${shape} x ${reps}`, async () => {
      await assertBackendsAgree(() => {
        const x = tf.tensor(values, shape);
        const tiled = tf.tile(x, reps);
        // tfjs has Tile's gradient up to rank 4.
        const dx = rank <= 4
          ? tf.grad((v) => tf.mul(tf.tile(v, reps), tiled))(x)
          : tf.zeros([1]);
        const ones = shape.map((side, d) => (d % 2 ? side : 1));
        const broadcast = tf.broadcastTo(
          tf.slice(x, ones.map(() => 0), ones),
          ones.map((side, d) => side === 1 ? shape[d] * reps[d] : side),
        );
        const flags = tf.tile(tf.greater(x, 0), reps);
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
