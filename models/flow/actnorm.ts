/**
 * ActNorm (Kingma & Dhariwal 2018, Glow, section 3.1): a per-channel
 * affine map z = (x + bias) * exp(logScale), with
 * log |det| = height * width * sum(logScale) per example.
 *
 * Data-dependent initialisation: before the first training step,
 * {@link ActNorm.initialize} sets bias = -mean and
 * logScale = -log(std + 1e-6) from a batch, so each channel starts with
 * zero mean and unit variance. The buffer `initialized` (0 or 1) records
 * that it happened, so a checkpoint restores an initialised layer and it is
 * never done twice.
 *
 * @module
 */
import { tf } from "@genwasm/backend/tf";
import { type Float64FlowLayer, float64Of, mapValues } from "./float64.ts";
import {
  disposeVariables,
  type FlowLayer,
  type FlowResult,
  sameForEach,
  variableOf,
} from "./flow_layer.ts";

/** Added to the standard deviation so a constant channel stays finite. */
const EPSILON = 1e-6;

/**
 * Per-channel scale and shift with data-dependent initialisation; an
 * identity until initialised.
 *
 * @example
 * ```ts
 * import { ActNorm } from "./actnorm.ts";
 * import { tf } from "../../backends/tf.ts";
 * const actnorm = new ActNorm(3);
 * tf.tidy(() => {
 *   const x = tf.randomNormal([8, 4, 4, 3], 5, 2, "float32", 1) as tf.Tensor4D;
 *   actnorm.initialize(x); // data-dependent: this batch comes out with mean 0, variance 1
 *   tf.moments(actnorm.forward(x).z, [0, 1, 2]).mean.print(); // ~[0, 0, 0]
 * });
 * actnorm.dispose();
 * ```
 */
export class ActNorm implements FlowLayer {
  readonly variables: { bias: tf.Variable; logScale: tf.Variable };
  readonly buffers: { initialized: tf.Variable };

  constructor(readonly channels: number) {
    this.variables = {
      bias: variableOf(new Float32Array(channels), [channels]),
      logScale: variableOf(new Float32Array(channels), [channels]),
    };
    this.buffers = {
      initialized: variableOf([0], [], { trainable: false }),
    };
  }

  /** Whether the data-dependent initialisation has run (read from the buffer). */
  get isInitialized(): boolean {
    return this.buffers.initialized.dataSync()[0] !== 0;
  }

  /** Sets bias and scale from `x` so its channels come out standardised; once only. */
  initialize(x: tf.Tensor4D): void {
    if (this.isInitialized) return;
    tf.tidy(() => {
      const { mean, variance } = tf.moments(x, [0, 1, 2]);
      this.variables.bias.assign(tf.neg(mean));
      this.variables.logScale.assign(
        tf.neg(tf.log(tf.add(tf.sqrt(variance), EPSILON))),
      );
      this.buffers.initialized.assign(tf.scalar(1));
    });
  }

  forward(x: tf.Tensor4D): FlowResult {
    return tf.tidy(() => {
      const { bias, logScale } = this.variables;
      const [batch, height, width] = x.shape;
      const z = tf.mul(tf.add(x, bias), tf.exp(logScale)) as tf.Tensor4D;
      const logDet = sameForEach(
        batch,
        tf.mul(height * width, tf.sum(logScale)),
      );
      return { z, logDet };
    });
  }

  float64(): Float64FlowLayer {
    const bias = float64Of(this.variables.bias);
    const scale = float64Of(this.variables.logScale).map(Math.exp);
    return {
      forward: (x) => mapValues(x, (v, c) => (v + bias[c]) * scale[c]),
      inverse: (z) => mapValues(z, (v, c) => v / scale[c] - bias[c]),
    };
  }

  inverse(z: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const { bias, logScale } = this.variables;
      return tf.sub(tf.mul(z, tf.exp(tf.neg(logScale))), bias) as tf.Tensor4D;
    });
  }

  dispose(): void {
    disposeVariables(this.variables, this.buffers);
  }
}
