/**
 * Spectral normalisation (Miyato et al. 2018): a weight W is used as
 * W / sigma(W), where sigma(W), its largest singular value, is estimated by
 * one step of power iteration per training forward pass from a vector u
 * kept between steps. The layer then has a Lipschitz constant of at most 1,
 * which keeps a discriminator's gradients tame.
 *
 * Notation: W is the weight seen as a matrix (fanIn, outputs) (a kernel
 * (height, width, in, out) is reshaped to (height * width * in, out));
 * u (outputs) and v (fanIn) are the right and left singular vector estimates.
 *
 * @module
 */
import { tf } from "@genwasm/backend/tf";
import { normal, type Random } from "@genwasm/data/random";

/** Identity forward, no gradient backward: the singular vectors are constants. */
const stopGradient = tf.customGrad((x) => ({
  value: tf.clone(x as tf.Tensor),
  gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
})) as (x: tf.Tensor) => tf.Tensor;

/** x / ||x|| with a floor on the norm, for a vector. */
function normalize(x: tf.Tensor): tf.Tensor {
  return tf.div(x, tf.maximum(tf.norm(x), 1e-12));
}

/**
 * The spectrally normalised view of one weight. `u` is a buffer (saved and
 * restored with the model, not trained).
 *
 * @example sigma of diag(3, 1) is 3
 * ```ts
 * import assert from "node:assert/strict";
 * import { SpectralNorm } from "./spectral_norm.ts";
 * import { mulberry32 } from "../../data/random.ts";
 * import { tf } from "../../backends/tf.ts";
 * const weight = tf.variable(tf.tensor2d([[3, 0], [0, 1]]));
 * const norm = new SpectralNorm(weight, mulberry32(0));
 * for (let i = 0; i < 20; i++) tf.tidy(() => norm.apply(true));
 * assert.ok(Math.abs(norm.sigma() - 3) < 1e-3);
 * norm.dispose();
 * weight.dispose();
 * ```
 */
export class SpectralNorm {
  /** The weight being normalised (not owned). */
  readonly weight: tf.Variable;
  /** (outputs) the right singular vector estimate, unit length. */
  readonly u: tf.Variable;

  /** Draws the starting u from `random` (standard normal, normalised). */
  constructor(weight: tf.Variable, random: Random) {
    this.weight = weight;
    const outputs = weight.shape[weight.rank - 1];
    const start = Float32Array.from({ length: outputs }, () => normal(random));
    this.u = tf.tidy(() => tf.variable(normalize(tf.tensor1d(start)), false));
  }

  /**
   * W / sigma(W) after one power-iteration step from u; call it inside
   * `tf.tidy`. Gradients flow through W and sigma's dependence on W, with
   * u and v held constant (as in the paper). With `update`, u keeps the
   * new estimate (training); without, it stays (evaluation).
   */
  apply(update: boolean): tf.Tensor {
    const { sigma, u } = this.#iterate();
    if (update) tf.tidy(() => this.u.assign(u));
    return tf.div(this.weight, sigma);
  }

  /** The current estimate of sigma(W) (one power step, u unchanged). */
  sigma(): number {
    return tf.tidy(() => this.#iterate().sigma.dataSync()[0]);
  }

  #iterate(): { sigma: tf.Tensor; u: tf.Tensor } {
    const outputs = this.u.shape[0];
    // (fanIn, outputs)
    const matrix = tf.reshape(this.weight, [-1, outputs]) as tf.Tensor2D;
    const constant = stopGradient(matrix) as tf.Tensor2D;
    // v = W u / ||W u||, then u = W^T v / ||W^T v||.
    const v = normalize(
      tf.squeeze(tf.matMul(constant, tf.reshape(this.u, [outputs, 1])), [1]),
    );
    const u = normalize(
      tf.squeeze(tf.matMul(tf.reshape(v, [1, -1]), constant), [0]),
    );
    // sigma = v^T W u, differentiable in W.
    const wu = tf.matMul(matrix, tf.reshape(u, [outputs, 1]));
    const sigma = tf.sum(tf.mul(tf.reshape(v, [-1, 1]), wu));
    return { sigma, u };
  }

  /** Frees u (the weight belongs to its layer). */
  dispose(): void {
    this.u.dispose();
  }
}
