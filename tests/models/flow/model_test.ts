import assert from "node:assert/strict";
import { tf } from "../../../backends/tf.ts";
import { initEngine } from "../../../backends/engine.ts";
import { mulberry32 } from "../../../data/random.ts";
import { imageTensor } from "../../../data/image_set.ts";
import { loadMnist } from "../../../data/mnist.ts";
import { MultiScaleFlow } from "../../../models/flow/model.ts";
import { createFlow } from "../../../models/flow/flow.ts";
import { flowPreset } from "../../../models/flow/presets.ts";
import { array4Of } from "../../../models/flow/float64.ts";
import { roundTripErrors } from "../../../models/flow/sampler.ts";
import {
  bruteForceLogDet,
  maxAbsDifference,
  perturbVariables,
} from "./_helpers.ts";

await initEngine({ threads: 2 });

Deno.test("MultiScaleFlow('flow') has the spec's shapes: 14x14x2 split off, 7x7x8 at the end, 75728 parameters", () => {
  const network = new MultiScaleFlow(flowPreset("flow"), mulberry32(0));
  assert.deepEqual(network.latentShapes(), [[14, 14, 2], [7, 7, 8]]);
  // Per step at c channels: ActNorm 2c, 1x1 conv c^2, coupling
  // Conv3x3(c/2 -> 64) + Conv1x1(64 -> 64) + Conv3x3(64 -> c), with biases.
  const step = (c: number) =>
    2 * c + c * c + (9 * (c / 2) * 64 + 64) + (64 * 64 + 64) + (9 * 64 * c + c);
  const expected = 4 * step(4) + 4 * step(8);
  assert.equal(expected, 75728);
  let count = 0;
  for (const variable of Object.values(network.variables)) {
    count += variable.size;
  }
  assert.equal(count, expected);
  const shapes = Object.fromEntries(
    Object.entries(network.variables).map(([name, v]) => [name, v.shape]),
  );
  assert.deepEqual(shapes["level1.step3.permutation.kernel"], [4, 4]);
  assert.deepEqual(shapes["level1.step1.coupling.network.conv1.kernel"], [
    3,
    3,
    2,
    64,
  ]);
  assert.deepEqual(shapes["level2.step4.coupling.network.conv3.kernel"], [
    3,
    3,
    64,
    8,
  ]);
  assert.deepEqual(shapes["level2.step4.actnorm.logScale"], [8]);
  assert.equal(Object.keys(network.variables).length, 8 * 9);
  assert.deepEqual(
    Object.keys(network.buffers),
    [1, 2].flatMap((level) =>
      [1, 2, 3, 4].map((step) =>
        `level${level}.step${step}.actnorm.initialized`
      )
    ),
  );
  network.dispose();
});

Deno.test("MultiScaleFlow's log-determinant equals the brute-force Jacobian's on a 4 x 4 image", () => {
  // Two levels (squeeze, 2 steps, split; squeeze, 2 steps): 16 numbers in, 8 + 8 latents out.
  const random = mulberry32(7);
  const network = new MultiScaleFlow({
    imageSize: 4,
    channels: 1,
    levels: 2,
    stepsPerLevel: 2,
    couplingWidth: 8,
    coupling: "affine",
    permutation: "conv",
  }, random);
  perturbVariables(Object.values(network.variables), random, 0.2);
  const x = tf.randomNormal([1, 4, 4, 1], 0, 1, "float32", 8) as tf.Tensor4D;
  const reported = tf.tidy(() => network.forward(x).logDet.dataSync()[0]);
  const flat = (v: tf.Tensor4D) =>
    tf.concat(network.forward(v).latents.map((z) => tf.reshape(z, [-1])));
  const expected = bruteForceLogDet(flat, x);
  assert.ok(
    Math.abs(expected) > 1,
    "the perturbed network is no volume-preserving map",
  );
  assert.ok(
    Math.abs(reported - expected) <= 1e-4 * Math.max(1, Math.abs(expected)),
    `reported ${reported}, brute force ${expected}`,
  );
  x.dispose();
  network.dispose();
});

Deno.test("the canonical flow inverts MNIST test images to 1e-4 (and reconstructs their pixels exactly)", async () => {
  const { test } = await loadMnist();
  const random = mulberry32(3);
  const flow = createFlow("flow", random);
  const images = imageTensor(test, 0, 16);
  tf.tidy(() => {
    flow.initialize(
      { images, labels: tf.zeros([16], "int32") as tf.Tensor1D },
      { seed: () => 5, step: 0 },
    );
  });
  perturbVariables(Object.values(flow.network.variables), random, 0.02);
  const [y, restored, pixels, reconstructed] = tf.tidy(() => {
    const { z: y } = flow.dequantization.forward(images, 1);
    const { latents } = flow.network.forward(flow.logit.forward(y).z);
    return [
      y.dataSync(),
      flow.logit.inverse(flow.network.inverse(latents)).dataSync(),
      images.dataSync(),
      flow.reconstruct(images, 2).dataSync(),
    ];
  });
  const error = maxAbsDifference(restored, y);
  assert.ok(error <= 1e-4, `max |y - y'| = ${error}`);
  assert.deepEqual(reconstructed, pixels);
  images.dispose();
  flow.dispose();
});

Deno.test("the canonical flow's float64 twin gives the float32 latents and round-trips MNIST images to 1e-9", async () => {
  const { test } = await loadMnist();
  const random = mulberry32(4);
  const flow = createFlow("flow", random);
  const images = imageTensor(test, 0, 8);
  tf.tidy(() => {
    flow.initialize(
      { images, labels: tf.zeros([8], "int32") as tf.Tensor1D },
      { seed: () => 5, step: 0 },
    );
  });
  // Large enough that the coupling networks are far from the identity.
  perturbVariables(Object.values(flow.network.variables), random, 0.05);
  const logits = tf.tidy(() =>
    flow.logit.forward(flow.dequantization.forward(images, 1).z).z
  );
  const latents32 = tf.tidy(() =>
    flow.network.forward(logits).latents.map((z) => z.dataSync())
  );
  const latents64 = flow.network.float64().forward(array4Of(logits));
  latents64.forEach((z, level) => {
    const mismatch = maxAbsDifference(z.data, latents32[level]);
    assert.ok(
      mismatch <= 1e-3,
      `level ${level + 1} latents differ by ${mismatch}`,
    );
  });
  // The round trips, forward then inverse through the logit and the
  // network, worked out here and measured with the tests' own helper.
  const y = tf.tidy(() => flow.dequantization.forward(images, 1).z);
  const values = y.dataSync();
  const back32 = tf.tidy(() =>
    flow.logit.inverse(
      flow.network.inverse(
        flow.network.forward(flow.logit.forward(y).z).latents,
      ),
    ).dataSync()
  );
  const [logit64, network64] = [flow.logit.float64(), flow.network.float64()];
  const back64 = logit64.inverse(
    network64.inverse(network64.forward(logit64.forward(array4Of(y)))),
  ).data;
  const float32 = maxAbsDifference(back32, values);
  const float64 = maxAbsDifference(back64, values);
  assert.ok(float64 <= 1e-9, `float64 round trip ${float64}`);
  assert.ok(float32 <= 1e-2, `float32 round trip ${float32}`);
  assert.ok(float64 > 0 && float32 > float64, "rounding errors show");
  // roundTripErrors(), which the family's evaluation reports, agrees.
  const errors = roundTripErrors(flow, images, 1);
  assert.ok(
    Math.abs(errors.float32 - float32) <= 1e-6 &&
      Math.abs(errors.float64 - float64) <= 1e-12,
    `roundTripErrors() ${JSON.stringify(errors)}, here ${
      JSON.stringify({ float32, float64 })
    }`,
  );
  tf.dispose([images, logits, y]);
  flow.dispose();
});
