/**
 * Batch normalisation (Ioffe & Szegedy 2015) as a reusable layer:
 *
 *   y = gamma * (x - mean) / sqrt(variance + epsilon) + beta,
 *
 * one (mean, variance, gamma, beta) per feature of the last axis (the
 * channels of an NHWC map, or the units of a dense layer), statistics taken
 * over every other axis.
 *
 * @module
 */
import { tf } from "@genwasm/backend/tf";
import { BATCH_NORM, BATCH_NORM_GRAD } from "@genwasm/backend/kernel_names";

/**
 * Where the statistics come from:
 *
 * - `"train"`: the batch's own mean and (biased) variance, and the running
 *   statistics move towards them (as in training);
 * - `"inference"`: the running statistics (nothing is updated);
 * - `{ referenceRows: R }`: the mean and variance of the first R rows of the
 *   batch, applied to every row, nothing updated. Put a fixed reference
 *   batch in front of the real inputs and slice it off afterwards, and each
 *   output depends only on its own input ("standing statistics" of the
 *   weights in use, e.g. averaged weights the running statistics never saw).
 */
export type BatchNormMode = "train" | "inference" | { referenceRows: number };

/** Options for {@link BatchNorm}. */
export interface BatchNormOptions {
  /** Features normalised separately: the size of the last axis. */
  features: number;
  /**
   * Weight of the newest batch in the running statistics, as in PyTorch:
   * running = (1 - momentum) * running + momentum * batch. Default 0.1.
   */
  momentum?: number;
  /** Added to the variance before the square root; default 1e-5. */
  epsilon?: number;
}

/**
 * A batch-normalisation layer: `variables` gamma (ones) and beta (zeros)
 * are trained; `buffers` runningMean (zeros) and runningVariance (ones) are
 * state that the trainer checkpoints but does not train. The running
 * variance is the unbiased estimate n / (n - 1) * variance, as in PyTorch.
 *
 * @example Normalise a batch of 4 dense activations, then use the running statistics
 * ```ts
 * import assert from "node:assert/strict";
 * import { BatchNorm } from "./batch_norm.ts";
 * import { tf } from "../backends/tf.ts";
 * const norm = new BatchNorm({ features: 2 });
 * tf.tidy(() => {
 *   const x = tf.tensor2d([[1, 10], [2, 20], [3, 30], [4, 40]]);
 *   norm.apply(x, "train").print(); // each column: mean 0, variance ~1
 *   assert.deepEqual(norm.buffers.runningMean.arraySync(), [0.25, 2.5]); // 0.1 of the means
 *   assert.deepEqual(norm.apply(x, "inference").shape, [4, 2]);
 * });
 * norm.dispose();
 * ```
 */
export class BatchNorm {
  readonly variables: { gamma: tf.Variable; beta: tf.Variable };
  readonly buffers: { runningMean: tf.Variable; runningVariance: tf.Variable };
  readonly features: number;
  readonly momentum: number;
  readonly epsilon: number;

  constructor({ features, momentum = 0.1, epsilon = 1e-5 }: BatchNormOptions) {
    if (!Number.isInteger(features) || features < 1) {
      throw new Error(`features must be a whole number >= 1, got ${features}`);
    }
    if (!(momentum > 0 && momentum <= 1)) {
      throw new Error(`momentum must be in (0, 1], got ${momentum}`);
    }
    if (!(epsilon > 0)) {
      throw new Error(`epsilon must be positive, got ${epsilon}`);
    }
    this.features = features;
    this.momentum = momentum;
    this.epsilon = epsilon;
    const variable = (value: number, trainable: boolean) =>
      tf.tidy(() => tf.variable(tf.fill([features], value), trainable));
    this.variables = { gamma: variable(1, true), beta: variable(0, true) };
    this.buffers = {
      runningMean: variable(0, false),
      runningVariance: variable(1, false),
    };
  }

  /**
   * Normalises `input` (..., features) with the statistics `mode` names;
   * call it inside `tf.tidy`. In "train" mode it also updates the running
   * statistics (plain state: no gradient flows into them).
   */
  apply<T extends tf.Tensor>(input: T, mode: BatchNormMode = "inference"): T {
    const features = input.shape[input.rank - 1];
    if (features !== this.features) {
      throw new Error(
        `BatchNorm of ${this.features} features got input ${
          JSON.stringify(input.shape)
        }`,
      );
    }
    if (mode === "train" && tf.getBackend() === "wasm") {
      return this.#fusedTrain(input);
    }
    const { mean, variance } = this.#statistics(input, mode);
    // Fold gamma / sqrt(variance + epsilon) into one scale per feature.
    const scale = tf.mul(
      this.variables.gamma,
      tf.rsqrt(tf.add(variance, this.epsilon)),
    );
    return tf.add(tf.mul(tf.sub(input, mean), scale), this.variables.beta) as T;
  }

  /**
   * Training mode as genwasm's two wasm kernels (one pass of statistics,
   * one of output; the gradient likewise): the same numbers as the op-by-op
   * version, ~25 fewer kernel calls forward and backward.
   */
  #fusedTrain<T extends tf.Tensor>(input: T): T {
    const attrs = { epsilon: this.epsilon } as unknown as tf.NamedAttrMap;
    const normalize = tf.customGrad(
      (...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
        const [x, gamma, beta] = args as tf.Tensor[];
        const save = args[3] as tf.GradSaveFunc;
        const [y, mean, variance, rstd] = tf.engine().runKernel(
          BATCH_NORM,
          { x, gamma, beta },
          attrs,
        ) as tf.Tensor[];
        // Here: the call frees what it does not return or save.
        this.#track(mean, variance, x.shape[0]);
        save([x, gamma, mean, rstd]);
        return {
          value: y,
          gradFunc: (dy, [savedX, savedGamma, savedMean, savedRstd]) =>
            tf.engine().runKernel(BATCH_NORM_GRAD, {
              dy,
              x: savedX,
              gamma: savedGamma,
              mean: savedMean,
              rstd: savedRstd,
            }) as tf.Tensor[],
        };
      },
    );
    const rows = tf.reshape(input, [-1, this.features]);
    const { gamma, beta } = this.variables;
    return tf.reshape(normalize(rows, gamma, beta), input.shape) as T;
  }

  #statistics(
    input: tf.Tensor,
    mode: BatchNormMode,
  ): { mean: tf.Tensor; variance: tf.Tensor } {
    if (mode === "inference") {
      return {
        mean: this.buffers.runningMean,
        variance: this.buffers.runningVariance,
      };
    }
    // (rows, features): every axis but the last is averaged over.
    let rows = tf.reshape(input, [-1, this.features]);
    if (mode !== "train") {
      const { referenceRows } = mode;
      if (
        !Number.isInteger(referenceRows) || referenceRows < 1 ||
        referenceRows > input.shape[0]
      ) {
        throw new Error(
          `referenceRows must be a whole number in 1..${
            input.shape[0]
          }, got ${referenceRows}`,
        );
      }
      const perRow = rows.shape[0] / input.shape[0];
      rows = tf.slice(rows, [0, 0], [referenceRows * perRow, this.features]);
    }
    const { mean, variance } = tf.moments(rows, 0);
    if (mode === "train") this.#track(mean, variance, rows.shape[0]);
    return { mean, variance };
  }

  /** Moves the running statistics towards a batch's (n values per feature). */
  #track(mean: tf.Tensor, variance: tf.Tensor, n: number): void {
    const { runningMean, runningVariance } = this.buffers;
    const unbiased = n > 1 ? n / (n - 1) : 1;
    const keep = 1 - this.momentum;
    tf.tidy(() => {
      runningMean.assign(
        tf.add(tf.mul(runningMean, keep), tf.mul(mean, this.momentum)),
      );
      runningVariance.assign(
        tf.add(
          tf.mul(runningVariance, keep),
          tf.mul(variance, this.momentum * unbiased),
        ),
      );
    });
  }

  /** Frees the variables and buffers. */
  dispose(): void {
    for (
      const tensor of [this.variables, this.buffers].flatMap(Object.values)
    ) {
      tensor.dispose();
    }
  }
}
