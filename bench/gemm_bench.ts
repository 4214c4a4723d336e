/**
 * GEMM: square n x n matrix products, the core of dense layers and of the
 * convolutions XNNPACK lowers to matrix kernels, and the canonical models'
 * dense-layer products with their transposes.
 *
 * @module
 */
import { tf } from "../backends/tf.ts";
import { benchKernel, randomInput } from "./_setup.ts";
import { DENSE_PRODUCTS, denseCase, GEMM_SIZES, gemmCase } from "./_cases.ts";

for (const size of GEMM_SIZES) {
  const left = randomInput<tf.Rank.R2>([size, size], 1);
  const right = randomInput<tf.Rank.R2>([size, size], 2);
  benchKernel(gemmCase(size), () => tf.matMul(left, right));
}

for (const product of DENSE_PRODUCTS) {
  const { m, k, n, transposeA, transposeB } = product;
  const left = randomInput<tf.Rank.R2>(transposeA ? [k, m] : [m, k], 3);
  const right = randomInput<tf.Rank.R2>(transposeB ? [n, k] : [k, n], 4);
  benchKernel(
    denseCase(product),
    () => tf.matMul(left, right, transposeA, transposeB),
  );
}
