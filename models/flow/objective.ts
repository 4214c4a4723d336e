/**
 * What the image flow learns: the exact log-likelihood by change of
 * variables (Dinh et al. 2017; Kingma & Dhariwal 2018),
 *
 *   log p(x) = log N(z; 0, I) + sum_layers log |det dz_i / dz_{i-1}|,
 *
 * through dequantisation (-D ln 256, see `dequantization.ts`), the logit
 * pre-processing and the multi-scale network, where z is every latent the
 * network factors out. The loss is the negative log-likelihood in bits
 * per dimension, nll / (D ln 2) with D = height * width * channels.
 *
 * @module
 */
import { tf } from "@genwasm/backend/tf";
import type { ImageSet } from "@genwasm/data/image_set";
import { Mulberry32 } from "@genwasm/data/random";
import { bitsPerDim } from "@genwasm/eval/bits_per_dim";
import type { TrainingPhase } from "../contract.ts";
import type { UniformDequantization } from "./dequantization.ts";
import { standardNormalLogDensity } from "./gaussian.ts";
import type { LogitTransform } from "./logit.ts";
import type { MultiScaleFlow } from "./model.ts";

/** The pieces of an image flow, in the order data passes them. */
export interface FlowNetworks {
  readonly dequantization: UniformDequantization;
  readonly logit: LogitTransform;
  readonly network: MultiScaleFlow;
}

/**
 * log p(y) of continuous values y in (0, 1)^D: logit, network, prior.
 *
 * @param y (batch, size, size, channels), e.g. dequantised pixels.
 * @returns (batch) in nats.
 *
 * @example
 * ```ts
 * import { logDensity } from "./objective.ts";
 * import { createFlow } from "./flow.ts";
 * import { tf } from "../../backends/tf.ts";
 * const flow = createFlow("flow-small");
 * tf.tidy(() => logDensity(flow, tf.fill([1, 28, 28, 1], 0.5)).print()); // nats an image
 * flow.dispose();
 * ```
 */
export function logDensity(
  networks: FlowNetworks,
  y: tf.Tensor4D,
): tf.Tensor1D {
  return tf.tidy(() => {
    const logits = networks.logit.forward(y);
    const { latents, logDet } = networks.network.forward(logits.z);
    let logPrior: tf.Tensor1D = tf.zeros([y.shape[0]]);
    for (const z of latents) {
      logPrior = tf.add(logPrior, standardNormalLogDensity(z));
    }
    return tf.add(tf.add(logPrior, logDet), logits.logDet);
  });
}

/**
 * log P(x) of 8-bit images (its dequantisation bound, one draw of the
 * noise per image): log p(y) - D ln 256 with y the dequantised pixels.
 *
 * @param images (batch, size, size, channels) pixels in [0, 1].
 * @param seed Seed of the dequantisation noise.
 * @returns (batch) in nats.
 */
export function logLikelihood(
  networks: FlowNetworks,
  images: tf.Tensor4D,
  seed: number,
): tf.Tensor1D {
  return tf.tidy(() => {
    const { z: y, logDet } = networks.dequantization.forward(images, seed);
    return tf.add(logDensity(networks, y), logDet);
  });
}

/**
 * The training loss: mean negative log-likelihood in bits per dimension.
 *
 * @example
 * ```ts
 * import { bitsPerDimLoss } from "./objective.ts";
 * import { createFlow } from "./flow.ts";
 * import { tf } from "../../backends/tf.ts";
 * const flow = createFlow("flow-small");
 * tf.tidy(() => bitsPerDimLoss(flow, tf.zeros([2, 28, 28, 1]), 1).print()); // about 9.8 untrained
 * flow.dispose();
 * ```
 */
export function bitsPerDimLoss(
  networks: FlowNetworks,
  images: tf.Tensor4D,
  seed: number,
): tf.Scalar {
  return tf.tidy(() => {
    const dims = images.size / images.shape[0];
    return tf.mul(
      tf.neg(tf.mean(logLikelihood(networks, images, seed))),
      bitsPerDim(1, dims),
    );
  });
}

/**
 * The flow's one training phase, "loss" (bits/dim) on group "model", with
 * the dequantisation noise drawn from the step's next seed.
 */
export function flowPhases(networks: FlowNetworks): TrainingPhase[] {
  return [{
    name: "loss",
    group: "model",
    loss: (batch, context) =>
      bitsPerDimLoss(networks, batch.images, context.seed()),
  }];
}

/** Options of {@link evaluateBitsPerDim}. */
export interface BitsPerDimOptions {
  /** Images per forward pass; default 500. */
  batchSize?: number;
  /** Use only the first `count` images; default all. */
  count?: number;
  /** Seed of the dequantisation noise; default 0, so evaluations agree. */
  seed?: number;
}

/**
 * Mean negative log-likelihood of an image set in bits per dimension, in
 * chunks so memory stays bounded; no weights change.
 *
 * @example
 * ```ts
 * import { evaluateBitsPerDim } from "./objective.ts";
 * import { createFlow } from "./flow.ts";
 * import { loadMnist } from "../../data/mnist.ts";
 * const { test } = await loadMnist();
 * const flow = createFlow("flow-small");
 * console.log(evaluateBitsPerDim(flow, test, { count: 16 })); // 9.6 untrained (no ActNorm init)
 * flow.dispose();
 * ```
 */
export function evaluateBitsPerDim(
  networks: FlowNetworks,
  set: ImageSet,
  { batchSize = 500, count = set.shape[0], seed = 0 }: BitsPerDimOptions = {},
): number {
  const [total, height, width, channels] = set.shape;
  count = Math.min(count, total);
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new Error(`batchSize must be a whole number >= 1, got ${batchSize}`);
  }
  if (!(count >= 1)) throw new Error("evaluateBitsPerDim: no images");
  const dims = height * width * channels;
  const seeds = new Mulberry32(seed);
  let nats = 0;
  for (let start = 0; start < count; start += batchSize) {
    const size = Math.min(batchSize, count - start);
    nats += tf.tidy(() => {
      const images = tf.tensor4d(
        set.images.subarray(start * dims, (start + size) * dims),
        [size, height, width, channels],
      );
      return -tf.sum(logLikelihood(networks, images, seeds.nextSeed()))
        .dataSync()[0];
    });
  }
  return bitsPerDim(nats / count, dims);
}
