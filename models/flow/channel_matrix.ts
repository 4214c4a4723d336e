/**
 * What both invertible 1x1 convolutions share: multiplying every pixel's
 * channel vector by a c x c matrix, inverting that matrix with a clear
 * error when it has become singular, and the error itself.
 *
 * Convention: a pixel's channels are a row vector, z = x W, so a 1x1
 * convolution with kernel W (in channels x out channels).
 *
 * @module
 */
import { tf } from "@genwasm/backend/tf";
import { applyMatrix, type Float64FlowLayer } from "./float64.ts";
import {
  invertMatrix,
  isSingular,
  logAbsDeterminant,
  luFactor,
} from "./_matrix.ts";

/**
 * A 1x1 convolution whose matrix cannot be inverted, naming the layer,
 * e.g. "flow: level 1 step 3 1x1 convolution is singular (log|det| = -inf);
 * the checkpoint cannot be inverted".
 */
export class SingularConvolutionError extends Error {
  constructor(readonly label: string, readonly logAbsDet: number) {
    super(
      `flow: ${label} 1x1 convolution is singular (log|det| = ${
        formatLogDet(logAbsDet)
      }); the checkpoint cannot be inverted`,
    );
    this.name = "SingularConvolutionError";
  }
}

function formatLogDet(value: number): string {
  if (Number.isNaN(value)) return "nan";
  if (!Number.isFinite(value)) return value > 0 ? "inf" : "-inf";
  return value.toPrecision(4);
}

/**
 * z = x W at every pixel: (batch, h, w, c) times (c, c).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { applyChannelMatrix } from "./channel_matrix.ts";
 * import { tf } from "../../backends/tf.ts";
 * const y = tf.tidy(() =>
 *   applyChannelMatrix(tf.ones([1, 1, 1, 2]), tf.tensor2d([[1, 2], [3, 4]]))
 * );
 * assert.deepEqual(y.arraySync(), [[[[4, 6]]]]); // [1, 1] times the matrix
 * y.dispose();
 * ```
 */
/**
 * A 1x1 convolution by `matrix` (c, c) as a float64 layer; its inverse uses
 * the float64 inverse of `matrix`.
 *
 * @throws SingularConvolutionError (naming `label`) if `matrix` is singular.
 */
export function float64ChannelMatrix(
  matrix: Float64Array,
  label: string,
): Float64FlowLayer {
  const n = Math.round(Math.sqrt(matrix.length));
  const inverse = invertMatrix(matrix, n);
  if (!inverse || isSingular(luFactor(matrix, n))) {
    throw new SingularConvolutionError(label, logAbsDeterminant(matrix, n));
  }
  return {
    forward: (x) => applyMatrix(x, matrix),
    inverse: (z) => applyMatrix(z, inverse),
  };
}

export function applyChannelMatrix(
  x: tf.Tensor4D,
  matrix: tf.Tensor2D,
): tf.Tensor4D {
  return tf.tidy(() => {
    const [channels] = matrix.shape;
    const kernel = tf.reshape(matrix, [1, 1, channels, channels]);
    return tf.conv2d(x, kernel as tf.Tensor4D, 1, "valid");
  });
}

/**
 * Throws {@link SingularConvolutionError} naming `label` unless `matrix`
 * can be inverted in float32 (see `isSingular` in `_matrix.ts`).
 *
 * @param matrix (c, c) the layer's weight.
 * @param label Where the layer sits, e.g. "level 1 step 3".
 * @returns The matrix's values, for reuse.
 */
export function assertInvertibleMatrix(
  matrix: tf.Tensor2D,
  label: string,
): Float32Array {
  const values = matrix.dataSync() as Float32Array;
  const [n] = matrix.shape;
  if (isSingular(luFactor(values, n))) {
    throw new SingularConvolutionError(label, logAbsDeterminant(values, n));
  }
  return values;
}

/**
 * W^-1 as a tensor, checked first with {@link assertInvertibleMatrix}.
 *
 * @throws SingularConvolutionError naming `label`.
 */
export function invertChannelMatrix(
  matrix: tf.Tensor2D,
  label: string,
): tf.Tensor2D {
  const values = assertInvertibleMatrix(matrix, label);
  const [n] = matrix.shape;
  return tf.tensor2d(Float32Array.from(invertMatrix(values, n)!), [n, n]);
}
