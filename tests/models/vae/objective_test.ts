import assert from "node:assert/strict";
import { tf } from "../../../backends/tf.ts";
import { initEngine } from "../../../backends/engine.ts";
import { Mulberry32, mulberry32 } from "../../../data/random.ts";
import type { ImageSet } from "../../../data/image_set.ts";
import { binarizeTensor } from "../../../data/binarize.ts";
import {
  bernoulliNll,
  elboTerms,
  evaluateNegativeElbo,
  klToStandardNormal,
  negativeElbo,
  reparameterize,
  vaePhases,
} from "../../../models/vae/objective.ts";
import { createVae, type Vae } from "../../../models/vae/vae.ts";
import { assertFirstAdamStep } from "../_first_adam_step.ts";

await initEngine({ threads: 2 });

/** Tolerance of float32 results against float64 hand values. */
const TOLERANCE = 1e-5;

function assertNear(actual: number, expected: number, label = ""): void {
  assert.ok(
    Math.abs(actual - expected) <= TOLERANCE * Math.max(1, Math.abs(expected)),
    `${label} ${actual} vs ${expected}`,
  );
}

/** `count` 28 x 28 images of random blobs in [0, 1]. */
function randomImages(count: number, seed: number): Float32Array {
  const random = mulberry32(seed);
  return Float32Array.from({ length: count * 784 }, () => random() ** 4);
}

/**
 * A 4 x 4 VAE with two latents whose weights are all zero except the
 * encoder's output bias (mean, log-variance) and the last bias (the logit of
 * every pixel), so its ELBO can be worked out by hand.
 */
function handVae(
  mean: [number, number],
  logVariance: [number, number],
  logit: number,
): Vae {
  const vae = createVae({ imageSize: 4, latentSize: 2, baseWidth: 1 });
  for (const variable of vae.groups.model.values()) {
    variable.assign(tf.zerosLike(variable));
  }
  const model = vae.groups.model;
  tf.tidy(() => {
    model.get("encoder.dense.bias")!.assign(
      tf.tensor1d([...mean, ...logVariance]),
    );
    model.get("decoder.deconv2.bias")!.assign(tf.tensor1d([logit]));
  });
  return vae;
}

Deno.test("klToStandardNormal() is 0 for mean 0 and log-variance 0", () => {
  const kl = tf.tidy(() =>
    klToStandardNormal(tf.zeros([2, 5]), tf.zeros([2, 5])).arraySync()
  );
  assert.deepEqual(kl, [0, 0]);
});

Deno.test("klToStandardNormal() matches a hand value per example", () => {
  // mean [1, 2], variance [1, 2]:
  // 0.5 * ((1 + 1 - 1 - 0) + (2 + 4 - 1 - ln 2)) = 3 - ln(2) / 2.
  const kl = tf.tidy(() =>
    klToStandardNormal(
      tf.tensor2d([[1, 2], [0, 0]]),
      tf.tensor2d([[0, Math.LN2], [0, 0]]),
    ).arraySync()
  );
  assertNear(kl[0], 3 - Math.LN2 / 2, "first");
  assertNear(kl[1], 0, "second");
});

Deno.test("bernoulliNll() sums the cross-entropy over pixels per example", () => {
  // -log p per pixel = log(1 + e^l) - l x.
  // l 0, x 1: ln 2;   l 2, x 0: ln(1 + e^2);
  // l -1, x 0.5: ln(1 + e^-1) + 0.5;   l 3, x 1: ln(1 + e^3) - 3.
  const expected = Math.LN2 + Math.log(1 + Math.exp(2)) +
    Math.log(1 + Math.exp(-1)) + 0.5 + Math.log(1 + Math.exp(3)) - 3;
  assertNear(expected, 3.6819242, "hand value");
  const nll = tf.tidy(() =>
    bernoulliNll(
      tf.tensor4d([0, 2, -1, 3, 0, 0, 0, 0], [2, 2, 2, 1]),
      tf.tensor4d([1, 0, 0.5, 1, 0, 1, 0, 1], [2, 2, 2, 1]),
    ).arraySync()
  );
  assertNear(nll[0], expected, "first");
  assertNear(nll[1], 4 * Math.LN2, "second");
});

Deno.test("bernoulliNll() stays finite for large logits", () => {
  const nll = tf.tidy(() =>
    bernoulliNll(
      tf.tensor4d([100, -100], [1, 1, 2, 1]),
      tf.tensor4d([1, 1], [1, 1, 2, 1]),
    ).arraySync()
  );
  // A confident right pixel costs nothing, a confident wrong one its logit.
  assertNear(nll[0], 100);
});

Deno.test("reparameterize() gives mean + exp(logVariance / 2) * epsilon from the seed", () => {
  const mean = [0.5, -1, 2, 0];
  const logVariance = [0, Math.log(4), -2, 1];
  const [z, epsilon, again, other] = tf.tidy(() => {
    const m = tf.tensor2d(mean, [2, 2]);
    const v = tf.tensor2d(logVariance, [2, 2]);
    return [
      reparameterize(m, v, 9).dataSync(),
      tf.randomNormal([2, 2], 0, 1, "float32", 9).dataSync(),
      reparameterize(m, v, 9).dataSync(),
      reparameterize(m, v, 10).dataSync(),
    ];
  });
  for (let index = 0; index < 4; index++) {
    assertNear(
      z[index],
      mean[index] + Math.exp(logVariance[index] / 2) * epsilon[index],
      `z[${index}]`,
    );
  }
  assert.deepEqual(again, z);
  // Another seed, other epsilon (the formula is checked above).
  assert.notDeepEqual(other, z);
});

Deno.test("negativeElbo() of a hand-set model is nll + KL worked out by hand", () => {
  // Every logit is 0.5 whatever z, so each of the 16 pixels costs
  // ln(1 + e^0.5) - 0.5 x; KL of mean [1, 2], log-variance [0, ln 2] is
  // 3 - ln(2) / 2.
  const vae = handVae([1, 2], [0, Math.LN2], 0.5);
  const pixels = [Array(16).fill(0), Array(16).fill(1)].flat();
  const perPixel = (x: number) => Math.log(1 + Math.exp(0.5)) - 0.5 * x;
  const nll = [16 * perPixel(0), 16 * perPixel(1)];
  const kl = 3 - Math.LN2 / 2;
  const [loss, terms] = tf.tidy(() => {
    const images = tf.tensor4d(pixels, [2, 4, 4, 1]);
    const terms = elboTerms(vae, images, 3);
    return [
      negativeElbo(vae, images, 3).dataSync()[0],
      [terms.reconstruction.arraySync(), terms.kl.arraySync()],
    ];
  });
  assertNear(terms[0][0], nll[0], "nll 0");
  assertNear(terms[0][1], nll[1], "nll 1");
  assertNear(terms[1][0], kl, "kl 0");
  assertNear(terms[1][1], kl, "kl 1");
  assertNear(loss, (nll[0] + nll[1]) / 2 + kl, "loss");
  vae.dispose();
});

Deno.test("negativeElbo() decodes the reparameterised z drawn from its seed", () => {
  const vae = createVae("vae", mulberry32(3));
  const [loss, expected, again] = tf.tidy(() => {
    const images = tf.tensor4d(randomImages(4, 1), [4, 28, 28, 1]);
    const { mean, logVariance } = vae.encode(images);
    const z = reparameterize(mean, logVariance, 11);
    const perExample = tf.add(
      bernoulliNll(vae.decode(z), images),
      klToStandardNormal(mean, logVariance),
    );
    return [
      negativeElbo(vae, images, 11).dataSync()[0],
      tf.mean(perExample).dataSync()[0],
      negativeElbo(vae, images, 11).dataSync()[0],
    ];
  });
  assertNear(loss, expected);
  assert.equal(again, loss);
  vae.dispose();
});

Deno.test("evaluateNegativeElbo() averages its chunks like one batch of the first seed", () => {
  const vae = createVae("vae-small", mulberry32(5));
  const set: ImageSet = {
    images: randomImages(10, 3),
    labels: new Uint8Array(10),
    shape: [10, 28, 28, 1],
  };
  const whole = evaluateNegativeElbo(vae, set, { batchSize: 10, seed: 4 });
  const expected = tf.tidy(() =>
    negativeElbo(
      vae,
      tf.tensor4d(set.images, [10, 28, 28, 1]),
      new Mulberry32(4).nextSeed(),
    ).dataSync()[0]
  );
  assertNear(whole.negativeElbo, expected, "whole");
  assertNear(whole.negativeElbo, whole.reconstruction + whole.kl, "sum");
  // Other chunks and more draws change the noise, not the KL, and the
  // estimate stays close.
  const chunked = evaluateNegativeElbo(vae, set, { batchSize: 4, samples: 3 });
  assertNear(chunked.kl, whole.kl, "kl");
  assert.ok(
    Math.abs(chunked.negativeElbo - whole.negativeElbo) <
      0.05 * whole.negativeElbo,
    `${chunked.negativeElbo} vs ${whole.negativeElbo}`,
  );
  assert.throws(
    () => evaluateNegativeElbo(vae, set, { samples: 0 }),
    /samples must be a whole number >= 1/,
  );
  vae.dispose();
});

Deno.test("the vae's loss phase: one Adam step moves every weight by Adam's first update and lowers the loss by g * step; it leaks nothing", () => {
  const vae = createVae("vae", mulberry32(1));
  assert.deepEqual(
    vae.phases.map(({ name, group }) => [name, group]),
    [["loss", "model"]],
  );
  const [phase] = vae.phases;
  const variables = [...vae.groups.model.values()];
  const batch = {
    images: tf.tensor4d(randomImages(16, 2), [16, 28, 28, 1]),
    labels: tf.zeros([16], "int32") as tf.Tensor1D,
  };
  // The same seed each time, so the loss sees the same noise before and after.
  const context = { seed: () => 42, step: 0 };
  assertFirstAdamStep(phase, batch, context, vae.groups.model);
  const optimizer = tf.train.adam(1e-3);
  const takeStep = () =>
    tf.tidy(() => {
      optimizer.minimize(() => phase.loss(batch, context), false, variables);
    });
  takeStep();
  const tensors = tf.memory().numTensors;
  takeStep();
  assert.equal(tf.memory().numTensors, tensors);
  tf.dispose([batch.images, batch.labels]);
  optimizer.dispose();
  vae.dispose();
});

Deno.test("vaePhases() with binarize draws 0/1 targets: the same loss on binary images; on grey ones, the loss of their draw from the step's seed", () => {
  const vae = createVae("vae-small", mulberry32(4));
  const context = { step: 0, seed: () => 5 };
  const lossOf = (images: tf.Tensor4D, binarize: boolean) =>
    tf.tidy(() =>
      vaePhases(vae, { binarize })[0].loss(
        { images, labels: tf.zeros([2], "int32") },
        context,
      ).dataSync()[0]
    );
  tf.tidy(() => {
    const binary = tf.cast(
      tf.greater(tf.randomUniform([2, 28, 28, 1], 0, 1, "float32", 1), 0.5),
      "float32",
    ) as tf.Tensor4D;
    assert.equal(lossOf(binary, true), lossOf(binary, false));
    const grey = tf.fill([2, 28, 28, 1], 0.5) as tf.Tensor4D;
    // The phase scores the 0/1 images drawn with the step's seed (5 here).
    const drawn = binarizeTensor(grey, 5);
    assert.ok(drawn.dataSync().every((v) => v === 0 || v === 1));
    assert.equal(lossOf(grey, true), lossOf(drawn, false));
    assert.notEqual(lossOf(grey, true), lossOf(grey, false));
  });
  vae.dispose();
});
