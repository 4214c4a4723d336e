/**
 * What the VAE learns: the negative evidence lower bound (ELBO, Kingma &
 * Welling 2014),
 *
 *   -ELBO(x) = E_{z ~ q(z|x)} [-log p(x | z)] + KL(q(z | x) || p(z)),
 *
 * with a Bernoulli decoder p(x | z), a diagonal Gaussian encoder
 * q(z | x) = N(mean, exp(logVariance)) and the prior p(z) = N(0, I). The
 * expectation is estimated with one reparameterised draw
 * z = mean + exp(logVariance / 2) * epsilon, epsilon ~ N(0, I), so gradients
 * flow through mean and logVariance. Everything is in nats per image.
 *
 * Notation: x images (pixels in [0, 1]), z latents, epsilon standard normal
 * noise, sigma^2 = exp(logVariance).
 *
 * @module
 */
import { tf } from "@genwasm/backend/tf";
import { binarizeTensor } from "@genwasm/data/binarize";
import type { ImageSet } from "@genwasm/data/image_set";
import { Mulberry32 } from "@genwasm/data/random";
import type { TrainingPhase } from "../contract.ts";
import type { VaeNetworks } from "./model.ts";

/**
 * KL(N(mean, sigma^2) || N(0, I)) per example, in closed form:
 * 0.5 * sum_j (sigma_j^2 + mean_j^2 - 1 - log sigma_j^2).
 *
 * @param mean (batch, latentSize)
 * @param logVariance (batch, latentSize), log sigma^2
 * @returns (batch) KL in nats, summed over the latent dimensions.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { klToStandardNormal } from "./objective.ts";
 * import { tf } from "../../backends/tf.ts";
 * const kl = tf.tidy(() => klToStandardNormal(tf.zeros([1, 4]), tf.zeros([1, 4])));
 * assert.deepEqual(kl.arraySync(), [0]); // N(0, 1) is the prior itself
 * kl.dispose();
 * ```
 */
export function klToStandardNormal(
  mean: tf.Tensor2D,
  logVariance: tf.Tensor2D,
): tf.Tensor1D {
  return tf.tidy(() => {
    const terms = tf.sub(
      tf.sub(tf.add(tf.exp(logVariance), tf.square(mean)), 1),
      logVariance,
    );
    return tf.mul(0.5, tf.sum(terms, 1));
  });
}

/**
 * -log p(x | z) of a Bernoulli decoder per example: sigmoid cross-entropy
 * of each pixel against its logit, in the stable form
 * max(l, 0) - l x + log(1 + exp(-|l|)), summed over pixels.
 *
 * Pixels between 0 and 1 are taken as soft targets (MNIST is grey, not
 * binarised), so the value includes each pixel's own entropy and is not a
 * normalised log-likelihood; it is exact for pixels in {0, 1}.
 *
 * @param logits (batch, height, width, channels) decoder outputs.
 * @param images Same shape, pixels in [0, 1].
 * @returns (batch) negative log-likelihood in nats.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { bernoulliNll } from "./objective.ts";
 * import { tf } from "../../backends/tf.ts";
 * // Logit 0 is probability 1/2: log 2 per pixel, whatever the pixel.
 * const nll = tf.tidy(() => bernoulliNll(tf.zeros([1, 2, 2, 1]), tf.ones([1, 2, 2, 1])));
 * assert.ok(Math.abs(nll.dataSync()[0] - 4 * Math.LN2) < 1e-5); // 2.7726
 * nll.dispose();
 * ```
 */
export function bernoulliNll(
  logits: tf.Tensor4D,
  images: tf.Tensor4D,
): tf.Tensor1D {
  return tf.tidy(() => {
    const perPixel = tf.add(
      tf.sub(tf.relu(logits), tf.mul(logits, images)),
      tf.log1p(tf.exp(tf.neg(tf.abs(logits)))),
    );
    return tf.sum(tf.reshape(perPixel, [logits.shape[0], -1]), 1);
  });
}

/**
 * The reparameterisation trick: z = mean + sigma * epsilon with
 * epsilon ~ N(0, I) drawn from `seed`, differentiable in mean and
 * logVariance.
 *
 * @param mean (batch, latentSize)
 * @param logVariance (batch, latentSize)
 * @param seed Seed of epsilon; the same seed gives the same z.
 * @returns (batch, latentSize) latents.
 *
 * @example
 * ```ts
 * import { reparameterize } from "./objective.ts";
 * import { tf } from "../../backends/tf.ts";
 * tf.tidy(() => reparameterize(tf.zeros([2, 3]), tf.zeros([2, 3]), 7).print()); // N(0, 1) draws
 * ```
 */
export function reparameterize(
  mean: tf.Tensor2D,
  logVariance: tf.Tensor2D,
  seed: number,
): tf.Tensor2D {
  return tf.tidy(() => {
    const epsilon = tf.randomNormal(mean.shape, 0, 1, "float32", seed);
    return tf.add(mean, tf.mul(tf.exp(tf.mul(logVariance, 0.5)), epsilon));
  });
}

/** The two terms of the negative ELBO, each (batch), in nats. */
export interface ElboTerms {
  /** -log p(x | z) at one draw z ~ q(z | x). */
  reconstruction: tf.Tensor1D;
  /** KL(q(z | x) || p(z)). */
  kl: tf.Tensor1D;
}

/**
 * Both terms of the negative ELBO per example, with one draw of z.
 *
 * @param networks Encoder and decoder.
 * @param images (batch, size, size, channels) pixels in [0, 1].
 * @param seed Seed of the draw of z.
 * @returns Reconstruction and KL terms, each (batch).
 *
 * @example
 * ```ts
 * import { elboTerms } from "./objective.ts";
 * import { createVae } from "./vae.ts";
 * import { tf } from "../../backends/tf.ts";
 * const vae = createVae("vae-small");
 * tf.tidy(() => elboTerms(vae, tf.zeros([2, 28, 28, 1]), 1).kl.print()); // one KL an image
 * vae.dispose();
 * ```
 */
export function elboTerms(
  networks: VaeNetworks,
  images: tf.Tensor4D,
  seed: number,
): ElboTerms {
  return tf.tidy(() => {
    // 1. q(z | x) from the encoder.
    const { mean, logVariance } = networks.encoder.apply(images);
    // 2. One reparameterised draw z ~ q(z | x).
    const z = reparameterize(mean, logVariance, seed);
    // 3. -log p(x | z) from the decoder's logits, and the analytic KL.
    const logits = networks.decoder.apply(z);
    return {
      reconstruction: bernoulliNll(logits, images),
      kl: klToStandardNormal(mean, logVariance),
    };
  });
}

/**
 * The training loss: the negative ELBO, -E_q[log p(x | z)] + KL, averaged
 * over the batch (one draw of z per image).
 *
 * @param networks Encoder and decoder.
 * @param images (batch, size, size, channels) pixels in [0, 1].
 * @param seed Seed of the draw of z.
 * @returns Mean negative ELBO in nats per image.
 *
 * @example
 * ```ts
 * import { negativeElbo } from "./objective.ts";
 * import { createVae } from "./vae.ts";
 * import { tf } from "../../backends/tf.ts";
 * const vae = createVae("vae-small");
 * tf.tidy(() => negativeElbo(vae, tf.zeros([2, 28, 28, 1]), 1).print()); // the batch mean, nats
 * vae.dispose();
 * ```
 */
export function negativeElbo(
  networks: VaeNetworks,
  images: tf.Tensor4D,
  seed: number,
): tf.Scalar {
  return tf.tidy(() => {
    const { reconstruction, kl } = elboTerms(networks, images, seed);
    return tf.mean(tf.add(reconstruction, kl));
  });
}

/**
 * The VAE's one training phase, "loss" on group "model": the batch's mean
 * negative ELBO, with z drawn from the step's next seed.
 *
 * @param networks Encoder and decoder.
 * @returns The phases of one training step.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { vaePhases } from "./objective.ts";
 * import { createVae } from "./vae.ts";
 * const vae = createVae("vae-small");
 * assert.deepEqual(vaePhases(vae).map((phase) => phase.name), ["loss"]);
 * vae.dispose();
 * ```
 */
export function vaePhases(
  networks: VaeNetworks,
  { binarize = false } = {},
): TrainingPhase[] {
  return [{
    name: "loss",
    group: "model",
    loss: (batch, context) =>
      negativeElbo(
        networks,
        binarize ? binarizeTensor(batch.images, context.seed()) : batch.images,
        context.seed(),
      ),
  }];
}

/** Options of {@link evaluateNegativeElbo}. */
export interface EvaluateOptions {
  /** Draws of z per image, averaged; default 1. */
  samples?: number;
  /** Images per forward pass; default 500. */
  batchSize?: number;
  /** Seed of the draws; default 0, so repeated evaluations agree. */
  seed?: number;
}

/** Means over an image set, in nats per image. */
export interface ElboReport {
  /** Reconstruction + KL: an upper bound on -log p(x). */
  negativeElbo: number;
  reconstruction: number;
  kl: number;
}

/**
 * The negative ELBO over a whole image set (e.g. the test split), in
 * chunks so that memory stays bounded; no weights change.
 *
 * Each image's ELBO is estimated from `samples` independent draws of z
 * (default one, the single-sample estimate used in training), averaged.
 * More draws lower the estimate's variance, not its expectation: this is
 * the ELBO, a bound, not an importance-weighted estimate of log p(x).
 *
 * @param networks Encoder and decoder.
 * @param set Images with pixels in [0, 1].
 * @param options Draws per image, chunk size and seed.
 * @returns Mean negative ELBO and its two terms, nats per image.
 *
 * @example
 * ```ts
 * import { evaluateNegativeElbo } from "./objective.ts";
 * import { createVae } from "./vae.ts";
 * import { loadMnist } from "../../data/mnist.ts";
 * const { test } = await loadMnist(); // evaluateNegativeElbo(vae, test): the whole split
 * const first100 = { ...test, images: test.images.subarray(0, 100 * 784), shape: [100, 28, 28, 1] as [number, number, number, number] };
 * const vae = createVae("vae");
 * console.log(evaluateNegativeElbo(vae, first100).negativeElbo); // about 530 before training
 * vae.dispose();
 * vae.dispose();
 * ```
 */
export function evaluateNegativeElbo(
  networks: VaeNetworks,
  set: ImageSet,
  { samples = 1, batchSize = 500, seed = 0 }: EvaluateOptions = {},
): ElboReport {
  if (!Number.isInteger(samples) || samples < 1) {
    throw new Error(`samples must be a whole number >= 1, got ${samples}`);
  }
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new Error(`batchSize must be a whole number >= 1, got ${batchSize}`);
  }
  const [count, height, width, channels] = set.shape;
  if (count < 1) {
    throw new Error("evaluateNegativeElbo: the image set is empty");
  }
  const imageLength = height * width * channels;
  const seeds = new Mulberry32(seed);
  let reconstruction = 0;
  let kl = 0;
  for (let start = 0; start < count; start += batchSize) {
    const size = Math.min(batchSize, count - start);
    const pixels = set.images.subarray(
      start * imageLength,
      (start + size) * imageLength,
    );
    for (let draw = 0; draw < samples; draw++) {
      const [chunkReconstruction, chunkKl] = tf.tidy(() => {
        const images = tf.tensor4d(pixels, [size, height, width, channels]);
        const terms = elboTerms(networks, images, seeds.nextSeed());
        return [
          tf.sum(terms.reconstruction).dataSync()[0],
          tf.sum(terms.kl).dataSync()[0],
        ];
      });
      reconstruction += chunkReconstruction;
      kl += chunkKl;
    }
  }
  reconstruction /= count * samples;
  kl /= count * samples;
  return { negativeElbo: reconstruction + kl, reconstruction, kl };
}
