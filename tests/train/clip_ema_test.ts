import assert from "node:assert/strict";
import { tf } from "../../backends/tf.ts";
import { initEngine } from "../../backends/engine.ts";
import { clipByGlobalNorm } from "../../train/clip.ts";
import { WeightAverage } from "../../train/ema.ts";

await initEngine({ threads: 2 });

Deno.test("clipByGlobalNorm() scales all gradients by maxNorm / global norm, only when above", () => {
  tf.tidy(() => {
    const gradients = [tf.tensor1d([3, 0]), tf.tensor1d([0, 4])]; // global norm 5
    const { clipped, norm } = clipByGlobalNorm(gradients, 1);
    assert.ok(Math.abs(norm.dataSync()[0] - 5) < 1e-6);
    assert.ok(Math.abs(clipped[0].dataSync()[0] - 0.6) < 1e-6);
    assert.ok(Math.abs(clipped[1].dataSync()[1] - 0.8) < 1e-6);
    const kept = clipByGlobalNorm(gradients, 10).clipped;
    assert.ok(Math.abs(kept[1].dataSync()[1] - 4) < 1e-5);
  });
});

Deno.test("WeightAverage.update() follows average = d * average + (1 - d) * weight; withAverages swaps and restores", () => {
  const weight = tf.variable(tf.tensor1d([1, 2]));
  const average = new WeightAverage(new Map([["w", weight]]), 0.9);
  weight.assign(tf.tensor1d([11, 2]));
  average.update(); // 0.9 * 1 + 0.1 * 11 = 2
  assert.deepEqual(
    Array.from(average.averages.get("w")!.dataSync()).map((v) => +v.toFixed(5)),
    [2, 2],
  );
  const seen = average.withAverages(() => Array.from(weight.dataSync()));
  assert.deepEqual(seen.map((v) => +v.toFixed(5)), [2, 2]);
  assert.deepEqual(Array.from(weight.dataSync()), [11, 2]);
  // Warm-up: the first update uses decay (1 + 0) / (10 + 0) = 0.1:
  // 0.1 * 2 + 0.9 * 12 = 11; by 80 updates the decay is capped at 0.9.
  weight.assign(tf.tensor1d([12, 2]));
  average.update(0);
  assert.deepEqual(
    Array.from(average.averages.get("w")!.dataSync()).map((v) => +v.toFixed(4)),
    [11, 2],
  );
  assert.equal(average.decayAt(0), 0.1);
  assert.equal(average.decayAt(8), 0.5);
  assert.equal(average.decayAt(80), 0.9);
  assert.throws(
    () => new WeightAverage(new Map(), 1),
    /strictly between 0 and 1/,
  );
  average.dispose();
  weight.dispose();
});
