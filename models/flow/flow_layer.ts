/**
 * The one interface every invertible block of a flow implements, and the
 * two helpers they share for per-example log-determinants.
 *
 * A block maps x to z = f(x) with a tractable log |det df/dx|; the change
 * of variables gives log p(x) = log p(z) + log |det df/dx|. Tensors are
 * NHWC (batch, height, width, channels); 2-D points are (batch, 1, 1, 2).
 *
 * @module
 */
import { tf } from "@genwasm/backend/tf";
import type { Float64FlowLayer } from "./float64.ts";

/** z = f(x) and log |det df/dx| of each example. */
export interface FlowResult {
  z: tf.Tensor4D;
  /** (batch) in nats. */
  logDet: tf.Tensor1D;
}

/** An invertible block with a tractable log-determinant. */
export interface FlowLayer {
  /** Trainable variables by short name, e.g. `bias`, `conv1.kernel`. */
  readonly variables: Record<string, tf.Variable>;
  /** Saved but untrained state (ActNorm's flag, fixed permutations). */
  readonly buffers: Record<string, tf.Variable>;
  /** x -> z with log |det dz/dx| per example. */
  forward(x: tf.Tensor4D): FlowResult;
  /** z -> x, the exact inverse of {@link FlowLayer.forward}. */
  inverse(z: tf.Tensor4D): tf.Tensor4D;
  /**
   * The same map in float64 JavaScript with the current weights, for exact
   * round trips (see `float64.ts`).
   */
  float64(): Float64FlowLayer;
  /** Data-dependent initialisation from a batch of this block's inputs. */
  initialize?(x: tf.Tensor4D): void;
  /** Throws a named error if the block cannot be inverted. */
  assertInvertible?(): void;
  /** Frees the variables and buffers. */
  dispose(): void;
}

/**
 * A log-determinant that is the same for every example, as (batch).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sameForEach } from "./flow_layer.ts";
 * import { tf } from "../../backends/tf.ts";
 * const logDet = tf.tidy(() => sameForEach(3, tf.scalar(2)));
 * assert.deepEqual(logDet.arraySync(), [2, 2, 2]);
 * logDet.dispose();
 * ```
 */
export function sameForEach(batch: number, value: tf.Scalar): tf.Tensor1D {
  return tf.tidy(() => tf.mul(tf.ones([batch]), value));
}

/**
 * Sums every axis but the first: (batch, ...) -> (batch).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sumPerExample } from "./flow_layer.ts";
 * import { tf } from "../../backends/tf.ts";
 * const sums = tf.tidy(() => sumPerExample(tf.ones([2, 3, 3, 1])));
 * assert.deepEqual(sums.arraySync(), [9, 9]);
 * sums.dispose();
 * ```
 */
export function sumPerExample(values: tf.Tensor): tf.Tensor1D {
  return tf.tidy(() => tf.sum(tf.reshape(values, [values.shape[0], -1]), 1));
}

/**
 * A copy of `record` with every key written "prefix.key", how composite
 * blocks name their parts' variables.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { prefixKeys, variableOf } from "./flow_layer.ts";
 * const bias = variableOf([0], [1]);
 * assert.deepEqual(Object.keys(prefixKeys("actnorm", { bias })), ["actnorm.bias"]);
 * bias.dispose();
 * ```
 */
export function prefixKeys(
  prefix: string,
  record: Record<string, tf.Variable>,
): Record<string, tf.Variable> {
  return Object.fromEntries(
    Object.entries(record).map(([name, variable]) => [
      `${prefix}.${name}`,
      variable,
    ]),
  );
}

/** Number of trainable numbers in `variables`. */
export function countParameters(variables: Iterable<tf.Variable>): number {
  let count = 0;
  for (const variable of variables) count += variable.size;
  return count;
}

/** Frees every variable of a record. */
export function disposeVariables(
  ...records: Record<string, tf.Variable>[]
): void {
  for (const record of records) {
    for (const variable of Object.values(record)) variable.dispose();
  }
}

/**
 * A variable holding `values`; `trainable` false for buffers (they are
 * saved with checkpoints but the optimiser never sees them).
 */
export function variableOf(
  values: ArrayLike<number>,
  shape: number[],
  { dtype = "float32", trainable = true }: {
    dtype?: "float32" | "int32";
    trainable?: boolean;
  } = {},
): tf.Variable {
  const initial = tf.tensor(
    dtype === "int32" ? Int32Array.from(values) : Float32Array.from(values),
    shape,
    dtype,
  );
  const variable = tf.variable(initial, trainable);
  initial.dispose();
  return variable;
}
