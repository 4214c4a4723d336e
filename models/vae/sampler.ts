/**
 * Pictures from a VAE: new images from the prior, reconstructions through
 * the posterior mean, and a walk through latent space between two images.
 * Every function returns pixels in [0, 1] (the sigmoid of the decoder's
 * logits, i.e. each pixel's Bernoulli mean) and should run inside `tf.tidy`.
 *
 * @module
 */
import { tf } from "@genwasm/backend/tf";
import type { VaeDecoder, VaeNetworks } from "./model.ts";

/**
 * New images: z ~ N(0, I) drawn from `seed`, decoded. The same seed gives
 * the same images.
 *
 * @param decoder p(x | z).
 * @param count How many images.
 * @param seed Seed of z.
 * @returns (count, size, size, channels) pixels in [0, 1].
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sampleImages } from "./sampler.ts";
 * import { createVae } from "./vae.ts";
 * import { tf } from "../../backends/tf.ts";
 * const vae = createVae("vae");
 * assert.deepEqual(tf.tidy(() => sampleImages(vae.decoder, 4, 1).shape), [4, 28, 28, 1]);
 * vae.dispose();
 * ```
 */
export function sampleImages(
  decoder: VaeDecoder,
  count: number,
  seed: number,
): tf.Tensor4D {
  if (!Number.isInteger(count) || count < 1) {
    throw new Error(`count must be a whole number >= 1, got ${count}`);
  }
  return tf.tidy(() => {
    const z = tf.randomNormal(
      [count, decoder.latentSize],
      0,
      1,
      "float32",
      seed,
    ) as tf.Tensor2D;
    return tf.sigmoid(decoder.apply(z));
  });
}

/**
 * Reconstructions: each image encoded to its posterior mean (no noise),
 * then decoded.
 *
 * @param networks Encoder and decoder.
 * @param images (batch, size, size, channels) pixels in [0, 1].
 * @returns Same shape, pixels in [0, 1].
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { reconstructImages } from "./sampler.ts";
 * import { createVae } from "./vae.ts";
 * import { tf } from "../../backends/tf.ts";
 * const vae = createVae("vae");
 * assert.deepEqual(tf.tidy(() => reconstructImages(vae, tf.zeros([2, 28, 28, 1])).shape), [2, 28, 28, 1]);
 * vae.dispose();
 * ```
 */
export function reconstructImages(
  networks: VaeNetworks,
  images: tf.Tensor4D,
): tf.Tensor4D {
  return tf.tidy(() =>
    tf.sigmoid(networks.decoder.apply(networks.encoder.apply(images).mean))
  );
}

/**
 * A strip of `steps` images between two: both are encoded to their
 * posterior means z0 and z1, and z = (1 - t) z0 + t z1 is decoded for
 * t = 0, 1 / (steps - 1), ..., 1. The ends are the reconstructions of the
 * two images.
 *
 * @param networks Encoder and decoder.
 * @param first (size, size, channels) the image at t = 0.
 * @param second (size, size, channels) the image at t = 1.
 * @param steps Images in the strip, at least 2.
 * @returns (steps, size, size, channels) pixels in [0, 1].
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { interpolateImages } from "./sampler.ts";
 * import { createVae } from "./vae.ts";
 * import { tf } from "../../backends/tf.ts";
 * const vae = createVae("vae");
 * const strip = tf.tidy(() =>
 *   interpolateImages(vae, tf.zeros([28, 28, 1]), tf.ones([28, 28, 1]), 8)
 * );
 * assert.deepEqual(strip.shape, [8, 28, 28, 1]); // 8 steps from the first image to the second
 * strip.dispose();
 * vae.dispose();
 * ```
 */
export function interpolateImages(
  networks: VaeNetworks,
  first: tf.Tensor3D,
  second: tf.Tensor3D,
  steps: number,
): tf.Tensor4D {
  if (!Number.isInteger(steps) || steps < 2) {
    throw new Error(`steps must be a whole number >= 2, got ${steps}`);
  }
  return tf.tidy(() => {
    const pair = tf.stack([first, second]) as tf.Tensor4D;
    // (2, latentSize) -> z0 and z1, each (1, latentSize).
    const [z0, z1] = tf.split(networks.encoder.apply(pair).mean, 2, 0);
    // (steps, 1) weights t of z1.
    const t = tf.reshape(tf.linspace(0, 1, steps), [steps, 1]);
    const z = tf.add(tf.mul(tf.sub(1, t), z0), tf.mul(t, z1)) as tf.Tensor2D;
    return tf.sigmoid(networks.decoder.apply(z));
  });
}
