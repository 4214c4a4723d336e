/**
 * Uniform dequantisation (Theis et al. 2016; RealNVP, Glow): 8-bit pixels
 * k in {0, ..., 255} become continuous values y = (k + u) / 256 with
 * u ~ U(0, 1), so a density over [0, 1]^D can model discrete images.
 *
 * Log-likelihoods: by Jensen, log P(k) >= E_u log p(y) - D ln 256, where
 * p is the model's density over y in [0, 1]^D and -D ln 256 is the
 * log-determinant of the rescaling from [0, 256]^D to [0, 1]^D. The
 * forward map returns that constant as its log-determinant, so a flow that
 * adds it reports the negative log-likelihood of the discrete images, the
 * number papers compare in bits per dimension.
 *
 * @module
 */
import { tf } from "@genwasm/backend/tf";
import type { FlowResult } from "./flow_layer.ts";
import { sameForEach } from "./flow_layer.ts";

/** Number of levels of an 8-bit pixel. */
export const PIXEL_LEVELS = 256;

/**
 * Upper end of u: 1 - 2^-12 rather than 1, so that float32 rounding never
 * carries k + u into the next bin (which would break the inverse); the
 * likelihood changes by under 1e-3 bits per dimension.
 */
const NOISE_TOP = 1 - 2 ** -12;

/**
 * Pixels in [0, 1] (k / 255) to dequantised values and back.
 *
 * @example Round trip
 * ```ts
 * import { UniformDequantization } from "./dequantization.ts";
 * import { tf } from "../../backends/tf.ts";
 * const dequantization = new UniformDequantization();
 * tf.tidy(() => {
 *   const pixels = tf.tensor4d([0, 1 / 255, 1, 0.5], [1, 2, 2, 1]);
 *   const { z } = dequantization.forward(pixels, 7);
 *   dequantization.inverse(z).print(); // the pixels, to the nearest k / 255
 * });
 * ```
 */
export class UniformDequantization {
  /**
   * y = (round(255 x) + u) / 256 with u ~ U(0, 1) drawn from `seed`, and
   * log-determinant -D ln 256 per example.
   *
   * @param pixels (batch, height, width, channels) in [0, 1].
   */
  forward(pixels: tf.Tensor4D, seed: number): FlowResult {
    return tf.tidy(() => {
      const levels = tf.round(tf.mul(tf.clipByValue(pixels, 0, 1), 255));
      const noise = tf.randomUniform(
        pixels.shape,
        0,
        NOISE_TOP,
        "float32",
        seed,
      );
      const z = tf.div(tf.add(levels, noise), PIXEL_LEVELS) as tf.Tensor4D;
      const dims = pixels.size / pixels.shape[0];
      const logDet = sameForEach(
        pixels.shape[0],
        tf.scalar(-dims * Math.log(PIXEL_LEVELS)),
      );
      return { z, logDet };
    });
  }

  /**
   * Back to pixels: the bin floor(256 y) (clipped to 0..255) over 255; the
   * exact inverse of {@link forward} for every draw of u.
   */
  inverse(values: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() =>
      tf.div(
        tf.clipByValue(tf.floor(tf.mul(values, PIXEL_LEVELS)), 0, 255),
        255,
      )
    );
  }
}
