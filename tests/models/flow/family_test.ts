import assert from "node:assert/strict";
import { tf } from "../../../backends/tf.ts";
import { initEngine } from "../../../backends/engine.ts";
import type { ImageSet } from "../../../data/image_set.ts";
import { Mulberry32, mulberry32 } from "../../../data/random.ts";
import { toyPoints } from "../../../data/toy_points.ts";
import { flowFamily } from "../../../models/flow/family.ts";
import { flow2dFamily } from "../../../models/flow/flow2d_family.ts";
import type { Flow } from "../../../models/flow/flow.ts";

await initEngine({ threads: 2 });

/** `count` random 28 x 28 "images" on the 8-bit grid. */
function imageSet(count: number, seed: number): ImageSet {
  const random = mulberry32(seed);
  return {
    images: Float32Array.from(
      { length: count * 784 },
      () => Math.round(255 * random() ** 4) / 255,
    ),
    labels: new Uint8Array(count),
    shape: [count, 28, 28, 1],
  };
}

function pointSet(count: number): ImageSet {
  return {
    images: toyPoints("moons", count, 1).points,
    labels: new Uint8Array(count),
    shape: [count, 1, 1, 2],
  };
}

Deno.test("flowFamily lists its presets, pictures and the --temperature option", () => {
  assert.deepEqual(flowFamily.presets, ["flow", "flow-small", "flow-large"]);
  assert.deepEqual(flowFamily.sampleKinds, ["samples", "reconstructions"]);
  assert.deepEqual(Object.keys(flowFamily.sampleOptions!), ["temperature"]);
  const temperature = flowFamily.sampleOptions!.temperature;
  assert.ok(temperature.value !== undefined);
  assert.equal(temperature.parse("0.7"), 0.7);
  assert.throws(() => temperature.parse("0"), /--temperature must be/);
  assert.deepEqual(flowFamily.training, { learningRate: 1e-3, batchSize: 64 });
  const model = flowFamily.create(
    "flow-small",
    { imageSize: 28, channels: 1 },
    1,
  );
  // The learning rate is the run's (training options), not the config's.
  assert.ok(!("learningRate" in model.config));
  assert.deepEqual(Object.keys(model.config), flowFamily.configKeys);
  model.dispose();
});

Deno.test("flowFamily.sample() draws images in [0, 1], less varied at a lower temperature", () => {
  const model = flowFamily.create("flow-small", {}, 2);
  const test = imageSet(16, 3);
  const draw = (temperature: number) =>
    tf.tidy(() => {
      const images = flowFamily.sample(model, {
        count: 8,
        seed: 4,
        kind: "samples",
        test,
        temperature,
      });
      assert.deepEqual(images.shape, [8, 28, 28, 1]);
      const values = images.dataSync() as Float32Array;
      assert.ok(values.every((v) => v >= 0 && v <= 1));
      return tf.moments(images, 0).variance.mean().dataSync()[0];
    });
  const cold = draw(0.3), warm = draw(1);
  assert.ok(cold < warm, `variance at 0.3: ${cold}, at 1: ${warm}`);
  model.dispose();
});

Deno.test("flowFamily.sample('reconstructions') shows test images above identical round trips", () => {
  const model = flowFamily.create("flow-small", {}, 2);
  const test = imageSet(16, 5);
  const grid = tf.tidy(() =>
    flowFamily.sample(model, {
      count: 16,
      seed: 1,
      kind: "reconstructions",
      test,
    })
      .arraySync() as number[][][][]
  );
  assert.equal(grid.length, 16);
  for (let column = 0; column < 8; column++) {
    assert.deepEqual(grid[8 + column], grid[column]);
  }
  model.dispose();
});

Deno.test("flowFamily.monitor() and evaluate() report test bits/dim (and evaluate the round-trip errors)", async () => {
  const model = flowFamily.create("flow-small", {}, 2);
  const test = imageSet(40, 6);
  const data = { train: test, test };
  const monitored = await flowFamily.monitor!(model, data);
  const evaluated = await flowFamily.evaluate(model, data);
  assert.deepEqual(Object.keys(monitored), ["bits_per_dim"]);
  assert.deepEqual(Object.keys(evaluated), [
    "bits_per_dim",
    "round_trip_error",
    "round_trip_error_float64",
  ]);
  // Random affine couplings have no closed-form density, so only a sanity
  // range here; the next test checks the value of a flow whose density is
  // known.
  assert.ok(evaluated.bits_per_dim > 1 && evaluated.bits_per_dim < 16);
  assert.ok(evaluated.round_trip_error < 1e-3);
  assert.ok(evaluated.round_trip_error_float64 < 1e-9);
  // 40 images are fewer than the monitor's 1000: the same images, the same number.
  assert.ok(Math.abs(monitored.bits_per_dim - evaluated.bits_per_dim) < 1e-9);
  model.dispose();
});

Deno.test("flowFamily.evaluate() of a volume-preserving flow at creation gives the bits/dim of the logit-Gaussian density worked out by hand", async () => {
  // Additive couplings start as the identity (their last layer is zero),
  // ActNorm before its data-dependent start too, the 1x1 convolutions start
  // as rotations and squeeze and split only reorder: the network is a
  // rotation, under which N(0, I) is unchanged. What is left per pixel is
  // dequantisation and the logit: y = (k + u) / 256, s = a + (1 - 2a) y,
  // z = logit(s), log p = log N(z) + log(1 - 2a) - log s - log(1 - s),
  // and -ln 256 for the 8-bit bins.
  const model = flowFamily.create("flow-small", { coupling: "additive" }, 2);
  const test = imageSet(40, 6);
  const { bits_per_dim } = await flowFamily.evaluate(model, {
    train: test,
    test,
  });
  // The dequantisation noise evaluate draws: one seed for its one chunk
  // of 40 images, the first of Mulberry32(0).
  const noise = tf.tidy(() =>
    tf.randomUniform(
      [40, 28, 28, 1],
      0,
      1 - 2 ** -12,
      "float32",
      new Mulberry32(0).nextSeed(),
    ).dataSync()
  );
  const a = 0.05; // the preset's logitAlpha
  let nats = 0;
  test.images.forEach((pixel, i) => {
    const y = (Math.round(255 * pixel) + noise[i]) / 256;
    const s = a + (1 - 2 * a) * y;
    const z = Math.log(s) - Math.log(1 - s);
    nats -= -0.5 * z * z - 0.5 * Math.log(2 * Math.PI) +
      Math.log(1 - 2 * a) - Math.log(s) - Math.log(1 - s) - Math.log(256);
  });
  const expected = nats / (40 * 784 * Math.LN2);
  // float32 sums over 784 pixels per image: about 1e-6 bits/dim.
  assert.ok(
    Math.abs(bits_per_dim - expected) < 1e-5,
    `bits/dim ${bits_per_dim}, by hand ${expected}`,
  );
  model.dispose();
});

Deno.test("a singular 1x1 convolution in a checkpoint stops sample and evaluate with the layer's name", async () => {
  const model = flowFamily.create("flow", {}, 0) as Flow;
  tf.tidy(() => {
    const kernel = model.groups.model.get("level1.step3.permutation.kernel")!;
    kernel.assign(tf.zeros([4, 4]));
  });
  const test = imageSet(4, 7);
  const message =
    /flow: level 1 step 3 1x1 convolution is singular \(log\|det\| = -inf\); the checkpoint cannot be inverted$/;
  assert.throws(
    () =>
      tf.tidy(() =>
        flowFamily.sample(model, { count: 2, seed: 0, kind: "samples", test })
      ),
    message,
  );
  await assert.rejects(
    () =>
      Promise.resolve().then(() =>
        flowFamily.evaluate(model, { train: test, test })
      ),
    message,
  );
  model.dispose();
});

Deno.test("flow2dFamily trains on points and draws one density or scatter picture", async () => {
  assert.deepEqual(flow2dFamily.dataKinds, ["points"]);
  assert.deepEqual(flow2dFamily.sampleKinds, ["density", "samples"]);
  const model = flow2dFamily.create("flow2d", {}, 1);
  assert.equal(model.pixelRange, "raw");
  const test = pointSet(500);
  for (const kind of flow2dFamily.sampleKinds) {
    const [shape, inRange] = tf.tidy(() => {
      const picture = flow2dFamily.sample(model, {
        count: 64,
        seed: 2,
        kind,
        test,
        temperature: 0.8,
      });
      const values = picture.dataSync() as Float32Array;
      return [picture.shape, values.every((v) => v >= 0 && v <= 1)];
    });
    assert.deepEqual(shape, [1, 128, 128, 3], kind);
    assert.ok(inRange, kind);
  }
  const generated = tf.tidy(() => model.generate!(64, 3).shape);
  assert.deepEqual(generated, [1, 128, 128, 3]);
  const metrics = await flow2dFamily.evaluate(model, { train: test, test });
  assert.ok(
    Math.abs(metrics.bits_per_dim - metrics.nll_nats / (2 * Math.LN2)) < 1e-9,
  );
  assert.deepEqual(
    Object.keys(await flow2dFamily.monitor!(model, { train: test, test })),
    ["nll_nats"],
  );
  model.dispose();
});
