/**
 * The names of genwasm's own kernels that models call directly (through
 * `tf.engine().runKernel`), in a module that imports nothing: code that
 * only names them loads no engine.
 *
 * @example
 * ```ts
 * import { GROUP_NORM } from "./kernel_names.ts";
 * console.log(GROUP_NORM); // "GenwasmGroupNorm"
 * ```
 *
 * @module
 */

/** Group norm forward: inputs x, scale, offset; outputs y, mean, rstd. */
export const GROUP_NORM = "GenwasmGroupNorm";
/** Group norm backward: inputs dy, x, scale, mean, rstd; outputs dx, dscale, doffset. */
export const GROUP_NORM_GRAD = "GenwasmGroupNormGrad";
/** Batch norm (training) forward: inputs x, gamma, beta; outputs y, mean, variance, rstd. */
export const BATCH_NORM = "GenwasmBatchNorm";
/** Batch norm (training) backward: inputs dy, x, gamma, mean, rstd; outputs dx, dgamma, dbeta. */
export const BATCH_NORM_GRAD = "GenwasmBatchNormGrad";
/**
 * One Adam update of a variable: inputs value, m, v, gradient; attrs
 * learningRate, beta1, beta2, epsilon and the bias corrections 1 - beta1^t
 * and 1 - beta2^t; outputs the new value, m and v.
 */
export const ADAM = "GenwasmAdam";
