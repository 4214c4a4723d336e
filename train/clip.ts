/**
 * Gradient clipping by global norm (as torch.nn.utils.clip_grad_norm_): if
 * the L2 norm over all gradients exceeds `maxNorm`, every gradient is scaled
 * by maxNorm / norm.
 *
 * @module
 */
import { tf } from "@genwasm/backend/tf";

/**
 * Clips `gradients` to a global L2 norm of at most `maxNorm` and returns
 * them with the norm before clipping (a scalar tensor). Call inside tf.tidy.
 */
export function clipByGlobalNorm(
  gradients: tf.Tensor[],
  maxNorm: number,
): { clipped: tf.Tensor[]; norm: tf.Scalar } {
  const norm = tf.sqrt(
    tf.addN(gradients.map((g) => tf.sum(tf.square(g)))),
  ) as tf.Scalar;
  const scale = tf.minimum(1, tf.div(maxNorm, tf.add(norm, 1e-6)));
  return { clipped: gradients.map((g) => tf.mul(g, scale)), norm };
}
