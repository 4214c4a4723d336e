/**
 * GEMM: square n x n matrix products, the core of dense layers and of the
 * convolutions XNNPACK lowers to matrix kernels.
 *
 * @module
 */
import { tf } from "../backends/tf.ts";
import { benchKernel, randomInput } from "./_setup.ts";
import { GEMM_SIZES, gemmCase } from "./_cases.ts";

for (const size of GEMM_SIZES) {
  const left = randomInput<tf.Rank.R2>([size, size], 1);
  const right = randomInput<tf.Rank.R2>([size, size], 2);
  benchKernel(gemmCase(size), () => tf.matMul(left, right));
}
