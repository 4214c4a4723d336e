import assert from "node:assert/strict";
import { tf } from "../../backends/tf.ts";
import { initEngine } from "../../backends/engine.ts";
import { StepRunner } from "../../train/step.ts";
import { tinyImages, tinyModel } from "./_tiny_model.ts";

await initEngine({ threads: 2 });

/** The fields tfjs's Adam keeps protected. */
type AdamFields = { learningRate: number; beta1: number; beta2: number };

Deno.test("StepRunner takes Adam's settings from the run's options: betas for every group, a group's own rate scaled by the schedule", () => {
  const model = tinyModel();
  const runner = new StepRunner(model, {
    learningRate: 0.01,
    clipNorm: 0,
    beta1: 0.5,
    beta2: 0.99,
    groups: { model: { learningRate: 0.1 } },
  });
  const adam = runner.optimizers.get("model") as unknown as AdamFields;
  assert.deepEqual([adam.learningRate, adam.beta1, adam.beta2], [
    0.1,
    0.5,
    0.99,
  ]);
  const images = tinyImages(8, 1);
  const batch = {
    images: tf.tensor4d(images.images, images.shape),
    labels: tf.zeros([8], "int32") as tf.Tensor1D,
  };
  // Half the base rate on this step: the group's rate is halved too.
  runner.step(batch, { step: 0, seed: () => 1 }, 0.005);
  assert.ok(Math.abs(adam.learningRate - 0.05) < 1e-12, `${adam.learningRate}`);
  tf.dispose([batch.images, batch.labels]);
  runner.dispose();
  model.dispose();
});

Deno.test("StepRunner refuses optimizer settings for a group the model lacks", () => {
  const model = tinyModel();
  assert.throws(
    () =>
      new StepRunner(model, {
        learningRate: 0.01,
        clipNorm: 0,
        groups: { generator: { learningRate: 1 } },
      }),
    /optimizer settings name unknown group generator \(groups: model\)/,
  );
  model.dispose();
});
