import assert from "node:assert/strict";
import { tf } from "../../../backends/tf.ts";
import { initEngine } from "../../../backends/engine.ts";
import { Mulberry32, mulberry32 } from "../../../data/random.ts";
import { createDdpm } from "../../../models/ddpm/diffusion.ts";
import {
  diffusionLoss,
  dropLabels,
  evaluateNoiseLoss,
  uniformTimesteps,
} from "../../../models/ddpm/objective.ts";
import { qSample, trainingTarget } from "../../../models/ddpm/process.ts";
import { Rng } from "../../_helpers.ts";

await initEngine({ threads: 2 });

/** A small, fast configuration: 8x8 images, 8/16 channels, T = 50. */
const SMALL = {
  imageSize: 8,
  baseWidth: 8,
  channelMultipliers: [1, 2],
  normGroups: 4,
  timesteps: 50,
};

Deno.test("dropLabels() replaces about `rate` of the labels by the null label, the rest untouched", () => {
  const count = 20000;
  const labels = Int32Array.from({ length: count }, (_, i) => i % 10);
  for (const rate of [0.1, 0.3]) {
    const dropped = tf.tidy(() =>
      dropLabels(tf.tensor1d(labels, "int32"), rate, 10, 42).dataSync()
    );
    let nulls = 0;
    for (let i = 0; i < count; i++) {
      if (dropped[i] === 10) nulls++;
      else assert.equal(dropped[i], labels[i], `label ${i} changed`);
    }
    // Standard deviation sqrt(rate (1 - rate) / count) <= 0.0033.
    assert.ok(
      Math.abs(nulls / count - rate) < 0.012,
      `dropped ${nulls / count}, rate ${rate}`,
    );
  }
  const none = tf.tidy(() =>
    dropLabels(tf.tensor1d(labels, "int32"), 0, 10, 1).dataSync()
  );
  assert.deepEqual([...none], [...labels]);
});

Deno.test("uniformTimesteps() draws int32 steps covering 0 .. T - 1 evenly", () => {
  const draws = tf.tidy(() => {
    const t = uniformTimesteps(5000, 5, 9);
    assert.equal(t.dtype, "int32");
    return t.dataSync();
  });
  const counts = new Array(5).fill(0);
  for (const t of draws) counts[t]++;
  for (const count of counts) {
    assert.ok(Math.abs(count - 1000) < 120, `counts ${counts}`);
  }
});

Deno.test("diffusionLoss() is the MSE to the target at seeded timesteps, noise and dropped labels", () => {
  for (const prediction of ["epsilon", "v"] as const) {
    const ddpm = createDdpm(
      { ...SMALL, prediction, conditional: true, labelDropout: 0.5 },
      mulberry32(2),
    );
    const seeds = { timesteps: 11, noise: 12, labels: 13 };
    tf.tidy(() => {
      const images = tf.tensor4d(new Rng(3).uniform(4 * 64), [4, 8, 8, 1]);
      const labels = tf.tensor1d([1, 2, 3, 4], "int32");
      const loss = diffusionLoss(ddpm, images, labels, seeds).dataSync()[0];
      // The same draws by hand.
      const t = uniformTimesteps(4, 50, seeds.timesteps);
      const noise = tf.randomNormal(
        [4, 8, 8, 1],
        0,
        1,
        "float32",
        seeds.noise,
      ) as tf.Tensor4D;
      const shown = dropLabels(labels, 0.5, 10, seeds.labels);
      const output = ddpm.unet.apply(
        qSample(ddpm.schedule, images, t, noise),
        t,
        shown,
      );
      const target = trainingTarget(
        prediction,
        ddpm.schedule,
        images,
        noise,
        t,
      );
      const expected =
        tf.mean(tf.squaredDifference(output, target)).dataSync()[0];
      assert.ok(
        Math.abs(loss - expected) < 1e-6,
        `${prediction}: ${loss} vs ${expected}`,
      );
      // Without labels the model sees "no label" (row 10) everywhere.
      const unlabelled =
        diffusionLoss(ddpm, images, undefined, seeds).dataSync()[0];
      const noLabel = ddpm.unet.apply(
        qSample(ddpm.schedule, images, t, noise),
        t,
        tf.fill([4], 10, "int32") as tf.Tensor1D,
      );
      const expectedUnlabelled =
        tf.mean(tf.squaredDifference(noLabel, target)).dataSync()[0];
      assert.ok(
        Math.abs(unlabelled - expectedUnlabelled) < 1e-6,
        `${prediction} unlabelled: ${unlabelled} vs ${expectedUnlabelled}`,
      );
      assert.notEqual(unlabelled, loss);
    });
    ddpm.dispose();
  }
});

Deno.test("diffusionLoss() falls when Adam trains a small U-Net on a fixed batch", () => {
  const ddpm = createDdpm(SMALL, mulberry32(5));
  const images = tf.tensor4d(new Rng(6).uniform(4 * 64), [4, 8, 8, 1]);
  const seeds = { timesteps: 1, noise: 2, labels: 3 };
  const before = tf.memory().numTensors;
  const optimizer = tf.train.adam(1e-2);
  const losses: number[] = [];
  const variables = [...ddpm.groups.model.values()];
  for (let step = 0; step < 12; step++) {
    const cost = optimizer.minimize(
      () => diffusionLoss(ddpm, images, undefined, seeds),
      true,
      variables,
    )!;
    losses.push(cost.dataSync()[0]);
    cost.dispose();
  }
  const last = losses[losses.length - 1];
  // Twelve steps of training have no value to expect; halving the loss is
  // what a gradient that reaches the network gives (noise loss is checked
  // exactly above and below).
  assert.ok(last < 0.5 * losses[0], `loss went from ${losses[0]} to ${last}`);
  optimizer.dispose();
  assert.equal(tf.memory().numTensors, before, "training leaks no tensors");
  images.dispose();
  ddpm.dispose();
});

Deno.test("evaluateNoiseLoss() is repeatable, is the mean square of the noise for a zero output, and checks its options", () => {
  const ddpm = createDdpm(SMALL, mulberry32(7));
  const set = {
    images: new Rng(8).uniform(12 * 64, 0, 1),
    labels: new Uint8Array(12),
    shape: [12, 8, 8, 1] as [number, number, number, number],
  };
  const before = tf.memory().numTensors;
  const first = evaluateNoiseLoss(ddpm, set, { batchSize: 5 });
  const second = evaluateNoiseLoss(ddpm, set, { batchSize: 5 });
  assert.equal(first, second);
  assert.equal(tf.memory().numTensors, before);
  // A zero output layer predicts noise 0, so the loss is the mean square
  // of the noise drawn: per chunk of 5, 5 and 2 images, seeds for the
  // timesteps, the noise and the labels, in turn from Mulberry32(0).
  for (const part of ["kernel", "bias"]) {
    const variable = ddpm.groups.model.get(`output/conv/${part}`)!;
    variable.assign(tf.zerosLike(variable));
  }
  const zero = evaluateNoiseLoss(ddpm, set, { batchSize: 5 });
  const seeds = new Mulberry32(0);
  let squares = 0;
  for (const size of [5, 5, 2]) {
    seeds.nextSeed(); // timesteps
    const noiseSeed = seeds.nextSeed();
    seeds.nextSeed(); // labels
    squares += tf.tidy(() =>
      tf.sum(tf.square(
        tf.randomNormal([size, 8, 8, 1], 0, 1, "float32", noiseSeed),
      )).dataSync()[0]
    );
  }
  const expected = squares / (12 * 64);
  assert.ok(
    Math.abs(zero - expected) < 1e-6,
    `zero output: ${zero}, mean square noise ${expected}`,
  );
  // Other noise: another mean square (no value to expect, only a change).
  assert.notEqual(
    evaluateNoiseLoss(ddpm, set, { batchSize: 5, seed: 1 }),
    zero,
  );
  assert.throws(() => evaluateNoiseLoss(ddpm, set, { count: 13 }), /in 1..12/);
  ddpm.dispose();
});
