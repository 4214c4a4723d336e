/**
 * The invertible 1x1 convolution of Glow (section 3.2) in LU form:
 *
 *   W = P L (U + diag(sign * exp(logScale))),
 *
 * with P a fixed permutation, L unit lower triangular and U strictly upper
 * triangular (learned entries below and above the diagonal), so
 * log |det W| = sum(logScale) and the log-determinant costs O(c) instead
 * of an O(c^3) factorisation. It starts as the LU factorisation of a random
 * rotation, the same W the plain form starts from.
 *
 * Variables: `lower`, `upper` (c, c; only their strict triangles are used)
 * and `logScale` (c). Buffers (fixed at creation, saved with checkpoints
 * because they come from the seed): `permutation` (c, c) and `sign` (c).
 *
 * @module
 */
import { tf } from "@genwasm/backend/tf";
import { type Float64FlowLayer, float64Of } from "./float64.ts";
import { luFactor, multiplyMatrices, randomRotation } from "./_matrix.ts";
import {
  applyChannelMatrix,
  assertInvertibleMatrix,
  float64ChannelMatrix,
  invertChannelMatrix,
  SingularConvolutionError,
} from "./channel_matrix.ts";
import {
  disposeVariables,
  type FlowLayer,
  type FlowResult,
  sameForEach,
  variableOf,
} from "./flow_layer.ts";
import type { InvertibleConvOptions } from "./invertible_conv.ts";

/** (c, c) masks of the strict lower and upper triangles, and the identity. */
function triangleMasks(n: number): {
  lower: Float32Array;
  upper: Float32Array;
  identity: Float32Array;
} {
  const lower = new Float32Array(n * n);
  const upper = new Float32Array(n * n);
  const identity = new Float32Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (j < i) lower[i * n + j] = 1;
      else if (j > i) upper[i * n + j] = 1;
      else identity[i * n + j] = 1;
    }
  }
  return { lower, upper, identity };
}

/**
 * Invertible 1x1 convolution with an LU-parameterised kernel.
 *
 * @example
 * ```ts
 * import { LuInvertibleConv } from "./lu_invertible_conv.ts";
 * import { mulberry32 } from "../../data/random.ts";
 * import { tf } from "../../backends/tf.ts";
 * const conv = new LuInvertibleConv({ channels: 4, random: mulberry32(0), label: "step 1" });
 * tf.tidy(() => conv.forward(tf.ones([1, 2, 2, 4])).logDet.print()); // [~0]: starts as a rotation
 * conv.dispose();
 * ```
 */
export class LuInvertibleConv implements FlowLayer {
  readonly variables: {
    lower: tf.Variable;
    upper: tf.Variable;
    logScale: tf.Variable;
  };
  readonly buffers: { permutation: tf.Variable; sign: tf.Variable };
  readonly label: string;
  readonly #masks: ReturnType<typeof triangleMasks>;

  constructor({ channels: n, random, label }: InvertibleConvOptions) {
    this.label = label;
    this.#masks = triangleMasks(n);
    // rotation = P^T L U with P the pivoting rows of the factorisation.
    const { lu, rows } = luFactor(randomRotation(n, random), n);
    const permutation = new Float32Array(n * n);
    for (let i = 0; i < n; i++) permutation[rows[i] * n + i] = 1;
    const diagonal = Array.from({ length: n }, (_, k) => lu[k * n + k]);
    this.variables = {
      lower: variableOf(lu.map((v, i) => v * this.#masks.lower[i]), [n, n]),
      upper: variableOf(lu.map((v, i) => v * this.#masks.upper[i]), [n, n]),
      logScale: variableOf(diagonal.map((v) => Math.log(Math.abs(v))), [n]),
    };
    this.buffers = {
      permutation: variableOf(permutation, [n, n], { trainable: false }),
      sign: variableOf(diagonal.map(Math.sign), [n], { trainable: false }),
    };
  }

  /** W = P L (U + diag(sign * exp(logScale))), (c, c). */
  weight(): tf.Tensor2D {
    return tf.tidy(() => {
      const { lower, upper, logScale } = this.variables;
      const { permutation, sign } = this.buffers;
      const n = logScale.shape[0];
      const mask = (values: Float32Array) => tf.tensor2d(values, [n, n]);
      const identity = mask(this.#masks.identity);
      const l = tf.add(tf.mul(lower, mask(this.#masks.lower)), identity);
      // identity * row vector puts the vector on the diagonal (tf.diag has no gradient).
      const u = tf.add(
        tf.mul(upper, mask(this.#masks.upper)),
        tf.mul(identity, tf.mul(sign, tf.exp(logScale))),
      );
      return tf.matMul(tf.matMul(permutation as tf.Tensor2D, l), u);
    });
  }

  forward(x: tf.Tensor4D): FlowResult {
    return tf.tidy(() => {
      const [batch, height, width] = x.shape;
      return {
        z: applyChannelMatrix(x, this.weight()),
        logDet: sameForEach(
          batch,
          tf.mul(height * width, tf.sum(this.variables.logScale)),
        ),
      };
    });
  }

  /** x = z W^-1; throws SingularConvolutionError if W is singular. */
  inverse(z: tf.Tensor4D): tf.Tensor4D {
    this.#assertDiagonal();
    return tf.tidy(() =>
      applyChannelMatrix(z, invertChannelMatrix(this.weight(), this.label))
    );
  }

  assertInvertible(): void {
    this.#assertDiagonal();
    tf.tidy(() => {
      assertInvertibleMatrix(this.weight(), this.label);
    });
  }

  /** log |det W| = sum(logScale) exactly: -inf or NaN there is singular whatever float32 makes of W. */
  #assertDiagonal(): void {
    let logDet = 0;
    for (const value of this.variables.logScale.dataSync()) logDet += value;
    if (!Number.isFinite(logDet)) {
      throw new SingularConvolutionError(this.label, logDet);
    }
  }

  /** W = P L (U + diag(sign * exp(logScale))) multiplied out in float64. */
  float64(): Float64FlowLayer {
    this.#assertDiagonal();
    const n = this.variables.logScale.shape[0];
    const lower = float64Of(this.variables.lower);
    const upper = float64Of(this.variables.upper);
    const logScale = float64Of(this.variables.logScale);
    const permutation = float64Of(this.buffers.permutation);
    const sign = float64Of(this.buffers.sign);
    const l = lower.map((v, i) =>
      v * this.#masks.lower[i] + this.#masks.identity[i]
    );
    const u = upper.map((v, i) => {
      const row = Math.floor(i / n);
      return i === row * n + row
        ? sign[row] * Math.exp(logScale[row])
        : v * this.#masks.upper[i];
    });
    const weight = multiplyMatrices(permutation, multiplyMatrices(l, u, n), n);
    return float64ChannelMatrix(weight, this.label);
  }

  dispose(): void {
    disposeVariables(this.variables, this.buffers);
  }
}
