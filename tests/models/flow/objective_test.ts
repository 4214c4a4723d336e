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
