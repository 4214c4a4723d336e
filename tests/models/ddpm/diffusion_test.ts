import assert from "node:assert/strict";
import { tf } from "../../../backends/tf.ts";
import { initEngine } from "../../../backends/engine.ts";
import { mulberry32 } from "../../../data/random.ts";
import { createDdpm } from "../../../models/ddpm/diffusion.ts";
import { epsilonFromPrediction } from "../../../models/ddpm/process.ts";
import { assertClose } from "../../_helpers.ts";
import { canonicalUnetParameters } from "./_unet_parameters.ts";

await initEngine({ threads: 2 });

/** A small, fast configuration: 8x8 images, 8/16 channels, T = 6. */
const SMALL = {
  imageSize: 8,
  baseWidth: 8,
  channelMultipliers: [1, 2],
  normGroups: 4,
  timesteps: 6,
};

const read = (tensor: tf.Tensor) => {
  const values = [...tensor.dataSync()];
  tensor.dispose();
  return values;
};

Deno.test("createDdpm() builds the canonical model with its recipe and 694561 parameters", () => {
  const ddpm = createDdpm("ddpm");
  assert.equal(ddpm.parameterCount(), canonicalUnetParameters());
  assert.equal(ddpm.pixelRange, "symmetric");
  assert.ok(!("learningRate" in ddpm.config), "a training option");
  assert.deepEqual(ddpm.phases.map((phase) => [phase.name, phase.group]), [[
    "loss",
    "model",
  ]]);
  assert.equal(ddpm.schedule.timesteps, 1000);
  assert.equal(ddpm.schedule.betas[999], 0.02);
  ddpm.dispose();
  assert.throws(
    () => createDdpm({ preset: "ddpm", depth: 3 } as never),
    /unknown ddpm config key "depth"/,
  );
});

Deno.test("Ddpm.sample() gives pixels in [0, 1], the same for the same seed, and leaks nothing", () => {
  const ddpm = createDdpm(SMALL, mulberry32(1));
  const before = tf.memory().numTensors;
  const first = read(ddpm.sample({ count: 3, seed: 5, steps: 4 }));
  assert.equal(first.length, 3 * 64);
  assert.ok(first.every((v) => v >= 0 && v <= 1));
  assert.deepEqual(read(ddpm.sample({ count: 3, seed: 5, steps: 4 })), first);
  // Another seed, other noise: no value to expect.
  assert.notDeepEqual(
    read(ddpm.sample({ count: 3, seed: 6, steps: 4 })),
    first,
  );
  // Ancestral sampling on the full grid.
  const ancestral = ddpm.sample({
    count: 2,
    seed: 1,
    sampler: "ddpm",
    variance: "beta",
  });
  assert.deepEqual(ancestral.shape, [2, 8, 8, 1]);
  ancestral.dispose();
  // The trainer's grid: DDIM with at most T steps.
  assert.equal(read(ddpm.generate(4, 0)).length, 4 * 64);
  assert.equal(tf.memory().numTensors, before, "sampling leaks no tensors");
  ddpm.dispose();
});

Deno.test("Ddpm.chain() ends each row with the sample the same seed draws", () => {
  const ddpm = createDdpm(SMALL, mulberry32(2));
  const chain = ddpm.chain({ count: 2, seed: 3, steps: 6, columns: 4 });
  assert.deepEqual(chain.shape, [8, 8, 8, 1]);
  const sample = ddpm.sample({ count: 2, seed: 3, steps: 6 });
  tf.tidy(() => {
    // Rows of 4 pictures: the last of row r is sample r.
    const last = tf.gather(chain, [3, 7]);
    assertClose(last.dataSync(), sample.dataSync(), 1e-6, "chain end");
    // The first picture is the starting noise, far from the result.
    const first = tf.gather(chain, [0, 4]);
    assert.ok(tf.max(tf.abs(tf.sub(first, sample))).dataSync()[0] > 0.1);
  });
  tf.dispose([chain, sample]);
  ddpm.dispose();
});

Deno.test("Ddpm.predictEpsilon() converts x0 and v outputs to the noise", () => {
  for (const prediction of ["x0", "v"] as const) {
    const ddpm = createDdpm({ ...SMALL, prediction }, mulberry32(3));
    tf.tidy(() => {
      const x = tf.randomNormal(
        [2, 8, 8, 1],
        0,
        1,
        "float32",
        4,
      ) as tf.Tensor4D;
      const t = tf.tensor1d([1, 5], "int32");
      const expected = epsilonFromPrediction(
        prediction,
        ddpm.schedule,
        ddpm.unet.apply(x, t),
        x,
        t,
      );
      assertClose(
        ddpm.predictEpsilon(x, t).dataSync(),
        expected.dataSync(),
        1e-6,
        prediction,
      );
      // One number for the batch means that step for every image.
      const atOne = ddpm.predictEpsilon(x, 4);
      const atMany = ddpm.predictEpsilon(x, tf.tensor1d([4, 4], "int32"));
      assertClose(
        atOne.dataSync(),
        atMany.dataSync(),
        1e-6,
        `${prediction} at t=4`,
      );
    });
    ddpm.dispose();
  }
});

Deno.test("Ddpm.sample() guides conditional models and refuses labels it cannot use", () => {
  const conditional = createDdpm(
    { ...SMALL, conditional: true, classes: 3 },
    mulberry32(4),
  );
  const options = { count: 3, seed: 1, steps: 3 };
  const guided = read(
    conditional.sample({ ...options, labels: [0, 1, 2], guidance: 2 }),
  );
  const unguided = read(
    conditional.sample({ ...options, labels: [0, 1, 2], guidance: 0 }),
  );
  const unconditional = read(conditional.sample(options));
  // Scale 0 is the unconditional model, whatever the labels.
  assertClose(unguided, unconditional, 1e-5, "guidance 0");
  // Guidance moves the draw (the guided prediction is checked exactly in
  // guidance_test.ts).
  assert.notDeepEqual(guided, unconditional);
  assert.throws(
    () => conditional.sample({ ...options, labels: [0, 1] }),
    /2 labels for 3 images/,
  );
  assert.throws(
    () => conditional.sample({ ...options, labels: [0, 1, 3] }),
    /class 3 is not in 0..2/,
  );
  assert.throws(
    () => conditional.sample({ ...options, guidance: 2 }),
    /guidance needs class labels/,
  );
  assert.throws(
    () => conditional.sample({ ...options, sampler: "ddpm", eta: 0.5 }),
    /eta applies to the ddim sampler/,
  );
  conditional.dispose();
  const plain = createDdpm(SMALL, mulberry32(4));
  assert.throws(
    () => plain.sample({ ...options, labels: [0, 1, 2] }),
    /need a class-conditional model/,
  );
  plain.dispose();
});
