/**
 * FusedAdam (train/fused_adam.ts): on wasm, one GenwasmAdam kernel per
 * variable gives tfjs's Adam's weights, moments and step count, and its
 * state exports as tfjs's does.
 */
import assert from "node:assert/strict";
import { tf } from "../../backends/tf.ts";
import { initEngine } from "../../backends/engine.ts";
import { FusedAdam } from "../../train/fused_adam.ts";
import { exportAdamState } from "../../train/optimizer_state.ts";
import { ADAM } from "../../backends/kernel_names.ts";
import { assertClose, Rng } from "../_helpers.ts";

await initEngine({ threads: 2 });

/** Weights and both moments after `steps` updates of `optimizer` on a fixed loss. */
function train(
  optimizer: tf.AdamOptimizer,
  steps: number,
): { weights: Float32Array[]; moments: Float32Array[]; iterations: number } {
  const rng = new Rng(3);
  // A large variable (several threads' shares) and a small one.
  const a = tf.variable(tf.tensor2d(rng.uniform(96 * 100), [96, 100]));
  const b = tf.variable(tf.tensor1d(rng.uniform(7)));
  const target = tf.tensor2d(rng.uniform(96 * 100), [96, 100]);
  for (let step = 0; step < steps; step++) {
    tf.dispose(
      optimizer.minimize(
        () =>
          tf.add(
            tf.sum(tf.square(tf.sub(tf.mul(a, a), target))),
            tf.sum(tf.sin(tf.mul(b, step + 1))),
          ) as tf.Scalar,
        true,
      ) ?? [],
    );
  }
  const state = exportAdamState(
    "g",
    optimizer,
    new Map<string, tf.Variable>([["a", a], ["b", b]]),
  );
  const result = {
    weights: [a, b].map((v) => v.dataSync() as Float32Array),
    moments: [...state.values()]
      .filter((t) => t.dtype === "F32")
      .map((t) => t.data as Float32Array),
    iterations: optimizer.iterations,
  };
  tf.dispose([a, b, target]);
  optimizer.dispose();
  return result;
}

Deno.test("FusedAdam on wasm gives tfjs's Adam's weights, moments and step count", () => {
  assert.ok(tf.getKernel(ADAM, "wasm"), "GenwasmAdam is registered");
  const fused = train(new FusedAdam(0.01, 0.9, 0.999, 1e-8), 6);
  const stock = train(tf.train.adam(0.01, 0.9, 0.999, 1e-8), 6);
  assert.equal(fused.iterations, 6);
  assert.equal(stock.iterations, 6);
  assert.equal(fused.moments.length, 4, "m and v of both variables");
  fused.weights.forEach((w, i) =>
    assertClose(w, stock.weights[i], 1e-5, `weights ${i}`)
  );
  fused.moments.forEach((m, i) =>
    assertClose(m, stock.moments[i], 1e-5, `moment ${i}`)
  );
});

Deno.test("FusedAdam is tfjs's Adam off wasm", async () => {
  await tf.setBackend("cpu");
  try {
    const fused = train(new FusedAdam(0.01, 0.9, 0.999, 1e-8), 3);
    const stock = train(tf.train.adam(0.01, 0.9, 0.999, 1e-8), 3);
    fused.weights.forEach((w, i) => assert.deepEqual(w, stock.weights[i]));
  } finally {
    await tf.setBackend("wasm");
  }
});
