/**
 * A tiny TrainableModel for trainer tests, with its data, quick training
 * options and a temporary run folder: a dense autoencoder on 4x4 images
 * with seeded noise on its input (so the random stream matters), a switch
 * that makes the loss NaN from a given step on, and optionally state: a
 * buffer counting the images seen and a data-dependent initialisation that
 * sets the decoder bias to the first batch's mean pixel.
 */
import { tf } from "../../backends/tf.ts";
import type { ImageSet } from "../../data/image_set.ts";
import { Rng } from "../_helpers.ts";
import type { TrainableModel } from "../../models/contract.ts";
import {
  TRAINING_DEFAULTS,
  type TrainingOptions,
} from "../../train/trainer.ts";

/** Run options that keep train() silent. */
export const quiet = { write: () => {}, interactive: false };

/** A few quick steps on {@link tinyImages}: a log line each, no pictures. */
export function tinyOptions(
  overrides: Partial<TrainingOptions> = {},
): TrainingOptions {
  return {
    ...TRAINING_DEFAULTS,
    steps: 3,
    batchSize: 8,
    learningRate: 0.05,
    logEvery: 1,
    checkpointEvery: 100,
    sampleEvery: 0,
    ...overrides,
  };
}

/** Runs `fn` in a new temporary folder, removed afterwards. */
export async function withTempDir(
  fn: (dir: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "genwasm-train-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

export function tinyImages(count: number, seed: number): ImageSet {
  const rng = new Rng(seed);
  return {
    images: rng.uniform(count * 16, 0, 1),
    labels: Uint8Array.from({ length: count }, (_, i) => i % 3),
    shape: [count, 4, 4, 1],
  };
}

export function tinyModel(
  { seed = 1, nanFromStep = Infinity, withGenerate = true, stateful = false } =
    {},
): TrainableModel & { weights: Map<string, tf.Variable> } {
  const rng = new Rng(seed);
  const weights = new Map<string, tf.Variable>([
    [
      "encoder.kernel",
      tf.variable(tf.tensor2d(rng.uniform(16 * 3, -0.3, 0.3), [16, 3])),
    ],
    [
      "decoder.kernel",
      tf.variable(tf.tensor2d(rng.uniform(3 * 16, -0.3, 0.3), [3, 16])),
    ],
    ["decoder.bias", tf.variable(tf.zeros([16]))],
  ]);
  const buffers = new Map<string, tf.Variable>([
    ["seen", tf.variable(tf.scalar(0), false)],
  ]);
  const decode = (code: tf.Tensor) =>
    tf.add(
      tf.matMul(code, weights.get("decoder.kernel")!),
      weights.get("decoder.bias")!,
    );
  return {
    preset: "tiny",
    config: { code: 3 },
    groups: { model: weights },
    weights,
    pixelRange: "unit",
    phases: [{
      name: "loss",
      group: "model",
      loss: (batch, context) => {
        const flat = tf.reshape(batch.images, [-1, 16]);
        if (stateful) {
          const seen = buffers.get("seen")!;
          seen.assign(tf.add(seen, flat.shape[0]));
        }
        const noisy = tf.add(
          flat,
          tf.randomNormal(flat.shape, 0, 0.1, "float32", context.seed()),
        );
        const code = tf.tanh(tf.matMul(noisy, weights.get("encoder.kernel")!));
        const loss = tf.mean(
          tf.squaredDifference(tf.sigmoid(decode(code)), flat),
        );
        return (context.step >= nanFromStep
          ? tf.mul(loss, NaN)
          : loss) as tf.Scalar;
      },
    }],
    ...(withGenerate
      ? {
        generate: (count: number, seed: number) =>
          tf.reshape(
            tf.sigmoid(
              decode(tf.randomNormal([count, 3], 0, 1, "float32", seed)),
            ),
            [count, 4, 4, 1],
          ) as tf.Tensor4D,
      }
      : {}),
    ...(stateful
      ? {
        buffers,
        initialize: (batch: { images: tf.Tensor }) =>
          weights.get("decoder.bias")!.assign(
            tf.fill([16], tf.mean(batch.images).dataSync()[0]),
          ),
      }
      : {}),
    dispose: () => {
      weights.forEach((w) => w.dispose());
      buffers.forEach((b) => b.dispose());
    },
  };
}
