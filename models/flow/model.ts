/**
 * The multi-scale flow network of RealNVP and Glow, networks only: levels
 * of squeeze -> K flow steps, with half the channels split off to the
 * prior after every level but the last. Maps pre-processed images
 * (logits) to latents and back; pre-processing, the prior and the
 * likelihood live in `flow.ts` and `objective.ts`.
 *
 * Variable and buffer names are what checkpoints store; they never change:
 *
 * | name (level l, step k, both from 1)                 | shape, canonical level 1 |
 * | --------------------------------------------------- | ------------------------ |
 * | levelL.stepK.actnorm.bias / .logScale               | (4) / (4)                |
 * | levelL.stepK.permutation.kernel ("conv")            | (4, 4)                   |
 * | levelL.stepK.coupling.network.conv1.kernel / .bias  | (3, 3, 2, 64) / (64)     |
 * | levelL.stepK.coupling.network.conv2.kernel / .bias  | (1, 1, 64, 64) / (64)    |
 * | levelL.stepK.coupling.network.conv3.kernel / .bias  | (3, 3, 64, 4) / (4)      |
 * | buffer levelL.stepK.actnorm.initialized             | ()                       |
 *
 * "conv-lu" has `permutation.lower`, `.upper`, `.logScale` and buffers
 * `.permutation`, `.sign`; "reverse" and "shuffle" a buffer `.order`.
 *
 * @module
 */
import { tf } from "@genwasm/backend/tf";
import { type Array4, concatChannels, sliceChannels } from "./float64.ts";
import type { Random } from "@genwasm/data/random";
import type { FlowConfig } from "./presets.ts";
import { createFlowStep } from "./flow_step.ts";
import { prefixKeys } from "./flow_layer.ts";
import { FlowSequence } from "./sequence.ts";
import { ChannelSplit } from "./split.ts";
import { Squeeze } from "./squeeze.ts";

/** The image network's kernel sides: Conv3x3 -> Conv1x1 -> Conv3x3. */
const IMAGE_KERNEL_SIZES = [3, 1, 3] as const;

/** Latents of a batch and the log-determinant of the whole network. */
export interface MultiScaleResult {
  /**
   * One tensor per level: the halves split off after levels 1..L-1, then
   * the last level's output. Canonical: (batch, 14, 14, 2), (batch, 7, 7, 8).
   */
  latents: tf.Tensor4D[];
  /** (batch) in nats. */
  logDet: tf.Tensor1D;
}

/**
 * The levels of a multi-scale flow.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MultiScaleFlow } from "./model.ts";
 * import { flowPreset } from "./presets.ts";
 * import { mulberry32 } from "../../data/random.ts";
 * import { tf } from "../../backends/tf.ts";
 * const network = new MultiScaleFlow(flowPreset("flow"), mulberry32(0));
 * assert.deepEqual(network.latentShapes(), [[14, 14, 2], [7, 7, 8]]); // 392 + 392 = 784
 * tf.tidy(() => {
 *   const { latents } = network.forward(tf.zeros([2, 28, 28, 1]));
 *   assert.deepEqual(network.inverse(latents).shape, [2, 28, 28, 1]);
 * });
 * network.dispose();
 * ```
 */
export class MultiScaleFlow {
  /** Level l (from 0): a squeeze then the steps, named `squeeze`, `step1`, ... */
  readonly levels: FlowSequence[];
  readonly variables: Record<string, tf.Variable>;
  readonly buffers: Record<string, tf.Variable>;
  readonly #split = new ChannelSplit();
  readonly #shapes: [number, number, number][];

  /** Draws the initial weights from `random`, level by level, step by step. */
  constructor(
    config: Pick<
      FlowConfig,
      | "imageSize"
      | "channels"
      | "levels"
      | "stepsPerLevel"
      | "couplingWidth"
      | "coupling"
      | "permutation"
    >,
    random: Random,
  ) {
    this.levels = [];
    this.#shapes = [];
    let size = config.imageSize;
    let channels = config.channels;
    for (let level = 1; level <= config.levels; level++) {
      size /= 2;
      channels *= 4;
      const layers: Record<string, FlowSequence | Squeeze> = {
        squeeze: new Squeeze(),
      };
      for (let step = 1; step <= config.stepsPerLevel; step++) {
        layers[`step${step}`] = createFlowStep({
          channels,
          coupling: config.coupling,
          permutation: config.permutation,
          hiddenChannels: config.couplingWidth,
          kernelSizes: IMAGE_KERNEL_SIZES,
          random,
          label: `level ${level} step ${step}`,
        });
      }
      this.levels.push(new FlowSequence(layers));
      if (level < config.levels) {
        const kept = Math.floor(channels / 2);
        this.#shapes.push([size, size, channels - kept]);
        channels = kept;
      } else {
        this.#shapes.push([size, size, channels]);
      }
    }
    this.variables = Object.assign(
      {},
      ...this.levels.map((level, i) =>
        prefixKeys(`level${i + 1}`, level.variables)
      ),
    );
    this.buffers = Object.assign(
      {},
      ...this.levels.map((level, i) =>
        prefixKeys(`level${i + 1}`, level.buffers)
      ),
    );
  }

  /** (height, width, channels) of each latent, in the order of `latents`. */
  latentShapes(): [number, number, number][] {
    return this.#shapes.map((shape) => [...shape]);
  }

  /** (batch, size, size, channels) -> latents and log |det| per example. */
  forward(x: tf.Tensor4D): MultiScaleResult {
    return tf.tidy(() => {
      const latents: tf.Tensor4D[] = [];
      let logDet: tf.Tensor1D = tf.zeros([x.shape[0]]);
      let h = x;
      this.levels.forEach((level, index) => {
        const result = level.forward(h);
        logDet = tf.add(logDet, result.logDet);
        if (index < this.levels.length - 1) {
          const { kept, factored } = this.#split.forward(result.z);
          latents.push(factored);
          h = kept;
        } else {
          latents.push(result.z);
        }
      });
      return { latents, logDet };
    });
  }

  /** Latents (as {@link forward} gives them) -> (batch, size, size, channels). */
  inverse(latents: tf.Tensor4D[]): tf.Tensor4D {
    if (latents.length !== this.levels.length) {
      throw new Error(
        `expected ${this.levels.length} latents, got ${latents.length}`,
      );
    }
    return tf.tidy(() => {
      let h = this.levels[this.levels.length - 1].inverse(latents.at(-1)!);
      for (let index = this.levels.length - 2; index >= 0; index--) {
        const joined = this.#split.inverse({
          kept: h,
          factored: latents[index],
        });
        h = this.levels[index].inverse(joined);
      }
      return h;
    });
  }

  /** {@link forward} and {@link inverse} in float64 with the current weights (see `float64.ts`). */
  float64(): {
    forward(x: Array4): Array4[];
    inverse(latents: Array4[]): Array4;
  } {
    const levels = this.levels.map((level) => level.float64());
    const last = levels.length - 1;
    return {
      forward: (x) => {
        const latents: Array4[] = [];
        let h = x;
        levels.forEach((level, index) => {
          const z = level.forward(h);
          if (index === last) return latents.push(z);
          const kept = Math.floor(z.shape[3] / 2);
          latents.push(sliceChannels(z, kept, z.shape[3]));
          h = sliceChannels(z, 0, kept);
        });
        return latents;
      },
      inverse: (latents) => {
        let h = levels[last].inverse(latents[last]);
        for (let index = last - 1; index >= 0; index--) {
          h = levels[index].inverse(concatChannels(h, latents[index]));
        }
        return h;
      },
    };
  }

  /** ActNorm's data-dependent initialisation, level by level, from a batch of inputs. */
  initialize(x: tf.Tensor4D): void {
    tf.tidy(() => {
      let h = x;
      this.levels.forEach((level, index) => {
        level.initialize(h);
        if (index < this.levels.length - 1) {
          h = this.#split.forward(level.forward(h).z).kept;
        }
      });
    });
  }

  /** Throws SingularConvolutionError naming the first singular 1x1 convolution. */
  assertInvertible(): void {
    for (const level of this.levels) level.assertInvertible();
  }

  dispose(): void {
    for (const level of this.levels) level.dispose();
  }
}
