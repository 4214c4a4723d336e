/**
 * The forward (noising) process q(x_t | x_0) in closed form, and the three
 * things a network may be trained to predict from x_t, with the conversions
 * back to the noise epsilon that the samplers work with.
 *
 * Notation as in `schedule.ts`: x_t = sqrt(alphaBar_t) x_0 +
 * sqrt(1 - alphaBar_t) epsilon, epsilon ~ N(0, I); the velocity
 * v = sqrt(alphaBar_t) epsilon - sqrt(1 - alphaBar_t) x_0 (Salimans & Ho
 * 2022, "Progressive Distillation").
 *
 * A timestep is either one number (every image at the same step, as in
 * sampling) or an int32 tensor of one step per image (training).
 *
 * @module
 */
import { tf } from "@genwasm/backend/tf";
import type { NoiseSchedule } from "./schedule.ts";
import type { DdpmConfig } from "./presets.ts";

/** What the network predicts. */
export type PredictionTarget = DdpmConfig["prediction"];

/** One timestep for the whole batch, or (batch) int32 timesteps. */
export type Timestep = number | tf.Tensor1D;

/**
 * `table` at `t`, shaped to broadcast over (batch, height, width, channels)
 * images: a scalar for one timestep, (batch, 1, 1, 1) for a tensor of them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { coefficientAt } from "./process.ts";
 * import { tf } from "../../backends/tf.ts";
 * const table = Float64Array.of(0.5, 0.25);
 * const coefficients = tf.tidy(() => coefficientAt(table, tf.tensor1d([1, 0], "int32")));
 * assert.deepEqual(coefficients.arraySync(), [[[[0.25]]], [[[0.5]]]]);
 * coefficients.dispose();
 * ```
 */
export function coefficientAt(table: Float64Array, t: Timestep): tf.Tensor {
  if (typeof t === "number") {
    if (!(Number.isInteger(t) && t >= 0 && t < table.length)) {
      throw new Error(`timestep ${t} is outside 0..${table.length - 1}`);
    }
    return tf.scalar(table[t]);
  }
  return tf.tidy(() =>
    tf.reshape(tf.gather(tf.tensor1d(Float32Array.from(table)), t), [
      -1,
      1,
      1,
      1,
    ])
  );
}

/**
 * A draw from q(x_t | x_0) with the given noise:
 * x_t = sqrt(alphaBar_t) x_0 + sqrt(1 - alphaBar_t) epsilon.
 *
 * @param schedule The noise schedule.
 * @param x0 (batch, height, width, channels) clean images, pixels in [-1, 1].
 * @param t Timestep(s).
 * @param noise epsilon, the same shape as `x0`.
 * @returns x_t.
 *
 * @example
 * ```ts
 * import { qSample } from "./process.ts";
 * import { noiseSchedule } from "./schedule.ts";
 * import { tf } from "../../backends/tf.ts";
 * const schedule = noiseSchedule("linear", 1000);
 * tf.tidy(() => qSample(schedule, tf.ones([1, 2, 2, 1]), 999, tf.zeros([1, 2, 2, 1])).print()); // ~0.0064 = sqrt(alpha-bar_999)
 * ```
 */
export function qSample(
  schedule: NoiseSchedule,
  x0: tf.Tensor4D,
  t: Timestep,
  noise: tf.Tensor4D,
): tf.Tensor4D {
  return tf.tidy(() =>
    tf.add(
      tf.mul(coefficientAt(schedule.sqrtAlphasCumprod, t), x0),
      tf.mul(coefficientAt(schedule.sqrtOneMinusAlphasCumprod, t), noise),
    )
  );
}

/**
 * What the network should output for x_t made from `x0` and `noise`:
 * epsilon itself, x_0, or v = sqrt(alphaBar_t) epsilon - sqrt(1 - alphaBar_t) x_0.
 *
 * @example
 * ```ts
 * import { trainingTarget } from "./process.ts";
 * import { noiseSchedule } from "./schedule.ts";
 * import { tf } from "../../backends/tf.ts";
 * const schedule = noiseSchedule("linear", 1000);
 * const x0 = tf.ones([1, 1, 1, 1]) as tf.Tensor4D, noise = tf.zeros([1, 1, 1, 1]) as tf.Tensor4D;
 * tf.tidy(() => trainingTarget("v", schedule, x0, noise, 0).print()); // -sqrt(1e-4) = -0.01
 * ```
 */
export function trainingTarget(
  prediction: PredictionTarget,
  schedule: NoiseSchedule,
  x0: tf.Tensor4D,
  noise: tf.Tensor4D,
  t: Timestep,
): tf.Tensor4D {
  if (prediction === "epsilon") return noise;
  if (prediction === "x0") return x0;
  return tf.tidy(() =>
    tf.sub(
      tf.mul(coefficientAt(schedule.sqrtAlphasCumprod, t), noise),
      tf.mul(coefficientAt(schedule.sqrtOneMinusAlphasCumprod, t), x0),
    )
  );
}

/**
 * The noise epsilon implied by a network output for x_t:
 * from x_0, epsilon = (x_t - sqrt(alphaBar_t) x_0) / sqrt(1 - alphaBar_t);
 * from v, epsilon = sqrt(alphaBar_t) v + sqrt(1 - alphaBar_t) x_t.
 *
 * @example
 * ```ts
 * import { epsilonFromPrediction } from "./process.ts";
 * import { noiseSchedule } from "./schedule.ts";
 * import { tf } from "../../backends/tf.ts";
 * const schedule = noiseSchedule("linear", 1000);
 * const output = tf.zeros([1, 1, 1, 1]) as tf.Tensor4D, xt = tf.ones([1, 1, 1, 1]) as tf.Tensor4D;
 * tf.tidy(() => epsilonFromPrediction("x0", schedule, output, xt, 999).print()); // ~1: x_999 is nearly all noise
 * ```
 */
export function epsilonFromPrediction(
  prediction: PredictionTarget,
  schedule: NoiseSchedule,
  output: tf.Tensor4D,
  xt: tf.Tensor4D,
  t: Timestep,
): tf.Tensor4D {
  if (prediction === "epsilon") return output;
  return tf.tidy(() => {
    const signal = coefficientAt(schedule.sqrtAlphasCumprod, t);
    const noise = coefficientAt(schedule.sqrtOneMinusAlphasCumprod, t);
    if (prediction === "x0") {
      return tf.div(tf.sub(xt, tf.mul(signal, output)), noise);
    }
    return tf.add(tf.mul(signal, output), tf.mul(noise, xt));
  });
}

/**
 * The clean image implied by x_t and its noise:
 * x_0 = (x_t - sqrt(1 - alphaBar_t) epsilon) / sqrt(alphaBar_t).
 *
 * @example
 * ```ts
 * import { originalFromEpsilon } from "./process.ts";
 * import { noiseSchedule } from "./schedule.ts";
 * import { tf } from "../../backends/tf.ts";
 * const schedule = noiseSchedule("linear", 1000);
 * const xt = tf.ones([1, 1, 1, 1]) as tf.Tensor4D;
 * tf.tidy(() => originalFromEpsilon(schedule, tf.zeros([1, 1, 1, 1]), xt, 0).print()); // 1 / sqrt(0.9999)
 * ```
 */
export function originalFromEpsilon(
  schedule: NoiseSchedule,
  epsilon: tf.Tensor4D,
  xt: tf.Tensor4D,
  t: Timestep,
): tf.Tensor4D {
  return tf.tidy(() =>
    tf.div(
      tf.sub(
        xt,
        tf.mul(coefficientAt(schedule.sqrtOneMinusAlphasCumprod, t), epsilon),
      ),
      coefficientAt(schedule.sqrtAlphasCumprod, t),
    )
  );
}
