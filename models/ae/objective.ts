/**
 * What the autoencoder learns: per-pixel sigmoid cross-entropy between each
 * image and the logits of its reconstruction, and one optimiser step on it.
 *
 * @module
 */
import { tf } from "../../backends/tf.ts";
import type { ImageSet } from "../../data/image_set.ts";
import type { ConvAutoencoder } from "./model.ts";

/**
 * Mean per-pixel binary cross-entropy of the reconstructions, computed from
 * logits in the numerically stable form max(x, 0) - x z + log(1 + exp(-|x|)).
 *
 * @param model The autoencoder.
 * @param images (batch, size, size, channels) pixels in [0, 1], the targets.
 * @returns The loss in nats per pixel.
 *
 * @example
 * ```ts
 * import { ConvAutoencoder } from "./model.ts";
 * import { reconstructionLoss } from "./objective.ts";
 * import { tf } from "../../backends/tf.ts";
 * const model = new ConvAutoencoder();
 * const images = tf.fill([4, 28, 28, 1], 0.5) as tf.Tensor4D;
 * console.log(tf.tidy(() => reconstructionLoss(model, images).dataSync()[0]));
 * ```
 */
export function reconstructionLoss(
  model: ConvAutoencoder,
  images: tf.Tensor4D,
): tf.Scalar {
  return tf.losses.sigmoidCrossEntropy(images, model.apply(images));
}

/**
 * One optimiser step on a batch; frees every tensor it makes.
 *
 * @param model The autoencoder, updated in place.
 * @param optimizer E.g. `tf.train.adam(1e-3)`.
 * @param images (batch, size, size, channels) pixels in [0, 1].
 * @returns The batch loss before the update.
 *
 * @example
 * ```ts
 * import { ConvAutoencoder } from "./model.ts";
 * import { trainStep } from "./objective.ts";
 * import { tf } from "../../backends/tf.ts";
 * const model = new ConvAutoencoder();
 * const optimizer = tf.train.adam(1e-3);
 * const images = tf.randomUniform([8, 28, 28, 1]) as tf.Tensor4D;
 * console.log(trainStep(model, optimizer, images));
 * ```
 */
export function trainStep(
  model: ConvAutoencoder,
  optimizer: tf.Optimizer,
  images: tf.Tensor4D,
): number {
  const variables = Object.values(model.variables());
  return tf.tidy(() => {
    const loss = optimizer.minimize(
      () => reconstructionLoss(model, images),
      true,
      variables,
    );
    if (!loss) throw new Error("optimizer.minimize returned no loss");
    return loss.dataSync()[0];
  });
}

/**
 * {@link reconstructionLoss} over a whole image set, in chunks so that memory
 * stays bounded; no weights change.
 *
 * @param model The autoencoder.
 * @param set The images, e.g. MNIST's test split.
 * @param batchSize Images per forward pass; default 500.
 * @returns Mean per-pixel cross-entropy over every image.
 *
 * @example
 * ```ts
 * import { ConvAutoencoder } from "./model.ts";
 * import { evaluateLoss } from "./objective.ts";
 * import { loadMnist } from "../../data/mnist.ts";
 * const { test } = await loadMnist();
 * console.log(evaluateLoss(new ConvAutoencoder(), test));
 * ```
 */
export function evaluateLoss(
  model: ConvAutoencoder,
  set: ImageSet,
  batchSize = 500,
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
    const loss = tf.tidy(() => {
      const images = tf.tensor4d(pixels, [size, height, width, channels]);
      return reconstructionLoss(model, images).dataSync()[0];
    });
    total += loss * size;
  }
  return total / count;
}
