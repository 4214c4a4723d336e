/**
 * Classifier-free guidance (Ho & Salimans 2022): the noise prediction of a
 * model trained with label dropout, pushed away from its unconditional
 * prediction,
 *
 *   eps = eps_uncond + w (eps_cond - eps_uncond),
 *
 * so w = 0 is the unconditional model, w = 1 the conditional one and
 * w > 1 trades diversity for fidelity to the class (or prompt: for text
 * models the unconditional branch is the empty prompt, all padding).
 *
 * @module
 */
import { tf } from "@genwasm/backend/tf";

/** The guidance scale `sample` uses when none is asked for. */
export const DEFAULT_GUIDANCE = 3;

/** A noise prediction for x_t at timestep t given (batch) int32 labels. */
export type LabelledPredictor = (
  x: tf.Tensor4D,
  t: number,
  labels: tf.Tensor1D,
) => tf.Tensor4D;

/** A noise prediction for x_t at timestep t given a condition per image. */
export type ConditionedPredictor = (
  x: tf.Tensor4D,
  t: number,
  condition: tf.Tensor,
) => tf.Tensor4D;

/**
 * The guided noise prediction for any condition: one batched pass over
 * the images twice, first with `condition`, then with `unconditional`
 * (the same shape); scales 1 and 0 take a single pass.
 *
 * @param predict The model's noise prediction.
 * @param x (batch, h, w, c) x_t.
 * @param t The timestep.
 * @param condition One condition per image along the first axis.
 * @param unconditional The "no condition" of each image, shaped as `condition`.
 * @param scale The guidance scale w >= 0.
 * @returns (batch, h, w, c) guided epsilon.
 *
 * @example Prompts: the unconditional branch is the empty prompt
 * ```ts
 * import assert from "node:assert/strict";
 * import { guideWith } from "./guidance.ts";
 * import { tf } from "../../backends/tf.ts";
 * // A stub whose noise is the sum of each prompt's ids.
 * const predict = (x: tf.Tensor4D, _t: number, ids: tf.Tensor) =>
 *   tf.mul(tf.onesLike(x), tf.reshape(tf.cast(tf.sum(ids, 1), "float32"), [-1, 1, 1, 1])) as tf.Tensor4D;
 * tf.tidy(() => {
 *   const ids = tf.tensor2d([[2, 3, 0]], [1, 3], "int32");
 *   const guided = guideWith(predict, tf.zeros([1, 1, 1, 1]), 5, ids, tf.zerosLike(ids), 2);
 *   assert.deepEqual(guided.dataSync(), Float32Array.of(10)); // 0 + 2 (5 - 0)
 * });
 * ```
 */
export function guideWith(
  predict: ConditionedPredictor,
  x: tf.Tensor4D,
  t: number,
  condition: tf.Tensor,
  unconditional: tf.Tensor,
  scale: number,
): tf.Tensor4D {
  if (!(Number.isFinite(scale) && scale >= 0)) {
    throw new Error(`guidance scale must be a number >= 0, got ${scale}`);
  }
  return tf.tidy(() => {
    if (scale === 1) return predict(x, t, condition);
    if (scale === 0) return predict(x, t, unconditional);
    const both = predict(
      tf.concat([x, x]),
      t,
      tf.concat([condition, unconditional]),
    );
    const [conditional, unguided] = tf.split(both, 2) as tf.Tensor4D[];
    return tf.add(unguided, tf.mul(tf.sub(conditional, unguided), scale));
  });
}

/**
 * The guided noise prediction, from one batched forward pass over the
 * images twice: first with their labels, then with `nullLabel`. Scales 1
 * and 0 need only one of the two, so they take a single pass over the
 * images (with their labels, or with `nullLabel`), half the work.
 *
 * @param predict The conditional model's noise prediction.
 * @param x (batch, h, w, c) x_t.
 * @param t The timestep.
 * @param labels (batch) int32 classes.
 * @param nullLabel The "no label" index the model was trained with.
 * @param scale The guidance scale w >= 0.
 * @returns (batch, h, w, c) guided epsilon.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { guidedEpsilon } from "./guidance.ts";
 * import { tf } from "../../backends/tf.ts";
 * // A stub that predicts each image's label as its noise.
 * const predict = (x: tf.Tensor4D, _t: number, labels: tf.Tensor1D) =>
 *   tf.mul(tf.onesLike(x), tf.reshape(tf.cast(labels, "float32"), [-1, 1, 1, 1])) as tf.Tensor4D;
 * tf.tidy(() => {
 *   const x = tf.zeros([1, 1, 1, 1]) as tf.Tensor4D;
 *   const guided = guidedEpsilon(predict, x, 5, tf.tensor1d([2], "int32"), 10, 3);
 *   assert.deepEqual(guided.dataSync(), Float32Array.of(-14)); // 10 + 3 (2 - 10)
 * });
 * ```
 */
export function guidedEpsilon(
  predict: LabelledPredictor,
  x: tf.Tensor4D,
  t: number,
  labels: tf.Tensor1D,
  nullLabel: number,
  scale: number,
): tf.Tensor4D {
  return tf.tidy(() =>
    guideWith(
      (both, step, rows) => predict(both, step, rows as tf.Tensor1D),
      x,
      t,
      labels,
      tf.fill([x.shape[0]], nullLabel, "int32"),
      scale,
    )
  );
}
