import assert from "node:assert/strict";
import { tf } from "../../../backends/tf.ts";
import { initEngine } from "../../../backends/engine.ts";
import { mulberry32 } from "../../../data/random.ts";
import { createGan, type Gan } from "../../../models/gan/gan.ts";
import {
  discriminatorLoss,
  generatorLoss,
  r1Penalty,
} from "../../../models/gan/objective.ts";
import { assertClose } from "../../_helpers.ts";
import type { GanLoss } from "../../../models/gan/presets.ts";
import type { TrainingBatch } from "../../../models/contract.ts";

await initEngine({ threads: 2 });

const REAL = [0, 2];
const FAKE = [-1, 1];

function dLoss(loss: GanLoss, realLabel = 1, real = REAL, fake = FAKE) {
  return tf.tidy(() =>
    discriminatorLoss(
      loss,
      tf.tensor1d(real),
      tf.tensor1d(fake),
      realLabel,
    ).dataSync()[0]
  );
}

function gLoss(loss: GanLoss, fake = FAKE) {
  return tf.tidy(() => generatorLoss(loss, tf.tensor1d(fake)).dataSync()[0]);
}

function near(actual: number, expected: number, label: string, tol = 1e-5) {
  assert.ok(
    Math.abs(actual - expected) <= tol,
    `${label}: got ${actual}, expected ${expected}`,
  );
}

Deno.test("discriminatorLoss('non-saturating') is the mean BCE on real (target 1) plus on fakes (target 0)", () => {
  // BCE(l, y) = log(1 + e^l) - y l. Real: BCE(0, 1) = log 2 = 0.693147,
  // BCE(2, 1) = log(1 + e^-2) = 0.126928 -> mean 0.410038. Fake: BCE(-1, 0)
  // = log(1 + e^-1) = 0.313262, BCE(1, 0) = log(1 + e) = 1.313262 -> 0.813262.
  near(dLoss("non-saturating"), 0.410038 + 0.813262, "D loss");
});

Deno.test("discriminatorLoss() with realLabel 0.9 (one-sided label smoothing) moves only the real term", () => {
  // Real with target 0.9: BCE(0, 0.9) = log 2 = 0.693147, BCE(2, 0.9) =
  // log(1 + e^2) - 1.8 = 0.326928 -> mean 0.510038; fakes unchanged (0.813262).
  near(dLoss("non-saturating", 0.9), 0.510038 + 0.813262, "smoothed D loss");
  // Least squares with b = 0.9: ((0 - 0.9)^2 + (2 - 0.9)^2) / 2 = 1.01 on
  // real, (1 + 1) / 2 = 1 on fakes, halved: 1.005.
  near(dLoss("least-squares", 0.9), 1.005, "smoothed least-squares D loss");
});

Deno.test("discriminatorLoss('hinge') is mean relu(1 - real) + mean relu(1 + fake)", () => {
  // Real: relu(1) = 1, relu(-1) = 0 -> 0.5. Fake: relu(0) = 0, relu(2) = 2 -> 1.
  near(dLoss("hinge"), 1.5, "hinge D loss");
  assert.throws(() => dLoss("hinge", 0.9), /hinge/);
});

Deno.test("discriminatorLoss('least-squares') is half the mean squared distance to 1 (real) and 0 (fake)", () => {
  // Real: ((0 - 1)^2 + (2 - 1)^2) / 2 = 1; fake: (1 + 1) / 2 = 1; halved sum 1.
  near(dLoss("least-squares"), 1, "least-squares D loss");
  near(dLoss("least-squares", 1, [1, 1], [0, 0]), 0, "perfect D");
});

Deno.test("generatorLoss() gives the hand values of each loss", () => {
  // Non-saturating: BCE(-1, 1) = log(1 + e) = 1.313262, BCE(1, 1) = 0.313262.
  near(gLoss("non-saturating"), (1.313262 + 0.313262) / 2, "non-saturating");
  // Hinge: -mean(f) = -(-1 + 1) / 2 = 0; with f = (1, 3): -2.
  near(gLoss("hinge"), 0, "hinge");
  near(gLoss("hinge", [1, 3]), -2, "hinge");
  // Least squares: ((-1 - 1)^2 + (1 - 1)^2) / 2 / 2 = 1.
  near(gLoss("least-squares"), 1, "least-squares");
});

Deno.test("the non-saturating losses stay finite and exact for large logits", () => {
  // BCE(100, 0) = 100 + log(1 + e^-100); BCE(-100, 0) = log(1 + e^-100) ~ 0.
  near(dLoss("non-saturating", 1, [100, 100], [100, -100]), 50, "D", 1e-3);
  near(gLoss("non-saturating", [-100, -100]), 100, "G", 1e-3);
});

/** A GAN small enough to step in milliseconds: 8 x 8 images. */
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

function batchOf(count: number, seed: number): TrainingBatch {
  return {
    images: tf.randomUniform([count, 8, 8, 1], -1, 1, "float32", seed),
    labels: tf.tensor1d(
      Int32Array.from({ length: count }, (_, i) => i % 10),
      "int32",
    ),
  };
}

/** Every named tensor's values, copied. */
function snapshot(variables: Map<string, tf.Variable>): Map<string, number[]> {
  return new Map([...variables].map(([name, v]) => [name, [...v.dataSync()]]));
}

function changed(
  before: Map<string, number[]>,
  variables: Map<string, tf.Variable>,
): string[] {
  return [...variables]
    .filter(([name, v]) =>
      before.get(name)!.some((x, i) => x !== v.dataSync()[i])
    )
    .map(([name]) => name);
}

for (const conditional of [false, true]) {
  Deno.test(
    `ganPhases() ${
      conditional ? "(cgan, spectral norm) " : ""
    }D phase changes every D weight and no G weight; G phase the reverse`,
    () => {
      const gan = tinyGan({ conditional, spectralNorm: conditional });
      const batch = batchOf(6, 2);
      let seed = 10;
      const context = { seed: () => seed++, step: 0 };
      const { generator, discriminator } = gan.groups;
      for (const phase of gan.phases) {
        const own = gan.groups[phase.group as "generator" | "discriminator"];
        const other = phase.group === "generator" ? discriminator : generator;
        const before = snapshot(own), otherBefore = snapshot(other);
        const buffersBefore = snapshot(gan.buffers);
        // As the trainer does it: the gradients of the phase's group, one Adam step.
        const optimizer = tf.train.adam(1e-2, 0.5, 0.999);
        tf.tidy(() => {
          const variables = [...own.values()];
          const { grads } = tf.variableGrads(
            () => phase.loss(batch, context),
            variables,
          );
          for (const variable of variables) {
            const norm = tf.norm(grads[variable.name]).dataSync()[0];
            assert.ok(
              norm > 0,
              `${phase.name}: no gradient for ${variable.name}`,
            );
          }
          optimizer.applyGradients(
            variables.map((v) => ({ name: v.name, tensor: grads[v.name] })),
          );
        });
        optimizer.dispose();
        assert.deepEqual(changed(before, own), [...own.keys()], phase.name);
        assert.deepEqual(changed(otherBefore, other), [], phase.name);
        // Both networks ran in training mode: every running statistic moved,
        // and every spectral-norm vector (a 1-output layer's u is always +-1).
        assert.deepEqual(
          changed(buffersBefore, gan.buffers),
          [...gan.buffers].filter(([, b]) => b.size > 1).map(([name]) => name),
          `${phase.name}: buffers`,
        );
      }
      tf.dispose([batch.images, batch.labels]);
      gan.dispose();
    },
  );
}

Deno.test("ganPhases() take their noise from the step's seeds and keep no tensors", () => {
  const batch = batchOf(4, 3);
  const losses = (first: number) => {
    const gan = tinyGan();
    let seed = first;
    const context = { seed: () => seed++, step: 0 };
    const before = tf.memory().numTensors;
    const values = gan.phases.map((phase) =>
      tf.tidy(() => phase.loss(batch, context).dataSync()[0])
    );
    assert.equal(tf.memory().numTensors, before, "tensors leaked");
    assert.deepEqual(gan.phases.map((p) => [p.name, p.group]), [
      ["d_loss", "discriminator"],
      ["g_loss", "generator"],
    ]);
    gan.dispose();
    return values;
  };
  assert.deepEqual(losses(5), losses(5));
  // Other seeds, other noise: losses of random weights have no value to expect.
  assert.notDeepEqual(losses(5), losses(6));
  tf.dispose([batch.images, batch.labels]);
});

Deno.test("the D phase's loss is the config's loss (and realLabel) of D's logits on the real batch and on G's fakes from the step's seed", () => {
  const batch = batchOf(4, 4);
  const value = (overrides: Record<string, unknown>) => {
    const gan = tinyGan(overrides);
    let seed = 1;
    const result = tf.tidy(() =>
      gan.phases[0].loss(batch, { seed: () => seed++, step: 0 }).dataSync()[0]
    );
    gan.dispose();
    return result;
  };
  // The logits the phase should score, taken here from a GAN with the same
  // weights: D on the real batch, and on G's fakes from noise of seed 1, each
  // its own BatchNorm batch, both networks in training mode.
  const gan = tinyGan();
  const { real, fake } = tf.tidy(() => {
    const z = tf.randomNormal([4, 3], 0, 1, "float32", 1) as tf.Tensor2D;
    const fakes = gan.generator.apply(z, undefined, "train");
    return {
      real: [
        ...gan.discriminator.apply(batch.images, undefined, true)
          .dataSync(),
      ],
      fake: [...gan.discriminator.apply(fakes, undefined, true).dataSync()],
    };
  });
  gan.dispose();
  const mean = (values: number[]) =>
    values.reduce((a, b) => a + b, 0) / values.length;
  const softplus = (l: number) => Math.log1p(Math.exp(l));
  // BCE(l, y) = softplus(l) - y l, real against target t, fakes against 0.
  const bce = (t: number) =>
    mean(real.map((l) => softplus(l) - t * l)) + mean(fake.map(softplus));
  near(value({}), bce(1), "non-saturating");
  near(value({ realLabel: 0.9 }), bce(0.9), "smoothed");
  near(
    value({ loss: "hinge" }),
    mean(real.map((l) => Math.max(0, 1 - l))) +
      mean(fake.map((l) => Math.max(0, 1 + l))),
    "hinge",
  );
  tf.dispose([batch.images, batch.labels]);
});

Deno.test("r1Penalty() is the batch mean of |dD(x)/dx|^2, by central differences", () => {
  const gan = tinyGan({ discriminatorBatchNorm: false });
  const images = tf.randomUniform([2, 8, 8, 1], -1, 1, "float32", 7);
  const pixels = [...images.dataSync()];
  const logits = (values: number[]) =>
    tf.tidy(() => [
      ...gan.discriminator.apply(
        tf.tensor4d(values, [2, 8, 8, 1]),
        undefined,
        false,
      ).dataSync(),
    ]);
  const step = 1e-2;
  let squares = 0;
  for (let i = 0; i < pixels.length; i++) {
    const sample = Math.floor(i / 64);
    const up = pixels.slice(), down = pixels.slice();
    up[i] += step;
    down[i] -= step;
    const slope = (logits(up)[sample] - logits(down)[sample]) / (2 * step);
    squares += slope * slope;
  }
  const penalty = tf.tidy(() =>
    r1Penalty(gan.discriminator, images as tf.Tensor4D, undefined).dataSync()[0]
  );
  assertClose([penalty], [squares / 2], 1e-2, "R1");
  images.dispose();
  gan.dispose();
});

Deno.test("the D phase adds (gamma / 2) x interval x R1 on steps that are multiples of the interval, and only then", () => {
  const batch = batchOf(4, 8);
  const value = (overrides: Record<string, unknown>, step: number) => {
    const gan = tinyGan({ discriminatorBatchNorm: false, ...overrides });
    let seed = 1;
    const result = tf.tidy(() =>
      gan.phases[0].loss(batch, { seed: () => seed++, step }).dataSync()[0]
    );
    gan.dispose();
    return result;
  };
  const gan = tinyGan({ discriminatorBatchNorm: false });
  const penalty = tf.tidy(() =>
    r1Penalty(gan.discriminator, batch.images, undefined).dataSync()[0]
  );
  gan.dispose();
  assert.ok(penalty > 0);
  const r1 = { r1Gamma: 3, r1Interval: 4 };
  near(value(r1, 8) - value({}, 8), 1.5 * 4 * penalty, "step 8", 1e-4);
  near(value(r1, 9), value({}, 9), "step 9", 0);
  tf.dispose([batch.images, batch.labels]);
});

Deno.test("the R1 penalty's gradient with respect to D's weights (a gradient of a gradient) agrees on wasm and cpu", async () => {
  const gan = tinyGan({ discriminatorBatchNorm: false, spectralNorm: true });
  const images = tf.randomUniform([3, 8, 8, 1], -1, 1, "float32", 9);
  // The kernels: biases move D's output but not its slopes (a.e.).
  const kernels = [...gan.groups.discriminator].filter(([name]) =>
    name.endsWith("kernel")
  );
  assert.equal(kernels.length, 3);
  const gradients = () =>
    tf.tidy(() => {
      const { value, grads } = tf.variableGrads(
        () => r1Penalty(gan.discriminator, images as tf.Tensor4D, undefined),
        kernels.map(([, v]) => v),
      );
      value.dispose();
      return kernels.map(([, v]) => [...grads[v.name].dataSync()]);
    });
  const wasm = gradients();
  // The weights move to the cpu backend on first use there (so this does
  // not go through assertBackendsAgree, which counts buffers).
  await tf.setBackend("cpu");
  let cpu: number[][];
  try {
    cpu = gradients();
  } finally {
    await tf.setBackend("wasm");
  }
  kernels.forEach(([name], i) => {
    assert.ok(cpu[i].some((g) => g !== 0), `${name}: zero on cpu`);
    assertClose(wasm[i], cpu[i], 1e-4, name);
  });
  images.dispose();
  gan.dispose();
});
