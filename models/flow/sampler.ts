/**
 * Pictures from an image flow: new images from the prior at a temperature,
 * and reconstructions that show the map is invertible. Every function
 * returns pixels in [0, 1] and should run inside `tf.tidy`.
 *
 * @module
 */
import { tf } from "@genwasm/backend/tf";
import { Mulberry32 } from "@genwasm/data/random";
import { standardNormalSample } from "./gaussian.ts";
import { array4Of, maxAbsDifference } from "./float64.ts";
import type { FlowNetworks } from "./objective.ts";

/**
 * Continuous values y in [0, 1] from latents: the network's inverse, then
 * the logit's, clipped (the logit's inverse may overshoot by up to
 * alpha / (1 - 2 alpha)).
 *
 * @throws SingularConvolutionError if a 1x1 convolution cannot be inverted.
 */
export function decodeLatents(
  networks: FlowNetworks,
  latents: tf.Tensor4D[],
): tf.Tensor4D {
  return tf.tidy(() =>
    tf.clipByValue(
      networks.logit.inverse(networks.network.inverse(latents)),
      0,
      1,
    )
  );
}

/**
 * New images: every latent drawn from N(0, temperature^2 I), decoded. The
 * same seed gives the same images.
 *
 * @param count How many images.
 * @param seed Seed of the latents.
 * @param temperature Scale of the prior's noise; default 1.
 * @returns (count, size, size, channels) pixels in [0, 1].
 * @throws SingularConvolutionError naming a singular 1x1 convolution.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sampleImages } from "./sampler.ts";
 * import { createFlow } from "./flow.ts";
 * import { tf } from "../../backends/tf.ts";
 * const flow = createFlow("flow-small");
 * assert.deepEqual(tf.tidy(() => sampleImages(flow, 4, 1, 0.7).shape), [4, 28, 28, 1]); // temperature 0.7
 * flow.dispose();
 * ```
 */
export function sampleImages(
  networks: FlowNetworks,
  count: number,
  seed: number,
  temperature = 1,
): tf.Tensor4D {
  if (!Number.isInteger(count) || count < 1) {
    throw new Error(`count must be a whole number >= 1, got ${count}`);
  }
  return tf.tidy(() => {
    const seeds = new Mulberry32(seed);
    const latents = networks.network.latentShapes().map((shape) =>
      standardNormalSample(
        [count, ...shape],
        temperature,
        seeds.nextSeed(),
      ) as tf.Tensor4D
    );
    return decodeLatents(networks, latents);
  });
}

/**
 * Reconstructions: images dequantised (noise from `seed`), mapped to
 * latents and back, and quantised; equal to the input images up to
 * float32 rounding, pixel level for pixel level.
 *
 * @param images (batch, size, size, channels) pixels in [0, 1].
 * @returns Same shape, pixels in [0, 1].
 */
export function reconstructImages(
  networks: FlowNetworks,
  images: tf.Tensor4D,
  seed: number,
): tf.Tensor4D {
  return tf.tidy(() => {
    const { z: y } = networks.dequantization.forward(images, seed);
    const { latents } = networks.network.forward(networks.logit.forward(y).z);
    return networks.dequantization.inverse(decodeLatents(networks, latents));
  });
}

/** Largest round-trip errors of {@link roundTripErrors}, per arithmetic. */
export interface RoundTripErrors {
  /** Through the tfjs (float32) forward and inverse. */
  float32: number;
  /** Through the float64 twins of the same layers (`float64.ts`). */
  float64: number;
}

/**
 * How far dequantised images y in [0, 1] come back after the logit and the
 * network, forward then inverse (no clipping, no quantisation): the largest
 * |y - f^-1(f(y))| over all pixels, in float32 and in float64.
 *
 * @param images (batch, size, size, channels) pixels in [0, 1].
 * @param seed Seed of the dequantisation noise.
 * @throws SingularConvolutionError if a 1x1 convolution cannot be inverted.
 */
export function roundTripErrors(
  networks: FlowNetworks,
  images: tf.Tensor4D,
  seed: number,
): RoundTripErrors {
  const { logit, network } = networks;
  const y = tf.tidy(() => networks.dequantization.forward(images, seed).z);
  try {
    const back32 = tf.tidy(() =>
      logit.inverse(
        network.inverse(network.forward(logit.forward(y).z).latents),
      )
    );
    const values = y.dataSync();
    const float32 = maxAbsDifference(back32.dataSync(), values);
    back32.dispose();
    const logit64 = logit.float64();
    const network64 = network.float64();
    const back64 = logit64.inverse(
      network64.inverse(network64.forward(logit64.forward(array4Of(y)))),
    );
    return { float32, float64: maxAbsDifference(back64.data, values) };
  } finally {
    y.dispose();
  }
}
