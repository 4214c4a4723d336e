/**
 * Zero gradients for tfjs's comparison kernels, which register none.
 *
 * A comparison's output is boolean, so its gradient is zero almost
 * everywhere (TensorFlow marks them not differentiable). tfjs uses them
 * inside gradients, e.g. LeakyRelu's `where(x > 0, dy, alpha * dy)`: a
 * first-order gradient never differentiates the comparison, but a
 * gradient of a gradient (a GAN's R1 penalty, |dD/dx|^2 differentiated
 * with respect to D's weights) does, and without these it throws
 * "gradient function not found for Greater".
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** The comparison kernels, by tfjs kernel name. */
export const COMPARISON_KERNELS = [
  "Equal",
  "Greater",
  "GreaterEqual",
  "Less",
  "LessEqual",
  "NotEqual",
] as const;

for (const kernelName of COMPARISON_KERNELS) {
  tf.registerGradient({
    kernelName,
    inputsToSave: ["a", "b"],
    gradFunc: (_dy, saved) => {
      const [a, b] = saved;
      return { a: () => tf.zerosLike(a), b: () => tf.zerosLike(b) };
    },
  });
}
