/**
 * Pictures from an image flow: new images from the prior at a temperature,
 * and reconstructions that show the map is invertible. Every function
 * returns pixels in [0, 1] and should run inside `tf.tidy`.
 *
 * @module
 */
import { tf } from "../../backends/tf.ts";
import { Mulberry32 } from "../../data/random.ts";
import { standardNormalSample } from "./gaussian.ts";
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
 * import { sampleImages } from "./sampler.ts";
 * import { createFlow } from "./flow.ts";
 * import { tf } from "../../backends/tf.ts";
 * const flow = createFlow("flow-small");
 * console.log(tf.tidy(() => sampleImages(flow, 4, 1, 0.7).shape)); // [4, 28, 28, 1]
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
