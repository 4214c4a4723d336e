/**
 * The flows' prior: the standard normal N(0, I), its log-density summed
 * per example, and draws from it at a temperature.
 *
 * @module
 */
import { tf } from "@genwasm/backend/tf";
import { sumPerExample } from "./flow_layer.ts";

/** log sqrt(2 pi). */
const LOG_SQRT_TWO_PI = 0.5 * Math.log(2 * Math.PI);

/**
 * log N(z; 0, I) = -sum (z^2 / 2 + log sqrt(2 pi)) per example.
 *
 * @param z (batch, ...) any shape.
 * @returns (batch) in nats.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { standardNormalLogDensity } from "./gaussian.ts";
 * import { tf } from "../../backends/tf.ts";
 * const logP = tf.tidy(() => standardNormalLogDensity(tf.zeros([1, 2])));
 * assert.ok(Math.abs(logP.dataSync()[0] + Math.log(2 * Math.PI)) < 1e-6); // -ln(2 pi)
 * logP.dispose();
 * ```
 */
export function standardNormalLogDensity(z: tf.Tensor): tf.Tensor1D {
  return tf.tidy(() =>
    sumPerExample(tf.neg(tf.add(tf.mul(tf.square(z), 0.5), LOG_SQRT_TWO_PI)))
  );
}

/**
 * A draw from N(0, temperature^2 I) (Glow's reduced-temperature sampling:
 * temperatures below 1 give smoother, more typical samples).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { standardNormalSample } from "./gaussian.ts";
 * import { tf } from "../../backends/tf.ts";
 * assert.deepEqual(tf.tidy(() => standardNormalSample([2, 7, 7, 8], 0.7, 1).shape), [2, 7, 7, 8]);
 * ```
 */
export function standardNormalSample(
  shape: number[],
  temperature: number,
  seed: number,
): tf.Tensor {
  if (!(temperature > 0 && Number.isFinite(temperature))) {
    throw new Error(
      `temperature must be a positive number, got ${temperature}`,
    );
  }
  return tf.randomNormal(shape, 0, temperature, "float32", seed);
}
