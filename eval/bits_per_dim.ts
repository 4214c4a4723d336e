/**
 * Likelihoods in the unit image models are compared in.
 *
 * @module
 */

/**
 * A negative log-likelihood per image in nats turned into bits per
 * dimension, the unit flows and likelihood models report:
 *
 *   bits/dim = nll / (dims * ln 2),
 *
 * where dims is the number of numbers in one image (784 for 28 x 28 x 1).
 * To compare with published numbers the nll must be that of the discrete
 * 8-bit images: a continuous density over dequantised pixels scaled to
 * [0, 1] gets it by adding dims * ln 256 nats (the volume of one 1/256 bin
 * per dimension) before the conversion.
 *
 * @param nllNats Negative log-likelihood of one image, in nats.
 * @param dims Numbers per image, e.g. height * width * channels.
 * @returns Bits per dimension.
 * @throws Error if `dims` is not a whole number >= 1.
 *
 * @example 784 * ln 2 nats on a 28 x 28 image is 1 bit per pixel
 * ```ts
 * import assert from "node:assert/strict";
 * import { bitsPerDim } from "./bits_per_dim.ts";
 * assert.equal(bitsPerDim(784 * Math.LN2, 784), 1);
 * ```
 */
export function bitsPerDim(nllNats: number, dims: number): number {
  if (!Number.isInteger(dims) || dims < 1) {
    throw new Error(`dims must be a whole number >= 1, got ${dims}`);
  }
  return nllNats / (dims * Math.LN2);
}
