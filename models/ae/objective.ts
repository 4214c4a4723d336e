/**
 * What the autoencoder learns: a per-pixel reconstruction loss between each
 * image and the decoder's logits (binary cross-entropy, the default, or the
 * squared error of the sigmoid), and one optimiser step on it.
 *
 * @module
 */
import { tf } from "@genwasm/backend/tf";
import type { ImageSet } from "@genwasm/data/image_set";
import type { ConvAutoencoder } from "./model.ts";

/** Which reconstruction loss: "bce" (sigmoid cross-entropy) or "mse". */
export type ReconstructionLossName = "bce" | "mse";

/**
 * Reconstruction losses by name, each the mean over pixels of
 * (targets in [0, 1], logits) -> scalar:
 *
 * - bce: max(x, 0) - x z + log(1 + exp(-|x|)), binary cross-entropy of the
 *   logits x against the pixels z, in the numerically stable form, in nats;
 * - mse: (sigmoid(x) - z)^2, squared error of the reconstructed pixels.
 */
export const RECONSTRUCTION_LOSSES: Readonly<
  Record<
    ReconstructionLossName,
    (images: tf.Tensor4D, logits: tf.Tensor4D) => tf.Scalar
  >
> = {
  bce: (images, logits) => tf.losses.sigmoidCrossEntropy(images, logits),
  mse: (images, logits) =>
    tf.losses.meanSquaredError(images, tf.sigmoid(logits)),
};

/**
 * Checks a loss name.
 *
 * @throws Error naming an unknown loss and listing the known ones.
 */
function lossFunction(
  name: ReconstructionLossName,
): (images: tf.Tensor4D, logits: tf.Tensor4D) => tf.Scalar {
  if (!Object.hasOwn(RECONSTRUCTION_LOSSES, name)) {
    throw new Error(
      `unknown reconstruction loss "${name}": use ${
        Object.keys(RECONSTRUCTION_LOSSES).join(" or ")
      }`,
    );
  }
  return RECONSTRUCTION_LOSSES[name];
}

/**
 * Mean per-pixel reconstruction loss of a batch; see
 * {@link RECONSTRUCTION_LOSSES}.
 *
 * @param model The autoencoder.
 * @param images (batch, size, size, channels) pixels in [0, 1], the targets.
 * @param loss "bce" (default; nats per pixel) or "mse".
 * @returns The loss per pixel.
 *
 * @example
 * ```ts
 * import { ConvAutoencoder } from "./model.ts";
 * import { reconstructionLoss } from "./objective.ts";
 * import { tf } from "../../backends/tf.ts";
 * const model = new ConvAutoencoder();
 * const images = tf.fill([4, 28, 28, 1], 0.5) as tf.Tensor4D;
 * console.log(tf.tidy(() => reconstructionLoss(model, images).dataSync()[0])); // about ln 2
 * console.log(tf.tidy(() => reconstructionLoss(model, images, "mse").dataSync()[0])); // about 0
 * ```
 */
export function reconstructionLoss(
  model: ConvAutoencoder,
  images: tf.Tensor4D,
  loss: ReconstructionLossName = "bce",
): tf.Scalar {
  const lossOf = lossFunction(loss);
  return tf.tidy(() => lossOf(images, model.apply(images)));
}

/**
 * One optimiser step on a batch; frees every tensor it makes.
 *
 * @param model The autoencoder, updated in place.
 * @param optimizer E.g. `tf.train.adam(1e-3)`.
 * @param images (batch, size, size, channels) pixels in [0, 1].
 * @param loss "bce" (default) or "mse".
 * @returns The batch loss before the update.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ConvAutoencoder } from "./model.ts";
 * import { trainStep } from "./objective.ts";
 * import { tf } from "../../backends/tf.ts";
 * const model = new ConvAutoencoder();
 * const optimizer = tf.train.adam(1e-3);
 * const images = tf.randomUniform([8, 28, 28, 1]) as tf.Tensor4D;
 * const loss = trainStep(model, optimizer, images); // about ln 2 at first
 * assert.ok(loss > 0);
 * ```
 */
export function trainStep(
  model: ConvAutoencoder,
  optimizer: tf.Optimizer,
  images: tf.Tensor4D,
  loss: ReconstructionLossName = "bce",
): number {
  const variables = Object.values(model.variables());
  return tf.tidy(() => {
    const cost = optimizer.minimize(
      () => reconstructionLoss(model, images, loss),
      true,
      variables,
    );
    if (!cost) throw new Error("optimizer.minimize returned no loss");
    return cost.dataSync()[0];
  });
}

/**
 * {@link reconstructionLoss} over a whole image set, in chunks so that memory
 * stays bounded; no weights change.
 *
 * @param model The autoencoder.
 * @param set The images, e.g. MNIST's test split.
 * @param batchSize Images per forward pass; default 500.
 * @param loss "bce" (default) or "mse".
 * @returns Mean per-pixel loss over every image.
 *
 * @example
 * ```ts
 * import { ConvAutoencoder } from "./model.ts";
 * import { evaluateLoss } from "./objective.ts";
 * import { loadMnist } from "../../data/mnist.ts";
 * const { test } = await loadMnist(); // evaluateLoss(model, test): the whole split
 * const first100 = { ...test, images: test.images.subarray(0, 100 * 784), shape: [100, 28, 28, 1] as [number, number, number, number] };
 * const model = new ConvAutoencoder();
 * console.log(evaluateLoss(model, first100)); // mean BCE a pixel, about ln 2 untrained
 * model.dispose();
 * ```
 */
export function evaluateLoss(
  model: ConvAutoencoder,
  set: ImageSet,
  batchSize = 500,
  loss: ReconstructionLossName = "bce",
): number {
  const [count, height, width, channels] = set.shape;
  const imageLength = height * width * channels;
  let total = 0;
  for (let start = 0; start < count; start += batchSize) {
    const size = Math.min(batchSize, count - start);
    const pixels = set.images.subarray(
      start * imageLength,
      (start + size) * imageLength,
    );
    const chunkLoss = tf.tidy(() => {
      const images = tf.tensor4d(pixels, [size, height, width, channels]);
      return reconstructionLoss(model, images, loss).dataSync()[0];
    });
    total += chunkLoss * size;
  }
  return total / count;
}
