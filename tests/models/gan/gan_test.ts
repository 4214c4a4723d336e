import assert from "node:assert/strict";
import { tf } from "../../../backends/tf.ts";
import { initEngine } from "../../../backends/engine.ts";
import { mulberry32 } from "../../../data/random.ts";
import { createGan, type Gan } from "../../../models/gan/gan.ts";
import { withBatchSpread } from "../../../models/gan/model.ts";
import { GAN_PRESETS, resolveGanConfig } from "../../../models/gan/presets.ts";
import { loadCheckpoint } from "../../../train/checkpoint.ts";
import { RUN_FILES, train, TRAINING_DEFAULTS } from "../../../train/trainer.ts";
import { assertClose } from "../../_helpers.ts";
import { assertEveryKeyOverrides } from "../_overrides.ts";

await initEngine({ threads: 2 });

/** A GAN small enough to run in milliseconds: 8 x 8 images. */
function tinyGan(overrides: Record<string, unknown> = {}, seed = 1): Gan {
  return createGan(
    {
      preset: "dcgan-small",
      imageSize: 8,
      baseWidth: 4,
      latentSize: 3,
      ...overrides,
    },
    mulberry32(seed),
  );
}

/**
 * Parameters of a DCGAN on 28 x 28 x 1 images with noise of `latent`,
 * channels `width` / 2 `width` and `classes` label inputs (0: none), by
 * layer: weights + biases (+ gamma and beta of each BatchNorm).
 */
function ganParameters(latent: number, width: number, classes = 0) {
  const units = 7 * 7 * 2 * width; // the 7 x 7 x 2width feature map
  const generator = ((latent + classes) * units + units) + // Dense
    2 * units + // BatchNorm over the dense layer's units
    (4 * 4 * width * 2 * width + width) + // ConvTranspose(2w -> w, k4)
    2 * width + // BatchNorm(w)
    (4 * 4 * 1 * width + 1); // ConvTranspose(w -> 1, k4)
  const discriminator = (4 * 4 * (1 + classes) * width + width) + // Conv(1 + classes -> w, k4)
    (4 * 4 * width * 2 * width + 2 * width) + // Conv(w -> 2w, k4)
    2 * 2 * width + // BatchNorm(2w)
    (units * 1 + 1); // Dense(units -> 1)
  return { generator, discriminator, total: generator + discriminator };
}

Deno.test("createGan('dcgan') has the canonical parameter counts: G 552513, D 138817", () => {
  // Worked out from shared/spec/canonical-models.md, weights + biases
  // (+ gamma and beta of each BatchNorm):
  const generator = (64 * 6272 + 6272) + // Dense(64 -> 7*7*128)
    2 * 6272 + // BatchNorm over the dense layer's 6272 units
    (4 * 4 * 64 * 128 + 64) + // ConvTranspose(128 -> 64, k4)
    2 * 64 + // BatchNorm(64)
    (4 * 4 * 1 * 64 + 1); // ConvTranspose(64 -> 1, k4)
  const discriminator = (4 * 4 * 1 * 64 + 64) + // Conv(1 -> 64, k4)
    (4 * 4 * 64 * 128 + 128) + // Conv(64 -> 128, k4)
    2 * 128 + // BatchNorm(128)
    (6272 * 1 + 1); // Dense(6272 -> 1)
  assert.equal(generator, 552513);
  assert.equal(discriminator, 138817);
  const gan = createGan("dcgan");
  assert.equal(gan.parameterCount("generator"), generator);
  assert.equal(gan.parameterCount("discriminator"), discriminator);
  assert.equal(gan.parameterCount(), generator + discriminator);
  assert.deepEqual(ganParameters(64, 64), {
    generator,
    discriminator,
    total: generator + discriminator,
  });
  gan.dispose();
});

Deno.test("createGan('cgan') adds 10 label inputs to G's dense layer and 10 channels to D's first conv", () => {
  const gan = createGan("cgan");
  assert.equal(gan.parameterCount("generator"), 552513 + 10 * 6272);
  assert.equal(gan.parameterCount("discriminator"), 138817 + 4 * 4 * 10 * 64);
  assert.equal(gan.parameterCount(), ganParameters(64, 64, 10).total);
  assert.deepEqual(gan.groups.generator.get("generator.dense.kernel")!.shape, [
    74,
    6272,
  ]);
  assert.deepEqual(
    gan.groups.discriminator.get("discriminator.conv1.kernel")!.shape,
    [4, 4, 11, 64],
  );
  gan.dispose();
});

Deno.test("createGan() builds the small and large presets at their sizes", () => {
  const counts = Object.fromEntries(
    (["dcgan-small", "dcgan-large", "cgan-small", "cgan-large"] as const).map(
      (name) => {
        const gan = createGan(name);
        const count = gan.parameterCount();
        gan.dispose();
        return [name, count];
      },
    ),
  );
  // dcgan-small by hand: z 32, widths 32 / 64, 7 x 7 x 64 = 3136 units.
  const small = (32 * 3136 + 3136) + 2 * 3136 + (16 * 32 * 64 + 32) + 2 * 32 +
    (16 * 32 + 1) + // generator
    (16 * 32 + 32) + (16 * 32 * 64 + 64) + 2 * 64 + (3136 + 1); // discriminator
  assert.equal(ganParameters(32, 32).total, small);
  assert.deepEqual(counts, {
    "dcgan-small": small,
    "dcgan-large": ganParameters(128, 128).total,
    "cgan-small": small + 10 * 3136 + 16 * 10 * 32,
    "cgan-large": ganParameters(128, 128, 10).total,
  });
});

Deno.test("createGan() is a TrainableModel with two groups, D then G, DCGAN's Adam and its buffers", () => {
  const gan = createGan("dcgan");
  assert.equal(gan.preset, "dcgan");
  assert.deepEqual(gan.config, GAN_PRESETS.dcgan);
  assert.deepEqual(Object.keys(gan.groups), ["generator", "discriminator"]);
  assert.deepEqual(gan.phases.map((p) => p.group), [
    "discriminator",
    "generator",
  ]);
  assert.equal(gan.pixelRange, "symmetric");
  assert.deepEqual([...gan.buffers.keys()], [
    "generator.norm0.runningMean",
    "generator.norm0.runningVariance",
    "generator.norm1.runningMean",
    "generator.norm1.runningVariance",
    "discriminator.norm.runningMean",
    "discriminator.norm.runningVariance",
  ]);
  const names = [
    ...gan.groups.generator.keys(),
    ...gan.groups.discriminator.keys(),
    ...gan.buffers.keys(),
  ];
  assert.equal(new Set(names).size, names.length, "names are unique");
  assert.ok(JSON.parse(JSON.stringify(gan.config)), "config is plain JSON");
  gan.dispose();
});

Deno.test("createGan() with spectralNorm keeps one u vector per D weight; without D's BatchNorm it has none", () => {
  const gan = tinyGan({ spectralNorm: true, discriminatorBatchNorm: false });
  assert.deepEqual(
    [...gan.buffers.keys()].filter((name) => name.startsWith("discriminator")),
    [
      "discriminator.conv1.u",
      "discriminator.conv2.u",
      "discriminator.dense.u",
    ],
  );
  assert.ok(
    ![...gan.groups.discriminator.keys()].some((n) => n.includes("norm")),
  );
  gan.dispose();
});

Deno.test("resolveGanConfig() checks keys, types and ranges strictly", () => {
  assert.throws(
    () => resolveGanConfig("dcgan", { lossType: "hinge" }),
    /unknown gan config key "lossType"/,
  );
  assert.throws(
    () => resolveGanConfig("dcgan", { loss: "wasserstein" }),
    /"loss" must be/,
  );
  assert.throws(
    () => resolveGanConfig("dcgan", { realLabel: 1.1 }),
    /realLabel/,
  );
  assert.throws(
    () => resolveGanConfig("dcgan", { loss: "hinge", realLabel: 0.9 }),
    /hinge/,
  );
  assert.throws(
    () => resolveGanConfig("dcgan", { spectralNorm: "yes" }),
    /must be a boolean/,
  );
  assert.throws(
    () => resolveGanConfig("dcgan", { imageSize: 30 }),
    /multiple of 4/,
  );
  assert.throws(
    () => resolveGanConfig("dcgan", { samplingStatistics: "batch" }),
    /samplingStatistics/,
  );
  assert.throws(() => resolveGanConfig("wgan"), /unknown gan preset/);
  const config = resolveGanConfig("dcgan", {
    loss: "least-squares",
    realLabel: 0.9,
  });
  assert.deepEqual(
    [config.loss, config.realLabel],
    ["least-squares", 0.9],
  );
  // Adam's settings are training options now, not config keys.
  assert.throws(
    () => resolveGanConfig("dcgan", { generatorLr: 1e-4 }),
    /unknown gan config key "generatorLr"/,
  );
});

Deno.test("resolveGanConfig() applies an override of every key", () => {
  assertEveryKeyOverrides(resolveGanConfig, "dcgan", GAN_PRESETS.dcgan, {
    imageSize: 32,
    channels: 3,
    latentSize: 16,
    baseWidth: 8,
    conditional: true,
    classes: 5,
    loss: "least-squares",
    realLabel: 0.9,
    spectralNorm: true,
    discriminatorBatchNorm: false,
    minibatchStd: true,
    r1Gamma: 0.5,
    r1Interval: 4,
    samplingStatistics: "running",
  });
});

Deno.test("withBatchSpread() appends the mean over features of the batch standard deviation", () => {
  const rows = [[1, 2, 0], [3, 2, 4], [5, 2, 8]];
  // Population standard deviations per column: sqrt(8/3), 0, sqrt(32/3).
  const spread = (Math.sqrt(8 / 3) + Math.sqrt(1e-8) + Math.sqrt(32 / 3)) / 3;
  const out = tf.tidy(() =>
    withBatchSpread(tf.tensor2d(rows)).arraySync() as number[][]
  );
  assert.deepEqual(out.map((row) => row.slice(0, 3)), rows);
  assertClose(
    out.map((row) => row[3]),
    [spread, spread, spread],
    1e-6,
    "spread",
  );
});

Deno.test("minibatchStd: D reads one more feature, and a sample's logit depends on the rest of its batch", () => {
  const gan = tinyGan({ minibatchStd: true, discriminatorBatchNorm: false });
  const plain = tinyGan({ discriminatorBatchNorm: false });
  assert.deepEqual(
    gan.groups.discriminator.get("discriminator.dense.kernel")!.shape,
    [
      plain.groups.discriminator.get("discriminator.dense.kernel")!.shape[0] +
      1,
      1,
    ],
  );
  tf.tidy(() => {
    const first = tf.randomUniform([1, 8, 8, 1], -1, 1, "float32", 3);
    const alike = tf.concat([first, first]) as tf.Tensor4D;
    const varied = tf.concat([
      first,
      tf.randomUniform([1, 8, 8, 1], -1, 1, "float32", 4),
    ]) as tf.Tensor4D;
    const logit = (images: tf.Tensor4D, model: Gan) =>
      model.discriminator.apply(images, undefined, false).dataSync()[0];
    assert.ok(Math.abs(logit(alike, gan) - logit(varied, gan)) > 1e-6);
    // Without it (and without BatchNorm) each logit is the sample's own.
    assertClose([logit(alike, plain)], [logit(varied, plain)], 1e-6, "logit");
  });
  gan.dispose();
  plain.dispose();
});

Deno.test("createGan() rebuilds from { preset, ...config } with the same names, shapes and weights", () => {
  const original = tinyGan({ conditional: true, classes: 3 }, 5);
  const rebuilt = createGan(
    { preset: original.preset, ...original.config },
    mulberry32(5),
  );
  assert.deepEqual(rebuilt.config, original.config);
  const values = (gan: Gan) =>
    [...gan.groups.generator, ...gan.groups.discriminator].map((
      [name, v],
    ) => [name, v.shape, [...v.dataSync()]]);
  assert.deepEqual(values(rebuilt), values(original));
  original.dispose();
  rebuilt.dispose();
});

Deno.test("Generator.apply() gives tanh pixels in [-1, 1]; sample() maps them to [0, 1]", () => {
  const gan = createGan("dcgan", mulberry32(2));
  tf.tidy(() => {
    const z = tf.mul(tf.randomNormal([16, 64], 0, 1, "float32", 3), 30);
    const raw = gan.generator.apply(z as tf.Tensor2D, undefined, "train");
    assert.deepEqual(raw.shape, [16, 28, 28, 1]);
    assert.ok(
      tf.max(raw).dataSync()[0] <= 1 && tf.min(raw).dataSync()[0] >= -1,
    );
    const pixels = gan.sample(16, 4);
    assert.deepEqual(pixels.shape, [16, 28, 28, 1]);
    const [low, high] = [
      tf.min(pixels).dataSync()[0],
      tf.max(pixels).dataSync()[0],
    ];
    assert.ok(
      low >= 0 && high <= 1 && high > low,
      `pixels in [${low}, ${high}]`,
    );
  });
  gan.dispose();
});

Deno.test("the class label changes the generator's image and the discriminator's logit", () => {
  const gan = tinyGan({ conditional: true });
  tf.tidy(() => {
    const z = tf.tile(tf.randomNormal([1, 3], 0, 1, "float32", 1), [
      2,
      1,
    ]) as tf.Tensor2D;
    const labels = tf.tensor1d([0, 1], "int32");
    const [first, second] = tf.unstack(
      gan.generator.apply(z, labels, { referenceRows: 2 }),
    );
    assert.ok(
      tf.max(tf.abs(tf.sub(first, second))).dataSync()[0] > 1e-4,
      "G ignores the label",
    );
    const images = tf.tile(
      tf.randomUniform([1, 8, 8, 1], -1, 1, "float32", 2),
      [2, 1, 1, 1],
    ) as tf.Tensor4D;
    const logits = gan.discriminator.apply(images, labels, false).dataSync();
    assert.ok(Math.abs(logits[0] - logits[1]) > 1e-5, "D ignores the label");
    assert.throws(
      () => gan.generator.apply(z, undefined, "train"),
      /needs class labels/,
    );
  });
  gan.dispose();
});

Deno.test("train() resumes a cgan exactly: weights, both Adams, EMA and the BatchNorm / spectral-norm buffers", async () => {
  const rng = mulberry32(9);
  const data = {
    images: Float32Array.from({ length: 24 * 64 }, () => rng()),
    labels: Uint8Array.from({ length: 24 }, (_, i) => i % 10),
    shape: [24, 8, 8, 1] as [number, number, number, number],
  };
  const options = {
    ...TRAINING_DEFAULTS,
    steps: 4,
    batchSize: 6,
    logEvery: 1,
    checkpointEvery: 100,
    sampleEvery: 0,
    emaDecay: 0.9,
  };
  const quiet = { write: () => {}, interactive: false };
  const make = (seed: number) =>
    tinyGan({ conditional: true, spectralNorm: true }, seed);
  const dir = await Deno.makeTempDir({ prefix: "genwasm-gan-" });
  try {
    const straight = make(1);
    await train(straight, data, options, { out: `${dir}/a`, ...quiet });
    straight.dispose();
    const first = make(1);
    await train(first, data, { ...options, steps: 2 }, {
      out: `${dir}/b`,
      ...quiet,
    });
    first.dispose();
    // Other initial weights: everything must come from the checkpoint.
    const resumed = make(2);
    await train(resumed, data, options, {
      out: `${dir}/b`,
      resume: true,
      ...quiet,
    });
    resumed.dispose();
    const [a, b] = await Promise.all(
      ["a", "b"].map((run) =>
        loadCheckpoint(`${dir}/${run}/${RUN_FILES.checkpoint}`)
      ),
    );
    assert.ok(a.tensors.has("buffer.discriminator.conv2.u"));
    assert.ok(a.tensors.has("ema.generator.dense.kernel"));
    assert.deepEqual(
      [...b.tensors.keys()].sort(),
      [...a.tensors.keys()].sort(),
    );
    // A bias right before a BatchNorm has a zero gradient up to rounding,
    // which Adam scales up to steps of up to lr: those biases and their Adam
    // moments carry no signal and are left out. The running means that
    // follow them inherit that noise: the bias shifts the batch mean by at
    // most lr a step, so they must agree to steps x lr (absolute); the
    // running variances, which no shift moves, to 1e-4 like the rest.
    const beforeNorm =
      /(generator\.(dense|deconv1)|discriminator\.conv2)\.bias/;
    const shift = options.steps * options.learningRate;
    for (const [name, tensor] of a.tensors) {
      if (beforeNorm.test(name)) continue;
      const other = b.tensors.get(name)!.data;
      if (name.endsWith("runningMean")) {
        tensor.data.forEach((value, i) => {
          assert.ok(
            Math.abs(other[i] - value) <= shift,
            `${name}[${i}]: ${other[i]} vs ${value}`,
          );
        });
        continue;
      }
      assertClose(other, tensor.data, 1e-4, name);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
