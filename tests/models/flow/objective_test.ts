import assert from "node:assert/strict";
import { tf } from "../../../backends/tf.ts";
import { initEngine } from "../../../backends/engine.ts";
import { mulberry32 } from "../../../data/random.ts";
import type { ImageSet } from "../../../data/image_set.ts";
import { createFlow } from "../../../models/flow/flow.ts";
import {
  bitsPerDimLoss,
  evaluateBitsPerDim,
  flowPhases,
  logDensity,
  logLikelihood,
} from "../../../models/flow/objective.ts";

await initEngine({ threads: 2 });

const ALPHA = 0.05;

/**
 * A flow that is the identity between the logits and the latents until
 * trained: additive couplings (zero last layer), fixed channel reversals,
 * ActNorm not initialised. Its density is known in closed form.
 */
function identityFlow(imageSize = 28) {
  return createFlow({
    preset: "flow-small",
    imageSize,
    coupling: "additive",
    permutation: "reverse",
  });
}

/**
 * log p(y) of one number under the identity flow: logit, then N(0, 1),
 * with the logit's log-derivative.
 */
function closedFormLogDensity(y: number): number {
  const s = ALPHA + (1 - 2 * ALPHA) * y;
  const z = Math.log(s / (1 - s));
  return -0.5 * z * z - 0.5 * Math.log(2 * Math.PI) +
    Math.log(1 - 2 * ALPHA) - Math.log(s) - Math.log(1 - s);
}

Deno.test("logDensity() of an identity-initialised flow is the logit-Gaussian closed form", () => {
  const flow = identityFlow();
  const random = mulberry32(1);
  const y = Float32Array.from({ length: 3 * 784 }, () => random());
  const reported = tf.tidy(() =>
    logDensity(flow, tf.tensor4d(y, [3, 28, 28, 1])).dataSync()
  );
  for (let b = 0; b < 3; b++) {
    let expected = 0;
    for (let i = 0; i < 784; i++) {
      expected += closedFormLogDensity(y[b * 784 + i]);
    }
    assert.ok(
      Math.abs(reported[b] - expected) < 1e-5 * Math.abs(expected),
      `${reported[b]} vs ${expected}`,
    );
  }
  flow.dispose();
});

Deno.test("a standard normal input through the identity network has the Gaussian's bits/dim, 0.5 log2(2 pi e)", () => {
  const flow = identityFlow();
  const [reported, exact] = tf.tidy(() => {
    const x = tf.randomNormal(
      [64, 28, 28, 1],
      0,
      1,
      "float32",
      2,
    ) as tf.Tensor4D;
    const { latents, logDet } = flow.network.forward(x);
    let logP = logDet as tf.Tensor;
    for (const z of latents) {
      logP = tf.add(
        logP,
        tf.sum(
          tf.reshape(
            tf.mul(-0.5, tf.add(tf.square(z), Math.log(2 * Math.PI))),
            [64, -1],
          ),
          1,
        ),
      );
    }
    const direct = tf.sum(
      tf.mul(-0.5, tf.add(tf.square(x), Math.log(2 * Math.PI))),
    );
    return [tf.sum(logP).dataSync()[0], direct.dataSync()[0]];
  });
  assert.ok(Math.abs(reported - exact) < 1e-5 * Math.abs(exact));
  const bits = -reported / (64 * 784 * Math.LN2);
  const gaussian = 0.5 * Math.log2(2 * Math.PI * Math.E); // 2.0471
  assert.ok(Math.abs(bits - gaussian) < 0.02, `${bits} vs ${gaussian}`);
  flow.dispose();
});

Deno.test("evaluateBitsPerDim() of an identity-initialised flow equals the closed form E_u[-log p((k + u) / 256)] + ln 256", () => {
  const flow = identityFlow(8);
  const count = 400, dims = 64;
  const random = mulberry32(3);
  const levels = Uint8Array.from(
    { length: count * dims },
    () => Math.floor(random() * 256),
  );
  const set: ImageSet = {
    images: Float32Array.from(levels, (k) => k / 255),
    labels: new Uint8Array(count),
    shape: [count, 8, 8, 1],
  };
  // E_u over u ~ U(0, 1 - 2^-12) by the midpoint rule, per level.
  const top = 1 - 2 ** -12, points = 200;
  const expectation = Float64Array.from({ length: 256 }, (_, k) => {
    let sum = 0;
    for (let p = 0; p < points; p++) {
      sum += closedFormLogDensity((k + ((p + 0.5) / points) * top) / 256);
    }
    return sum / points;
  });
  /** The closed form over the first `images` images. */
  const closedForm = (images: number) => {
    let nats = 0;
    for (const k of levels.subarray(0, images * dims)) {
      nats += -expectation[k] + Math.log(256);
    }
    return nats / (images * dims * Math.LN2);
  };
  const reported = evaluateBitsPerDim(flow, set, { batchSize: 128 });
  assert.ok(
    Math.abs(reported - closedForm(count)) < 2e-3,
    `${reported} vs ${closedForm(count)}`,
  );
  // The monitor's subset, with another noise seed.
  const subset = evaluateBitsPerDim(flow, set, { count: 100, seed: 9 });
  assert.ok(
    Math.abs(subset - closedForm(100)) < 2e-3,
    `${subset} vs ${closedForm(100)}`,
  );
  flow.dispose();
});

/**
 * The identity flow of 8 x 8 images with every ActNorm set by hand:
 * levels 4x4x4 (64 numbers) and, after the split, 2x2x8 (32 numbers).
 * ActNorm z = (x + b) e^s; all channels share b and s except in the last
 * step, whose channel c gets its own. Couplings stay the identity (their
 * last layer is zero) and the reversals only reorder numbers.
 */
const AFFINE = {
  level1: [{ bias: 0.5, logScale: 0.3 }, { bias: -0.2, logScale: -0.1 }],
  level2Step1: { bias: 0.1, logScale: 0.2 },
  level2Step2: Array.from({ length: 8 }, (_, c) => ({
    bias: c / 8 - 0.5,
    logScale: (c - 4) / 10,
  })),
};

/**
 * log |det| of that network, by hand: each ActNorm adds
 * height x width x sum(logScale) of its level, whatever the input:
 * 16 (4 (0.3 - 0.1)) + 4 (8 (0.2) + (-0.4 - 0.3 - ... + 0.3)) = 12.8 + 4.8.
 */
const AFFINE_LOG_DET = 17.6;

function affineFlow() {
  const flow = identityFlow(8);
  const set = (name: string, values: number[]) =>
    flow.network.variables[name].assign(tf.tensor1d(values));
  tf.tidy(() => {
    AFFINE.level1.forEach(({ bias, logScale }, k) => {
      set(`level1.step${k + 1}.actnorm.bias`, new Array(4).fill(bias));
      set(`level1.step${k + 1}.actnorm.logScale`, new Array(4).fill(logScale));
    });
    const { bias, logScale } = AFFINE.level2Step1;
    set("level2.step1.actnorm.bias", new Array(8).fill(bias));
    set("level2.step1.actnorm.logScale", new Array(8).fill(logScale));
    set("level2.step2.actnorm.bias", AFFINE.level2Step2.map((a) => a.bias));
    set(
      "level2.step2.actnorm.logScale",
      AFFINE.level2Step2.map((a) => a.logScale),
    );
  });
  return flow;
}

/**
 * log p of one image's number y under the affine flow, in its two parts
 * (each number of an image reaches one latent number): the logit's
 * log-derivative plus log N of where y lands among the 32 numbers split off
 * after level 1 (`first`), or among the 4 of level 2's channel c
 * (`second[c]`).
 */
function affineTerms(y: number): { first: number; second: number[] } {
  const s = ALPHA + (1 - 2 * ALPHA) * y;
  const u = Math.log(s / (1 - s));
  const logit = Math.log(1 - 2 * ALPHA) - Math.log(s) - Math.log(1 - s);
  const normal = (z: number) => -0.5 * z * z - 0.5 * Math.log(2 * Math.PI);
  const [a, b] = AFFINE.level1;
  const v = ((u + a.bias) * Math.exp(a.logScale) + b.bias) *
    Math.exp(b.logScale);
  const { bias, logScale } = AFFINE.level2Step1;
  const second = AFFINE.level2Step2.map((c) =>
    logit +
    normal(((v + bias) * Math.exp(logScale) + c.bias) * Math.exp(c.logScale))
  );
  return { first: logit + normal(v), second };
}

/** log p of an 8 x 8 image whose numbers all equal y. */
function affineLogDensity(y: number): number {
  const { first, second } = affineTerms(y);
  return 32 * first + 4 * second.reduce((sum, t) => sum + t, 0) +
    AFFINE_LOG_DET;
}

Deno.test("a flow set to a known affine map reports its hand-derived log-determinant and density", () => {
  const flow = affineFlow();
  const [logDet, density] = tf.tidy(() => {
    const x = tf.randomNormal([2, 8, 8, 1], 0, 1, "float32", 4) as tf.Tensor4D;
    return [
      flow.network.forward(x).logDet.dataSync(),
      // Three images, each of one value throughout.
      logDensity(
        flow,
        tf.tensor4d(
          [0.2, 0.5, 0.9].flatMap((y) => new Array(64).fill(y)),
          [3, 8, 8, 1],
        ),
      ).dataSync(),
    ];
  });
  for (const value of logDet) {
    assert.ok(Math.abs(value - AFFINE_LOG_DET) < 1e-4, `log |det| ${value}`);
  }
  [0.2, 0.5, 0.9].forEach((y, b) => {
    const expected = affineLogDensity(y);
    assert.ok(
      Math.abs(density[b] - expected) < 1e-5 * Math.abs(expected),
      `y ${y}: ${density[b]} vs ${expected}`,
    );
  });
  flow.dispose();
});

Deno.test("evaluateBitsPerDim() of a flow set to a known affine map equals its closed form E_u[-log p((k + u) / 256)] + ln 256", () => {
  const flow = affineFlow();
  const count = 400, dims = 64;
  const random = mulberry32(11);
  // One level k per image: its 64 numbers are then alike, whichever latent
  // number each reaches, and an image's log p is a sum of independent terms.
  const levels = Array.from(
    { length: count },
    () => Math.floor(random() * 256),
  );
  const set: ImageSet = {
    images: Float32Array.from(
      levels.flatMap((k) => new Array(dims).fill(k / 255)),
    ),
    labels: new Uint8Array(count),
    shape: [count, 8, 8, 1],
  };
  // Mean and variance over u ~ U(0, 1 - 2^-12) of each term, per level, by
  // the midpoint rule; an image's log p has mean and variance
  // 32 (first) + 4 sum_c (second c) + log |det|.
  const top = 1 - 2 ** -12, points = 200;
  const moments = Array.from({ length: 256 }, (_, k) => {
    const terms = Array.from(
      { length: points },
      (_, p) => affineTerms((k + ((p + 0.5) / points) * top) / 256),
    );
    const meanOf = (f: (t: typeof terms[0]) => number) =>
      terms.reduce((sum, t) => sum + f(t), 0) / points;
    const varianceOf = (f: (t: typeof terms[0]) => number) =>
      meanOf((t) => f(t) ** 2) - meanOf(f) ** 2;
    let mean = 32 * meanOf((t) => t.first) + AFFINE_LOG_DET;
    let variance = 32 * varianceOf((t) => t.first);
    for (let c = 0; c < 8; c++) {
      mean += 4 * meanOf((t) => t.second[c]);
      variance += 4 * varianceOf((t) => t.second[c]);
    }
    return { mean, variance };
  });
  const perImage = Math.log(256) * dims;
  let nats = 0, variance = 0;
  for (const k of levels) {
    nats += -moments[k].mean + perImage;
    variance += moments[k].variance;
  }
  const expected = nats / (count * dims * Math.LN2);
  // One noise draw per number: the standard error of the reported mean
  // (2.4e-4 here). The bound is 4 of them, plus 1e-4 for the midpoint rule
  // and float32.
  const error = Math.sqrt(variance) / (count * dims * Math.LN2);
  const reported = evaluateBitsPerDim(flow, set, { batchSize: 128 });
  assert.ok(
    Math.abs(reported - expected) < 4 * error + 1e-4,
    `${reported} vs ${expected} (standard error ${error})`,
  );
  flow.dispose();
});

Deno.test("bitsPerDimLoss() is -mean logLikelihood / (D ln 2), and flowPhases() trains it", () => {
  const flow = createFlow(
    { preset: "flow-small", imageSize: 8 },
    mulberry32(4),
  );
  const random = mulberry32(5);
  const images = tf.tensor4d(
    Float32Array.from(
      { length: 8 * 64 },
      () => Math.round(255 * random() ** 3) / 255,
    ),
    [8, 8, 8, 1],
  );
  const [loss, likelihood] = tf.tidy(() => [
    bitsPerDimLoss(flow, images, 6).dataSync()[0],
    tf.mean(logLikelihood(flow, images, 6)).dataSync()[0],
  ]);
  assert.ok(Math.abs(loss + likelihood / (64 * Math.LN2)) < 1e-5);
  const phases = flowPhases(flow);
  assert.deepEqual(phases.map((p) => [p.name, p.group]), [["loss", "model"]]);
  const batch = { images, labels: tf.zeros([8], "int32") as tf.Tensor1D };
  const context = { seed: () => 6, step: 0 };
  tf.tidy(() => flow.initialize(batch, context));
  const optimizer = tf.train.adam(1e-3);
  const variables = [...flow.groups.model.values()];
  const losses = [];
  for (let step = 0; step < 8; step++) {
    losses.push(
      tf.tidy(() =>
        optimizer.minimize(
          () => phases[0].loss(batch, context),
          true,
          variables,
        )!
          .dataSync()[0]
      ),
    );
  }
  assert.ok(
    losses[7] < losses[0] - 0.05,
    `losses ${losses.map((l) => l.toFixed(3))}`,
  );
  optimizer.dispose();
  tf.dispose([images, batch.labels]);
  flow.dispose();
});
