import assert from "node:assert/strict";
import { tf } from "../../../backends/tf.ts";
import { initEngine } from "../../../backends/engine.ts";
import { mulberry32 } from "../../../data/random.ts";
import type { ImageSet } from "../../../data/image_set.ts";
import { createAutoencoder } from "../../../models/ae/autoencoder.ts";
import { encodeImageSet } from "../../../models/ae/encode_set.ts";

await initEngine({ threads: 2 });

function randomSet(count: number, seed: number): ImageSet {
  const random = mulberry32(seed);
  return {
    images: Float32Array.from({ length: count * 784 }, () => random() ** 4),
    labels: Uint8Array.from({ length: count }, (_, index) => index % 10),
    shape: [count, 28, 28, 1],
  };
}

Deno.test("encodeImageSet() gives each image's code, in order, over uneven chunks", () => {
  const ae = createAutoencoder({ codeSize: 6, seed: 1 });
  const set = randomSet(7, 2);
  const encoded = encodeImageSet(ae.network, set, 3);
  assert.deepEqual(encoded.shape, [7, 6]);
  assert.equal(encoded.labels, set.labels);
  const whole = tf.tidy(() =>
    ae.encode(tf.tensor4d(set.images, [7, 28, 28, 1])).dataSync()
  );
  for (let index = 0; index < whole.length; index++) {
    assert.ok(Math.abs(encoded.codes[index] - whole[index]) < 1e-5);
  }
  assert.deepEqual(ae.encodeSet(set, 3).codes, encoded.codes);
  ae.dispose();
});

Deno.test("encodeImageSet() rejects a batch size below 1", () => {
  const ae = createAutoencoder("ae");
  assert.throws(
    () => encodeImageSet(ae, randomSet(2, 1), 0),
    /batchSize must be a whole number >= 1/,
  );
  ae.dispose();
});
