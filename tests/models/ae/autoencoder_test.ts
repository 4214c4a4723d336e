import assert from "node:assert/strict";
import { tf } from "../../../backends/tf.ts";
import { initEngine } from "../../../backends/engine.ts";
import { mulberry32 } from "../../../data/random.ts";
import type { TrainableModel } from "../../../models/contract.ts";
import { createAutoencoder } from "../../../models/ae/autoencoder.ts";
import { ConvAutoencoder } from "../../../models/ae/model.ts";
import { reconstructionLoss } from "../../../models/ae/objective.ts";
import { assertFirstAdamStep } from "../_first_adam_step.ts";

await initEngine({ threads: 2 });

/** `count` images of random blobs in [0, 1]. */
function randomImages(count: number, seed: number): Float32Array {
  const random = mulberry32(seed);
  return Float32Array.from({ length: count * 784 }, () => random() ** 4);
}

Deno.test("createAutoencoder('ae') is a TrainableModel over the network's variables", () => {
  const ae: TrainableModel = createAutoencoder("ae");
  assert.equal(ae.preset, "ae");
  assert.equal(ae.pixelRange, "unit");
  assert.deepEqual(Object.keys(ae.groups), ["model"]);
  assert.deepEqual([...ae.groups.model.keys()], [
    "encoder1.kernel",
    "encoder1.bias",
    "encoder2.kernel",
    "encoder2.bias",
    "toCode.kernel",
    "toCode.bias",
    "fromCode.kernel",
    "fromCode.bias",
    "decoder1.kernel",
    "decoder1.bias",
    "decoder2.kernel",
    "decoder2.bias",
  ]);
  assert.deepEqual(ae.phases.map(({ name, group }) => [name, group]), [[
    "loss",
    "model",
  ]]);
  assert.equal(ae.generate, undefined);
  assert.deepEqual(JSON.parse(JSON.stringify(ae.config)), ae.config);
  ae.dispose();
});

Deno.test("createAutoencoder() starts from the same weights as ConvAutoencoder with its seed", () => {
  const ae = createAutoencoder({ seed: 3, codeSize: 8 });
  const network = new ConvAutoencoder({ seed: 3, codeSize: 8 });
  assert.deepEqual(
    [...ae.groups.model.values()].map((variable) => [...variable.dataSync()]),
    Object.values(network.variables()).map((variable) => [
      ...variable.dataSync(),
    ]),
  );
  ae.dispose();
  network.dispose();
});

Deno.test("the ae's loss phase is the configured reconstruction loss", () => {
  for (const loss of ["bce", "mse"] as const) {
    const ae = createAutoencoder({ loss, seed: 2 });
    const [fromPhase, direct] = tf.tidy(() => {
      const images = tf.tensor4d(randomImages(2, 1), [2, 28, 28, 1]);
      const batch = { images, labels: tf.zeros([2], "int32") as tf.Tensor1D };
      const context = { seed: () => 0, step: 0 };
      return [
        ae.phases[0].loss(batch, context).dataSync()[0],
        reconstructionLoss(ae.network, images, loss).dataSync()[0],
      ];
    });
    assert.equal(fromPhase, direct, loss);
    ae.dispose();
  }
});

Deno.test("the ae's mse loss phase: one Adam step moves every weight by Adam's first update and lowers the loss by g * step", () => {
  const ae = createAutoencoder({ loss: "mse", seed: 1 });
  const images = tf.tensor4d(randomImages(16, 2), [16, 28, 28, 1]);
  const batch = { images, labels: tf.zeros([16], "int32") as tf.Tensor1D };
  const context = { seed: () => 0, step: 0 };
  assertFirstAdamStep(ae.phases[0], batch, context, ae.groups.model);
  tf.dispose([images, batch.labels]);
  ae.dispose();
});

Deno.test("Autoencoder.encode(), decode() and reconstruct() keep the network's shapes", () => {
  const ae = createAutoencoder({ codeSize: 5 });
  tf.tidy(() => {
    const codes = ae.encode(tf.zeros([3, 28, 28, 1]));
    assert.deepEqual(codes.shape, [3, 5]);
    assert.deepEqual(ae.decode(codes).shape, [3, 28, 28, 1]);
    assert.deepEqual(ae.reconstruct(tf.zeros([3, 28, 28, 1])).shape, [
      3,
      28,
      28,
      1,
    ]);
  });
  ae.dispose();
});

Deno.test("createAutoencoder() names an unknown preset or key", () => {
  assert.throws(() => createAutoencoder("vae"), /unknown ae preset "vae"/);
  assert.throws(
    () => createAutoencoder({ code: 3 } as never),
    /unknown ae config key "code"/,
  );
});

Deno.test("Autoencoder.dispose() frees every variable", () => {
  const before = tf.memory().numTensors;
  const ae = createAutoencoder("ae");
  ae.dispose();
  assert.equal(tf.memory().numTensors, before);
});
