/**
 * The logit pre-processing of RealNVP (Dinh et al. 2017, section 4.1):
 * values y in [0, 1] are squeezed away from the ends and mapped to the
 * real line,
 *
 *   s = alpha + (1 - 2 alpha) y,   z = logit(s) = log s - log(1 - s),
 *
 * with log |dz/dy| = log(1 - 2 alpha) - log s - log(1 - s) per number,
 * which counts in the likelihood.
 *
 * @module
 */
import { tf } from "@genwasm/backend/tf";
import { type Float64FlowLayer, mapValues } from "./float64.ts";
import {
  type FlowLayer,
  type FlowResult,
  sumPerExample,
} from "./flow_layer.ts";

/**
 * y in [0, 1] <-> logit(alpha + (1 - 2 alpha) y); no variables.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LogitTransform } from "./logit.ts";
 * import { tf } from "../../backends/tf.ts";
 * const logit = new LogitTransform(0.05);
 * const z = tf.tidy(() => logit.forward(tf.fill([1, 1, 1, 1], 0.5)).z);
 * assert.deepEqual(z.arraySync(), [[[[0]]]]); // mid-grey sits at logit 0
 * z.dispose();
 * ```
 */
export class LogitTransform implements FlowLayer {
  readonly variables = {};
  readonly buffers = {};

  /** @param alpha Margin kept from 0 and 1, in (0, 0.5); RealNVP uses 0.05. */
  constructor(readonly alpha: number) {
    if (!(alpha > 0 && alpha < 0.5)) {
      throw new Error(`logit alpha must be in (0, 0.5), got ${alpha}`);
    }
  }

  forward(y: tf.Tensor4D): FlowResult {
    return tf.tidy(() => {
      const s = tf.add(this.alpha, tf.mul(1 - 2 * this.alpha, y));
      const logS = tf.log(s);
      const logRest = tf.log1p(tf.neg(s));
      const z = tf.sub(logS, logRest) as tf.Tensor4D;
      const perNumber = tf.sub(
        tf.sub(Math.log(1 - 2 * this.alpha), logS),
        logRest,
      );
      return { z, logDet: sumPerExample(perNumber) };
    });
  }

  /** y = (sigmoid(z) - alpha) / (1 - 2 alpha); may leave [0, 1] by up to alpha / (1 - 2 alpha). */
  inverse(z: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() =>
      tf.div(tf.sub(tf.sigmoid(z), this.alpha), 1 - 2 * this.alpha)
    );
  }

  float64(): Float64FlowLayer {
    const { alpha } = this;
    return {
      forward: (y) =>
        mapValues(y, (v) => {
          const s = alpha + (1 - 2 * alpha) * v;
          return Math.log(s) - Math.log1p(-s);
        }),
      inverse: (z) =>
        mapValues(z, (v) => (1 / (1 + Math.exp(-v)) - alpha) / (1 - 2 * alpha)),
    };
  }

  dispose(): void {}
}
