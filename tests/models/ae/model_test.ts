import assert from "node:assert/strict";
import { tf } from "../../../backends/tf.ts";
import { initEngine } from "../../../backends/engine.ts";
import { mulberry32 } from "../../../data/random.ts";
import { ConvAutoencoder } from "../../../models/ae/model.ts";

await initEngine({ threads: 2 });

Deno.test("ConvAutoencoder.encode() maps 28 x 28 images to 16-number codes", () => {
  const model = new ConvAutoencoder();
  const shape = tf.tidy(() => model.encode(tf.zeros([5, 28, 28, 1])).shape);
  assert.deepEqual(shape, [5, 16]);
  model.dispose();
});

Deno.test("ConvAutoencoder.reconstruct() gives images of the input shape in (0, 1)", () => {
  const model = new ConvAutoencoder({ seed: 3 });
  const random = mulberry32(1);
  const pixels = Float32Array.from({ length: 4 * 784 }, () => random());
  const values = tf.tidy(() => {
    const output = model.reconstruct(tf.tensor4d(pixels, [4, 28, 28, 1]));
    assert.deepEqual(output.shape, [4, 28, 28, 1]);
    return output.dataSync();
  });
  assert.ok(values.every((value) => value > 0 && value < 1));
  model.dispose();
});

Deno.test("ConvAutoencoder() holds 12 variables and frees them on dispose()", () => {
  const before = tf.memory().numTensors;
  const model = new ConvAutoencoder({ codeSize: 8 });
  const variables = model.variables();
  assert.equal(Object.keys(variables).length, 12);
  assert.deepEqual(variables["toCode/kernel"].shape, [7 * 7 * 32, 8]);
  assert.deepEqual(variables["decoder2/kernel"].shape, [4, 4, 1, 16]);
  model.dispose();
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("ConvAutoencoder() starts from the same weights for the same seed", () => {
  const first = new ConvAutoencoder({ seed: 4 });
  const second = new ConvAutoencoder({ seed: 4 });
  const weights = (model: ConvAutoencoder) =>
    Object.values(model.variables()).map((
      variable,
    ) => [...variable.dataSync()]);
  assert.deepEqual(weights(first), weights(second));
  first.dispose();
  second.dispose();
});

Deno.test("ConvAutoencoder() rejects an image size that is not a multiple of 4", () => {
  assert.throws(() => new ConvAutoencoder({ imageSize: 30 }), /multiple of 4/);
});
