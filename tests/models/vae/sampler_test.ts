import assert from "node:assert/strict";
import { tf } from "../../../backends/tf.ts";
import { initEngine } from "../../../backends/engine.ts";
import { mulberry32 } from "../../../data/random.ts";
import {
  interpolateImages,
  reconstructImages,
  sampleImages,
} from "../../../models/vae/sampler.ts";
import { createVae } from "../../../models/vae/vae.ts";

await initEngine({ threads: 2 });

/** `count` 28 x 28 images of random blobs in [0, 1]. */
function randomImages(count: number, seed: number): Float32Array {
  const random = mulberry32(seed);
  return Float32Array.from({ length: count * 784 }, () => random() ** 4);
}

Deno.test("sampleImages() gives the same images for the same seed, others for another", () => {
  const vae = createVae("vae", mulberry32(1));
  const draw = (seed: number) =>
    tf.tidy(() => {
      const images = sampleImages(vae.decoder, 3, seed);
      assert.deepEqual(images.shape, [3, 28, 28, 1]);
      return [...images.dataSync()];
    });
  const first = draw(7);
  assert.deepEqual(draw(7), first);
  // Another seed, other noise: no value to expect.
  assert.notDeepEqual(draw(8), first);
  assert.ok(first.every((pixel) => pixel > 0 && pixel < 1));
  vae.dispose();
});

Deno.test("sampleImages() rejects a count that is not a whole number >= 1", () => {
  const vae = createVae("vae-small");
  assert.throws(() => sampleImages(vae.decoder, 0, 1), /count must be/);
  vae.dispose();
});

Deno.test("reconstructImages() decodes the posterior mean, with no noise", () => {
  const vae = createVae("vae", mulberry32(2));
  const [reconstruction, expected] = tf.tidy(() => {
    const images = tf.tensor4d(randomImages(2, 1), [2, 28, 28, 1]);
    return [
      reconstructImages(vae, images).dataSync(),
      tf.sigmoid(vae.decode(vae.encode(images).mean)).dataSync(),
    ];
  });
  assert.deepEqual(reconstruction, expected);
  vae.dispose();
});

Deno.test("interpolateImages() runs from one reconstruction to the other, linear in z", () => {
  const vae = createVae("vae", mulberry32(3));
  tf.tidy(() => {
    const images = tf.tensor4d(randomImages(2, 4), [2, 28, 28, 1]);
    const [first, second] = tf.unstack(images) as tf.Tensor3D[];
    const strip = interpolateImages(vae, first, second, 5);
    assert.deepEqual(strip.shape, [5, 28, 28, 1]);
    const ends = reconstructImages(vae, images).arraySync();
    const rows = strip.arraySync();
    assert.ok(maxDifference(rows[0], ends[0]) < 1e-5);
    assert.ok(maxDifference(rows[4], ends[1]) < 1e-5);
    // The middle image decodes the midpoint of the two posterior means.
    const { mean } = vae.encode(images);
    const midpoint = tf.mean(mean, 0, true) as tf.Tensor2D;
    const middle = tf.sigmoid(vae.decode(midpoint)).arraySync()[0];
    assert.ok(maxDifference(rows[2], middle) < 1e-5);
  });
  vae.dispose();
});

Deno.test("interpolateImages() needs at least 2 steps", () => {
  const vae = createVae("vae-small");
  tf.tidy(() => {
    const image = tf.zeros([28, 28, 1]) as tf.Tensor3D;
    assert.throws(
      () => interpolateImages(vae, image, image, 1),
      /steps must be a whole number >= 2, got 1/,
    );
  });
  vae.dispose();
});

function maxDifference(a: number[][][], b: number[][][]): number {
  const flatA = a.flat(2);
  const flatB = b.flat(2);
  return Math.max(
    ...flatA.map((value, index) => Math.abs(value - flatB[index])),
  );
}
