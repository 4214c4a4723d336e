/**
 * What a GAN learns: the discriminator D tells real images from generated
 * ones, the generator G tries to fool it. One training step is one D update
 * on a real and a generated batch, then one G update (as in DCGAN).
 *
 * Notation: r = D's logits on real images, f = D's logits on generated
 * ones, t the real-image target (1, or below 1 with one-sided label
 * smoothing), softplus(l) = log(1 + e^l). Every loss is a mean over the
 * batch. Three losses:
 *
 * | loss             | D minimises                                | G minimises            |
 * | ---------------- | ------------------------------------------ | ---------------------- |
 * | non-saturating   | BCE(r, t) + BCE(f, 0)                      | BCE(f, 1) = softplus(-f) |
 * | hinge            | relu(1 - r) + relu(1 + f)                  | -f                     |
 * | least-squares    | (r - t)^2 / 2 + f^2 / 2                    | (f - 1)^2 / 2          |
 *
 * with BCE(l, y) = softplus(l) - y l, the sigmoid cross-entropy of logit l
 * against target y (Goodfellow et al. 2014; hinge: Lim & Ye 2017, Miyato et
 * al. 2018; least-squares: Mao et al. 2017, targets a = 0, b = c = 1).
 *
 * @module
 */
import { tf } from "@genwasm/backend/tf";
import type { TrainingBatch, TrainingPhase } from "../contract.ts";
import type { Discriminator, Generator } from "./model.ts";
import type { GanLoss } from "./presets.ts";

/** softplus(l) - y l in the stable form max(l, 0) - y l + log(1 + e^-|l|). */
function sigmoidCrossEntropy(logits: tf.Tensor, target: number): tf.Tensor {
  return tf.add(
    tf.sub(tf.relu(logits), tf.mul(logits, target)),
    tf.log1p(tf.exp(tf.neg(tf.abs(logits)))),
  );
}

/**
 * The discriminator's loss, a scalar.
 *
 * @param loss Which loss (see the module's table).
 * @param realLogits (batch) D's logits on real images.
 * @param fakeLogits (batch) D's logits on generated images.
 * @param realLabel Target of real images, t in (0, 1]; below 1 is one-sided
 * label smoothing (not for hinge).
 * @returns Mean over each batch, real and generated terms added.
 *
 * @example At logits 0 the non-saturating loss is 2 log 2
 * ```ts
 * import assert from "node:assert/strict";
 * import { discriminatorLoss } from "./objective.ts";
 * import { tf } from "../../backends/tf.ts";
 * const loss = tf.tidy(() => discriminatorLoss("non-saturating", tf.zeros([4]), tf.zeros([4])));
 * assert.ok(Math.abs(loss.dataSync()[0] - 2 * Math.LN2) < 1e-6); // 1.3863
 * loss.dispose();
 * ```
 */
export function discriminatorLoss(
  loss: GanLoss,
  realLogits: tf.Tensor1D,
  fakeLogits: tf.Tensor1D,
  realLabel = 1,
): tf.Scalar {
  return tf.tidy(() => {
    switch (loss) {
      case "non-saturating":
        return tf.add(
          tf.mean(sigmoidCrossEntropy(realLogits, realLabel)),
          tf.mean(sigmoidCrossEntropy(fakeLogits, 0)),
        );
      case "hinge":
        if (realLabel !== 1) {
          throw new Error("label smoothing does not apply to the hinge loss");
        }
        return tf.add(
          tf.mean(tf.relu(tf.sub(1, realLogits))),
          tf.mean(tf.relu(tf.add(1, fakeLogits))),
        );
      case "least-squares":
        return tf.mul(
          0.5,
          tf.add(
            tf.mean(tf.square(tf.sub(realLogits, realLabel))),
            tf.mean(tf.square(fakeLogits)),
          ),
        );
      default:
        throw new Error(`unknown GAN loss "${loss}"`);
    }
  });
}

/**
 * The generator's loss, a scalar.
 *
 * @param loss Which loss (see the module's table).
 * @param fakeLogits (batch) D's logits on generated images.
 * @returns Mean over the batch.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { generatorLoss } from "./objective.ts";
 * import { tf } from "../../backends/tf.ts";
 * const loss = tf.tidy(() => generatorLoss("hinge", tf.tensor1d([1, 3])));
 * assert.equal(loss.dataSync()[0], -2); // -mean(D(G(z)))
 * loss.dispose();
 * ```
 */
export function generatorLoss(
  loss: GanLoss,
  fakeLogits: tf.Tensor1D,
): tf.Scalar {
  return tf.tidy(() => {
    switch (loss) {
      case "non-saturating":
        return tf.mean(sigmoidCrossEntropy(fakeLogits, 1));
      case "hinge":
        return tf.neg(tf.mean(fakeLogits));
      case "least-squares":
        return tf.mul(0.5, tf.mean(tf.square(tf.sub(fakeLogits, 1))));
      default:
        throw new Error(`unknown GAN loss "${loss}"`);
    }
  });
}

/**
 * The R1 penalty (Mescheder et al. 2018): the mean over the batch of the
 * squared norm of D's gradient with respect to real images, |dD(x)/dx|^2.
 * D runs in inference mode here (running BatchNorm statistics, spectral
 * norm vectors left alone), so the penalty moves no buffer.
 *
 * @param discriminator D.
 * @param images (batch, height, width, channels) real images.
 * @param condition Labels or prompt ids of a conditional D, else undefined.
 * @returns A scalar, differentiable with respect to D's weights.
 */
export function r1Penalty(
  discriminator: Discriminator,
  images: tf.Tensor4D,
  condition: tf.Tensor | undefined,
): tf.Scalar {
  const gradient = tf.grad((x: tf.Tensor) =>
    tf.sum(discriminator.apply(x as tf.Tensor4D, condition, false))
  )(images);
  return tf.mean(tf.sum(tf.square(gradient), [1, 2, 3]));
}

/** What the two phases need: both networks and the loss settings. */
export interface GanParts {
  readonly generator: Generator;
  readonly discriminator: Discriminator;
  readonly config: {
    loss: GanLoss;
    realLabel: number;
    r1Gamma: number;
    r1Interval: number;
  };
}

/**
 * The two phases of a step. "d_loss" (group `discriminator`): G draws a
 * batch from fresh noise, D sees it and the real batch, each in its own
 * BatchNorm batch (as in DCGAN). "g_loss" (group `generator`): G draws a
 * batch from other fresh noise and is scored by D. A conditional model
 * draws its fakes with the real batch's labels, so classes appear as often
 * as in the data; a text model with the real batch's prompts (no prompt
 * dropout: a GAN samples without guidance). Both networks run in training mode (batch statistics;
 * running statistics and spectral-norm vectors move); each phase's
 * gradients reach only its own group's variables (the trainer passes them).
 *
 * @example One hand-made step
 * ```ts
 * import { createGan } from "./gan.ts";
 * import { initEngine } from "../../backends/engine.ts";
 * import { tf } from "../../backends/tf.ts";
 * await initEngine();
 * const gan = createGan("dcgan-small");
 * const batch = { images: tf.zeros([4, 28, 28, 1]) as tf.Tensor4D, labels: tf.zeros([4], "int32") as tf.Tensor1D };
 * let seed = 0;
 * const context = { seed: () => seed++, step: 0 };
 * for (const phase of gan.phases) {
 *   const group = phase.group as "generator" | "discriminator";
 *   const optimizer = tf.train.adam(2e-4, 0.5);
 *   tf.tidy(() => {
 *     optimizer.minimize(() => phase.loss(batch, context), false, [...gan.groups[group].values()]);
 *   });
 *   optimizer.dispose();
 * }
 * gan.dispose();
 * ```
 */
export function ganPhases(parts: GanParts): TrainingPhase[] {
  const { generator, discriminator, config } = parts;
  // Labels (conditional), prompt ids (text) or nothing (unconditional).
  const conditionOf = ({ labels, prompts }: TrainingBatch) => {
    if (generator.text) {
      if (!prompts) {
        throw new Error("a text-conditioned GAN's batch needs prompts");
      }
      return prompts;
    }
    return generator.classes > 0 ? labels : undefined;
  };
  const fakes = (
    count: number,
    condition: tf.Tensor | undefined,
    seed: number,
  ) => {
    const z = tf.randomNormal(
      [count, generator.latentSize],
      0,
      1,
      "float32",
      seed,
    ) as tf.Tensor2D;
    return generator.apply(z, condition, "train");
  };
  return [
    {
      name: "d_loss",
      group: "discriminator",
      loss(batch, context) {
        const { images } = batch;
        const condition = conditionOf(batch);
        const generated = fakes(images.shape[0], condition, context.seed());
        const real = discriminator.apply(images, condition, true);
        const fake = discriminator.apply(generated, condition, true);
        const loss = discriminatorLoss(
          config.loss,
          real,
          fake,
          config.realLabel,
        );
        const { r1Gamma, r1Interval } = config;
        if (r1Gamma === 0 || context.step % r1Interval !== 0) return loss;
        // Lazy regularisation (StyleGAN2): every r1Interval-th step, scaled
        // by the interval, so its average pull is gamma / 2 per step.
        const weight = r1Gamma / 2 * r1Interval;
        return tf.add(
          loss,
          tf.mul(r1Penalty(discriminator, images, condition), weight),
        );
      },
    },
    {
      name: "g_loss",
      group: "generator",
      loss(batch, context) {
        const { images } = batch;
        const condition = conditionOf(batch);
        const generated = fakes(images.shape[0], condition, context.seed());
        const fake = discriminator.apply(generated, condition, true);
        return generatorLoss(config.loss, fake);
      },
    },
  ];
}
