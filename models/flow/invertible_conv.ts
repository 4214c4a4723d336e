/**
 * The invertible 1x1 convolution of Glow (Kingma & Dhariwal 2018, section
 * 3.2), plain form: a learned c x c matrix W mixes the channels of every
 * pixel, z = x W, with log |det| = height * width * log |det W| per
 * example. W starts as a random rotation (log |det W| = 0).
 *
 * tfjs has no determinant, so log |det W| is a custom op: its value comes
 * from an LU factorisation in float64 JavaScript (c is small), its
 * gradient is d log |det W| / dW = W^-T.
 *
 * @module
 */
import { tf } from "@genwasm/backend/tf";
import { type Float64FlowLayer, float64Of } from "./float64.ts";
import type { Random } from "@genwasm/data/random";
import { invertMatrix, logAbsDeterminant, randomRotation } from "./_matrix.ts";
import {
  applyChannelMatrix,
  assertInvertibleMatrix,
  float64ChannelMatrix,
  invertChannelMatrix,
} from "./channel_matrix.ts";
import {
  disposeVariables,
  type FlowLayer,
  type FlowResult,
  sameForEach,
  variableOf,
} from "./flow_layer.ts";

/**
 * log |det W| of a square matrix, differentiable: gradient W^-T (zeros
 * for an exactly singular W, whose value -Infinity stops training anyway).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { logAbsDet } from "./invertible_conv.ts";
 * import { tf } from "../../backends/tf.ts";
 * const value = tf.tidy(() => logAbsDet(tf.tensor2d([[2, 0], [0, 3]])));
 * assert.ok(Math.abs(value.dataSync()[0] - Math.log(6)) < 1e-6); // ln 6
 * value.dispose();
 * ```
 */
export const logAbsDet = tf.customGrad(
  (...inputs: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const matrix = inputs[0] as tf.Tensor2D;
    const [n] = matrix.shape;
    const values = matrix.dataSync();
    const inverse = invertMatrix(values, n);
    return {
      value: tf.scalar(logAbsDeterminant(values, n)),
      gradFunc: (dy: tf.Scalar) =>
        inverse
          ? tf.mul(
            dy,
            tf.transpose(tf.tensor2d(Float32Array.from(inverse), [n, n])),
          )
          : tf.zerosLike(matrix),
    };
  },
) as (matrix: tf.Tensor2D) => tf.Scalar;

/** Options of {@link InvertibleConv}. */
export interface InvertibleConvOptions {
  channels: number;
  /** Source of the initial rotation. */
  random: Random;
  /** Where the layer sits, for errors, e.g. "level 1 step 3". */
  label: string;
}

/**
 * Plain invertible 1x1 convolution; variable `kernel` (c, c).
 *
 * @example
 * ```ts
 * import { InvertibleConv } from "./invertible_conv.ts";
 * import { mulberry32 } from "../../data/random.ts";
 * import { tf } from "../../backends/tf.ts";
 * const conv = new InvertibleConv({ channels: 4, random: mulberry32(0), label: "step 1" });
 * tf.tidy(() => conv.forward(tf.ones([1, 2, 2, 4])).logDet.print()); // [~0]: starts as a rotation
 * conv.dispose();
 * ```
 */
export class InvertibleConv implements FlowLayer {
  readonly variables: { kernel: tf.Variable };
  readonly buffers = {};
  readonly label: string;

  constructor({ channels, random, label }: InvertibleConvOptions) {
    this.label = label;
    this.variables = {
      kernel: variableOf(randomRotation(channels, random), [
        channels,
        channels,
      ]),
    };
  }

  forward(x: tf.Tensor4D): FlowResult {
    return tf.tidy(() => {
      const kernel = this.variables.kernel as tf.Tensor2D;
      const [batch, height, width] = x.shape;
      return {
        z: applyChannelMatrix(x, kernel),
        logDet: sameForEach(batch, tf.mul(height * width, logAbsDet(kernel))),
      };
    });
  }

  /** x = z W^-1; throws SingularConvolutionError if W is singular. */
  inverse(z: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() =>
      applyChannelMatrix(
        z,
        invertChannelMatrix(this.variables.kernel as tf.Tensor2D, this.label),
      )
    );
  }

  assertInvertible(): void {
    assertInvertibleMatrix(this.variables.kernel as tf.Tensor2D, this.label);
  }

  float64(): Float64FlowLayer {
    return float64ChannelMatrix(float64Of(this.variables.kernel), this.label);
  }

  dispose(): void {
    disposeVariables(this.variables);
  }
}
