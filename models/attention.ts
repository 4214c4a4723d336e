/**
 * Scaled dot-product attention over heads with masked keys, the one
 * computation of the prompt encoder's self-attention
 * (`models/text/encoder.ts`) and the U-Net's cross-attention to a
 * prompt's tokens (`models/ddpm/blocks.ts`).
 *
 * @module
 */
import { tf } from "@genwasm/backend/tf";

/** Added to the attention scores of masked keys: their weight becomes 0. */
export const MASKED = -1e9;

/**
 * The additive bias of masked keys: 0 where `mask` is 1, {@link MASKED}
 * where it is 0.
 *
 * @param mask (batch, keys) of 1 (attend) and 0 (padding).
 * @returns (batch, 1, 1, keys), to add to (batch, heads, queries, keys) scores.
 */
export function keyBias(mask: tf.Tensor2D): tf.Tensor4D {
  const [batch, keys] = mask.shape;
  return tf.reshape(tf.mul(tf.sub(1, mask), MASKED), [batch, 1, 1, keys]);
}

/**
 * softmax(q k^T / sqrt(d / heads) + bias) v for each of `heads` heads, the
 * heads taking consecutive slices of the width d.
 *
 * @param q (batch, queries, d)
 * @param k (batch, keys, d)
 * @param v (batch, keys, d)
 * @param bias (batch, 1, 1, keys), e.g. {@link keyBias}.
 * @returns (batch, queries, d): each head's output in its slice.
 */
export function multiHeadAttention(
  q: tf.Tensor3D,
  k: tf.Tensor3D,
  v: tf.Tensor3D,
  bias: tf.Tensor,
  heads: number,
): tf.Tensor3D {
  return tf.tidy(() => {
    const [batch, queries, width] = q.shape;
    const keys = k.shape[1];
    const size = width / heads;
    // (batch, length, d) -> (batch * heads, length, size)
    const split = (part: tf.Tensor3D, length: number) =>
      tf.reshape(
        tf.transpose(tf.reshape(part, [batch, length, heads, size]), [
          0,
          2,
          1,
          3,
        ]),
        [batch * heads, length, size],
      ) as tf.Tensor3D;
    const scores = tf.add(
      tf.reshape(
        tf.mul(
          tf.matMul(split(q, queries), split(k, keys), false, true),
          1 / Math.sqrt(size),
        ),
        [batch, heads, queries, keys],
      ),
      bias,
    );
    const weights = tf.reshape(tf.softmax(scores), [
      batch * heads,
      queries,
      keys,
    ]) as tf.Tensor3D;
    // (batch * heads, queries, size) -> (batch, queries, d)
    return tf.reshape(
      tf.transpose(
        tf.reshape(tf.matMul(weights, split(v, keys)), [
          batch,
          heads,
          queries,
          size,
        ]),
        [0, 2, 1, 3],
      ),
      [batch, queries, width],
    );
  });
}
