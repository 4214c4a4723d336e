/**
 * The coupling layer (RealNVP; Glow section 3.3). The channels are split
 * into a passive half x_a (the first floor(c / 2)) and an active half x_b;
 * a network of x_a gives the map of x_b, so the inverse and the
 * log-determinant never need the network's inverse:
 *
 *   affine:   (shift, raw) = NN(x_a),  scale = sigmoid(raw + 2),
 *             z_b = (x_b + shift) * scale,  log |det| = sum log scale;
 *   additive: shift = NN(x_a),  z_b = x_b + shift,  log |det| = 0;
 *
 * and z_a = x_a. The sigmoid scale (Glow's code) lies in (0, 1) and starts
 * at sigmoid(2) ~ 0.88 since the network's last layer starts at zero.
 *
 * @module
 */
import { tf } from "@genwasm/backend/tf";
import {
  type Array4,
  concatChannels,
  type Float64FlowLayer,
  mapValues,
  sliceChannels,
} from "./float64.ts";
import type { Random } from "@genwasm/data/random";
import { CouplingNetwork } from "./coupling_network.ts";
import {
  type FlowLayer,
  type FlowResult,
  prefixKeys,
  sameForEach,
  sumPerExample,
} from "./flow_layer.ts";

/** Affine (scale and shift) or additive (shift only, volume preserving). */
export type CouplingKind = "affine" | "additive";

/** The names {@link CouplingKind} takes. */
export const COUPLING_KINDS: readonly CouplingKind[] = ["affine", "additive"];

/** Added to the raw scale before the sigmoid, as in Glow. */
const SCALE_OFFSET = 2;

/** Options of {@link Coupling}. */
export interface CouplingOptions {
  /** Channels of x, at least 2. */
  channels: number;
  kind: CouplingKind;
  /** Width of the network's hidden layers. */
  hiddenChannels: number;
  /** Kernel sides of the network's convolutions, e.g. [3, 1, 3]. */
  kernelSizes: readonly [number, number, number];
  random: Random;
}

/**
 * An affine or additive coupling; variables `network.conv1.kernel`, ...
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Coupling } from "./coupling.ts";
 * import { mulberry32 } from "../../data/random.ts";
 * import { tf } from "../../backends/tf.ts";
 * const coupling = new Coupling({
 *   channels: 4, kind: "affine", hiddenChannels: 8, kernelSizes: [3, 1, 3],
 *   random: mulberry32(0),
 * });
 * // The zero-initialised network gives every scale sigmoid(0 + 2): half of the
 * // 16 values are scaled, so log|det| = 8 ln sigmoid(2).
 * const logDet = tf.tidy(() => coupling.forward(tf.ones([1, 2, 2, 4])).logDet);
 * assert.ok(Math.abs(logDet.dataSync()[0] - 8 * Math.log(1 / (1 + Math.exp(-2)))) < 1e-5);
 * logDet.dispose();
 * coupling.dispose();
 * ```
 */
export class Coupling implements FlowLayer {
  readonly network: CouplingNetwork;
  readonly variables: Record<string, tf.Variable>;
  readonly buffers = {};
  readonly kind: CouplingKind;
  /** Channels of x_a and x_b. */
  readonly #split: [number, number];

  constructor(
    { channels, kind, hiddenChannels, kernelSizes, random }: CouplingOptions,
  ) {
    if (!Number.isInteger(channels) || channels < 2) {
      throw new Error(`a coupling needs at least 2 channels, got ${channels}`);
    }
    if (!COUPLING_KINDS.includes(kind)) {
      throw new Error(
        `unknown coupling "${kind}": use ${COUPLING_KINDS.join(" or ")}`,
      );
    }
    this.kind = kind;
    const passive = Math.floor(channels / 2);
    const active = channels - passive;
    this.#split = [passive, active];
    this.network = new CouplingNetwork({
      inputChannels: passive,
      hiddenChannels,
      outputChannels: kind === "affine" ? 2 * active : active,
      kernelSizes,
      random,
    });
    this.variables = prefixKeys("network", this.network.variables);
  }

  /** shift and, for affine couplings, raw scale (before sigmoid) from x_a. */
  #parameters(passive: tf.Tensor4D): { shift: tf.Tensor; raw?: tf.Tensor } {
    const output = this.network.apply(passive);
    if (this.kind === "additive") return { shift: output };
    const [shift, raw] = tf.split(output, 2, 3);
    return { shift, raw: tf.add(raw, SCALE_OFFSET) };
  }

  forward(x: tf.Tensor4D): FlowResult {
    return tf.tidy(() => {
      const [passive, active] = tf.split(x, this.#split, 3) as tf.Tensor4D[];
      const { shift, raw } = this.#parameters(passive);
      if (!raw) {
        return {
          z: tf.concat([passive, tf.add(active, shift)], 3) as tf.Tensor4D,
          logDet: sameForEach(x.shape[0], tf.scalar(0)),
        };
      }
      const transformed = tf.mul(tf.add(active, shift), tf.sigmoid(raw));
      return {
        z: tf.concat([passive, transformed], 3) as tf.Tensor4D,
        // log sigmoid(r) = -softplus(-r); tf.logSigmoid loses its saved
        // input inside tf.tidy under a gradient tape (tfjs 4.22).
        logDet: sumPerExample(tf.neg(tf.softplus(tf.neg(raw)))),
      };
    });
  }

  inverse(z: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const [passive, active] = tf.split(z, this.#split, 3) as tf.Tensor4D[];
      const { shift, raw } = this.#parameters(passive);
      const restored = raw
        ? tf.sub(tf.div(active, tf.sigmoid(raw)), shift)
        : tf.sub(active, shift);
      return tf.concat([passive, restored], 3) as tf.Tensor4D;
    });
  }

  float64(): Float64FlowLayer {
    const [passive] = this.#split;
    const network = this.network.float64();
    const parameters = (x: Array4) => {
      const output = network(sliceChannels(x, 0, passive));
      if (this.kind === "additive") return { shift: output };
      const half = output.shape[3] / 2;
      return {
        shift: sliceChannels(output, 0, half),
        scale: mapValues(
          sliceChannels(output, half, 2 * half),
          (raw) => 1 / (1 + Math.exp(-(raw + SCALE_OFFSET))),
        ),
      };
    };
    const map = (x: Array4, direction: "forward" | "inverse"): Array4 => {
      const { shift, scale } = parameters(x);
      const active = sliceChannels(x, passive, x.shape[3]);
      const out = active.data.map((v, i) => {
        const s = scale ? scale.data[i] : 1;
        return direction === "forward"
          ? (v + shift.data[i]) * s
          : v / s - shift.data[i];
      });
      return concatChannels(sliceChannels(x, 0, passive), {
        data: out,
        shape: active.shape,
      });
    };
    return {
      forward: (x) => map(x, "forward"),
      inverse: (z) => map(z, "inverse"),
    };
  }

  dispose(): void {
    this.network.dispose();
  }
}
