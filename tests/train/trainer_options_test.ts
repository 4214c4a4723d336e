/**
 * train() applies its optimiser options as they are defined, checked against
 * values worked out here rather than against a second run with the same
 * options: the learning rate of each step (warm-up, then the schedule), the
 * global norm of the gradients handed to Adam (clip-norm), and the EMA
 * weights (the decay recurrence over the raw weights of every step).
 *
 * The model is one weight vector with the linear loss sum(g_t * w), so the
 * gradient at step t is exactly the g_t the test chose.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { tf } from "../../backends/tf.ts";
import { initEngine } from "../../backends/engine.ts";
import type { TrainableModel } from "../../models/contract.ts";
import { FusedAdam } from "../../train/fused_adam.ts";
import { loadCheckpoint } from "../../train/checkpoint.ts";
import { RUN_FILES, train } from "../../train/trainer.ts";
import { quiet, tinyImages, tinyOptions, withTempDir } from "./_tiny_model.ts";

await initEngine({ threads: 2 });

const data = tinyImages(8, 3);

/**
 * One weight vector `w` (starting at `initial`) whose loss at step t is
 * sum(gradients[t] * w); `seen[t]` holds the weights step t started from.
 */
function linearModel(
  initial: number[],
  gradients: (step: number) => number[],
  initialized?: number[],
): TrainableModel & { w: tf.Variable; seen: Float32Array[] } {
  const w = tf.variable(tf.tensor1d(initial));
  const seen: Float32Array[] = [];
  return {
    preset: "linear",
    config: {},
    groups: { model: new Map([["w", w]]) },
    pixelRange: "unit",
    phases: [{
      name: "loss",
      group: "model",
      loss: (_batch, { step }) => {
        seen.push(w.dataSync().slice() as Float32Array);
        return tf.sum(tf.mul(tf.tensor1d(gradients(step)), w)) as tf.Scalar;
      },
    }],
    ...(initialized
      ? { initialize: () => w.assign(tf.tensor1d(initialized)) }
      : {}),
    w,
    seen,
    dispose: () => w.dispose(),
  };
}

/** The rates the 6 steps below must use: base 0.1, 2 warm-up steps. */
const EXPECTED_RATES = {
  // Warm-up: 0.1 (t + 1) / 2 for t = 0, 1; then the base rate.
  constant: [0.05, 0.1, 0.1, 0.1, 0.1, 0.1],
  // After warm-up, 0.1 * 0.5 (1 + cos(pi (t - 2) / 3)): from the peak at
  // step 2 to 0 at the last step, 5 (cos(pi / 3) = 1/2, cos(2 pi / 3) = -1/2).
  cosine: [0.05, 0.1, 0.1, 0.075, 0.025, 0],
  // After warm-up, 0.1 (1 - (t - 2) / 3).
  linear: [0.05, 0.1, 0.1, 0.1 * 2 / 3, 0.1 / 3, 0],
} as const;

for (const [schedule, rates] of Object.entries(EXPECTED_RATES)) {
  Deno.test(`train() moves the weights by the warm-up and ${schedule} learning rate of each step`, async () => {
    // A constant gradient makes Adam's bias-corrected step exactly
    // rate * g / (|g| + 1e-8): each weight moves by the rate, against g.
    // Adam forms 1 - beta2^t in float32 (as tfjs does), which costs ~1e-5
    // of the rate; the schedules differ by 1e-2 and more.
    const g = [1, -1];
    const model = linearModel([0.25, -0.25], () => g);
    await withTempDir(async (dir) => {
      await train(
        model,
        data,
        tinyOptions({
          steps: 6,
          learningRate: 0.1,
          warmupSteps: 2,
          schedule: schedule as keyof typeof EXPECTED_RATES,
        }),
        { out: dir, ...quiet },
      );
      const weights = [...model.seen, model.w.dataSync()];
      assert.equal(weights.length, 7);
      rates.forEach((rate, t) => {
        g.forEach((gi, i) => {
          const moved = (weights[t][i] - weights[t + 1][i]) * Math.sign(gi);
          assert.ok(
            Math.abs(moved - rate) <= 1e-5,
            `step ${t}, weight ${i}: moved ${moved}, rate ${rate}`,
          );
        });
      });
      const logged = Deno.readTextFileSync(join(dir, RUN_FILES.metrics))
        .trim().split("\n").map((line) => JSON.parse(line).learning_rate);
      logged.forEach((rate, t) =>
        assert.ok(Math.abs(rate - rates[t]) <= 1e-12, `logged rate ${t}`)
      );
    });
    model.dispose();
  });
}

Deno.test("train() with clipNorm hands Adam each step's gradients scaled to global norm min(norm, clipNorm)", async () => {
  // Global norms 5, 0.5 and 10 against clipNorm 1: clipped, kept, clipped.
  const gradients = [[3, 4], [0.3, -0.4], [-6, 8]];
  const model = linearModel([0, 0], (step) => gradients[step]);
  const applied: number[][] = [];
  const original = FusedAdam.prototype.applyGradients;
  FusedAdam.prototype.applyGradients = function (variableGradients) {
    assert.ok(Array.isArray(variableGradients));
    applied.push(
      variableGradients.flatMap((v) => Array.from(v.tensor.dataSync())),
    );
    original.call(this, variableGradients);
  };
  try {
    await withTempDir((dir) =>
      train(model, data, tinyOptions({ steps: 3, clipNorm: 1 }), {
        out: dir,
        ...quiet,
      }).then(() => {})
    );
  } finally {
    FusedAdam.prototype.applyGradients = original;
  }
  assert.equal(applied.length, 3, "one update per step");
  gradients.forEach((g, t) => {
    const norm = Math.hypot(...g);
    // clip.ts's definition: scale min(1, clipNorm / (norm + 1e-6)).
    const scale = Math.min(1, 1 / (norm + 1e-6));
    g.forEach((gi, i) =>
      assert.ok(
        Math.abs(applied[t][i] - gi * scale) <= 1e-6,
        `step ${t}: applied ${applied[t]}, expected ${g} * ${scale}`,
      )
    );
    assert.ok(
      Math.abs(Math.hypot(...applied[t]) - Math.min(norm, 1)) <= 1e-6,
      `step ${t}: applied norm ${Math.hypot(...applied[t])}`,
    );
  });
  model.dispose();
});

Deno.test("train() keeps EMA weights equal to the decay recurrence over every step's raw weights", async () => {
  // Gradients that change sign, so the weights do not move in a straight line.
  const model = linearModel(
    [0.5, -0.5, 1],
    (step) => [1, step % 2 ? 1 : -1, step - 2],
  );
  const decay = 0.2, steps = 5;
  await withTempDir(async (dir) => {
    const result = await train(
      model,
      data,
      tinyOptions({ steps, learningRate: 0.1, emaDecay: decay }),
      { out: dir, ...quiet },
    );
    const weights = [...model.seen, model.w.dataSync()];
    assert.equal(weights.length, steps + 1);
    // The average starts at the initial weights; after step t it is
    // d a + (1 - d) w_{t+1} with d = min(decay, (1 + t) / (10 + t)):
    // 0.1, 0.1818..., then capped at 0.2.
    let average = Array.from(weights[0]);
    for (let t = 0; t < steps; t++) {
      const d = Math.min(decay, (1 + t) / (10 + t));
      average = average.map((a, i) => d * a + (1 - d) * weights[t + 1][i]);
    }
    const saved = await loadCheckpoint(result.checkpoint);
    const ema = saved.tensors.get("ema.w")!.data;
    average.forEach((expected, i) =>
      assert.ok(
        Math.abs(ema[i] - expected) <= 1e-6,
        `ema[${i}] = ${ema[i]}, expected ${expected}`,
      )
    );
  });
  model.dispose();
});

Deno.test("train() starts the EMA from the weights initialize() leaves, not the ones the model was built with", async () => {
  const built = [5, -5], initialized = [0.5, 0.25];
  const model = linearModel(built, () => [1, -1], initialized);
  await withTempDir(async (dir) => {
    const result = await train(
      model,
      data,
      tinyOptions({ steps: 1, learningRate: 0.1, emaDecay: 0.5 }),
      { out: dir, ...quiet },
    );
    assert.deepEqual(Array.from(model.seen[0]), initialized);
    // One update at decay min(0.5, 1 / 10) = 0.1 from the initialised
    // weights to the weights after the step.
    const after = model.w.dataSync();
    const ema = (await loadCheckpoint(result.checkpoint)).tensors.get("ema.w")!
      .data;
    initialized.forEach((start, i) => {
      const expected = 0.1 * start + 0.9 * after[i];
      assert.ok(
        Math.abs(ema[i] - expected) <= 1e-6,
        `ema[${i}] = ${ema[i]}, expected ${expected}`,
      );
    });
  });
  model.dispose();
});
