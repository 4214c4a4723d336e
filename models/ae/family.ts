/**
 * The autoencoder as the CLI's registry sees it.
 *
 * @module
 */
import { tf } from "@genwasm/backend/tf";
import { imageTensor } from "@genwasm/data/image_set";
import type { ModelFamily } from "../family.ts";
import { pairRows, reconstructionCount } from "../_pictures.ts";
import { type Autoencoder, createAutoencoder } from "./autoencoder.ts";
import { AE_PRESETS } from "./presets.ts";
import { evaluateLoss } from "./objective.ts";

/** The autoencoder family (`ae`): reconstructions and their error. */
export const aeFamily: ModelFamily<Autoencoder> = {
  name: "ae",
  summary: "convolutional autoencoder (BCE or MSE reconstruction)",
  presets: Object.keys(AE_PRESETS),
  configKeys: Object.keys(AE_PRESETS.ae),
  training: { learningRate: 1e-3, batchSize: 64 },
  sampleKinds: ["reconstructions"],
  create: (preset, overrides, seed) =>
    createAutoencoder({ preset, seed, ...overrides }),
  sample(ae, { count, test }) {
    const images = imageTensor(
      test,
      0,
      reconstructionCount(count, test.shape[0]),
    );
    return pairRows(images, ae.reconstruct(images));
  },
  encode: (ae, images) => ae.encode(images),
  evaluate(ae, { test }) {
    const mse = tf.tidy(() => {
      const images = imageTensor(test, 0, Math.min(2000, test.shape[0]));
      return tf.mean(tf.squaredDifference(ae.reconstruct(images), images))
        .dataSync()[0];
    });
    return Promise.resolve({
      reconstruction_loss: evaluateLoss(ae.network, test, 500, ae.config.loss),
      reconstruction_mse: mse,
    });
  },
};
