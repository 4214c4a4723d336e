/**
 * The classifier as the trainer sees it: a {@link TrainableModel} built from
 * a preset, with its features and logits close at hand for evaluation.
 *
 * @module
 */
import type { tf } from "@genwasm/backend/tf";
import { mulberry32, type Random } from "@genwasm/data/random";
import type { TrainableModel, TrainingPhase } from "../contract.ts";
import { ClassifierNetwork, type ClassifierOutputs } from "./model.ts";
import { classifierPhases } from "./objective.ts";
import { type ClassifierConfig, resolveClassifierConfig } from "./presets.ts";

/**
 * A preset name, or a preset (default "classifier") with some keys
 * overridden; `{ preset, ...config }` rebuilds a checkpointed model.
 */
export type ClassifierSource =
  | string
  | ({ preset?: string } & Partial<ClassifierConfig>);

/** A trainable image classifier: the trainer's contract plus its outputs. */
export interface Classifier extends TrainableModel {
  readonly config: ClassifierConfig;
  /** The network; its weights are the ones trained. */
  readonly network: ClassifierNetwork;
  /** One group, `model`, keyed "layer.variable" (e.g. "conv1.kernel"). */
  readonly groups: { model: Map<string, tf.Variable> };
  readonly pixelRange: "unit";
  /** Features and logits in one pass; see {@link ClassifierNetwork.apply}. */
  classify(images: tf.Tensor4D): ClassifierOutputs;
  /** Number of trainable numbers (266410 for the `classifier` preset). */
  parameterCount(): number;
}

class ClassifierModel implements Classifier {
  readonly preset: string;
  readonly config: ClassifierConfig;
  readonly network: ClassifierNetwork;
  readonly groups: { model: Map<string, tf.Variable> };
  readonly phases: TrainingPhase[];
  readonly pixelRange = "unit" as const;

  constructor(preset: string, config: ClassifierConfig, random: Random) {
    this.preset = preset;
    this.config = config;
    this.network = new ClassifierNetwork(config, random);
    this.groups = { model: this.network.variables() };
    this.phases = classifierPhases(this.network, config);
  }

  classify(images: tf.Tensor4D): ClassifierOutputs {
    return this.network.apply(images);
  }

  parameterCount(): number {
    let count = 0;
    for (const variable of this.groups.model.values()) count += variable.size;
    return count;
  }

  dispose(): void {
    this.network.dispose();
  }
}

/**
 * Builds a classifier from a preset name or a preset with overrides,
 * checked strictly (see {@link resolveClassifierConfig}).
 *
 * @param source E.g. "classifier", or `{ preset: "classifier", maxShift: 0 }`
 * (preset defaults to "classifier").
 * @param random Source of the initial weights, consumed in layer order
 * (conv1..conv4, features, logits). Default `mulberry32(0)`.
 * @returns The model; `dispose()` it when done.
 * @throws Error naming an unknown preset, unknown key or mistyped value.
 *
 * @example Train one step by hand
 * ```ts
 * import assert from "node:assert/strict";
 * import { createClassifier } from "./classifier.ts";
 * import { mulberry32 } from "../../data/random.ts";
 * import { initEngine } from "../../backends/engine.ts";
 * import { tf } from "../../backends/tf.ts";
 * await initEngine();
 * const classifier = createClassifier("classifier", mulberry32(1));
 * assert.equal(classifier.parameterCount(), 266410);
 * const optimizer = tf.train.adam(1e-3);
 * const images = tf.zeros([4, 28, 28, 1]) as tf.Tensor4D;
 * const batch = { images, labels: tf.tensor1d([0, 1, 2, 3], "int32") };
 * let seed = 0;
 * const context = { seed: () => seed++, step: 0 };
 * const variables = [...classifier.groups.model.values()];
 * tf.tidy(() => {
 *   optimizer.minimize(() => classifier.phases[0].loss(batch, context), false, variables);
 * });
 * classifier.dispose();
 * ```
 */
export function createClassifier(
  source: ClassifierSource = "classifier",
  random: Random = mulberry32(0),
): Classifier {
  const { preset = "classifier", ...overrides } = typeof source === "string"
    ? { preset: source }
    : source;
  if (typeof preset !== "string") {
    throw new Error(`classifier preset must be a string, got ${typeof preset}`);
  }
  return new ClassifierModel(
    preset,
    resolveClassifierConfig(preset, overrides),
    random,
  );
}

/**
 * The penultimate layer's activations: what FID compares.
 *
 * @param model The classifier.
 * @param images (batch, size, size, channels) pixels in [0, 1].
 * @returns (batch, featureSize), each entry >= 0 (after ReLU).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createClassifier, features } from "./classifier.ts";
 * import { tf } from "../../backends/tf.ts";
 * const classifier = createClassifier("classifier");
 * assert.deepEqual(tf.tidy(() => features(classifier, tf.zeros([3, 28, 28, 1])).shape), [3, 64]);
 * classifier.dispose();
 * ```
 */
export function features(
  model: Classifier,
  images: tf.Tensor4D,
): tf.Tensor2D {
  const outputs = model.classify(images);
  outputs.logits.dispose();
  return outputs.features;
}

/**
 * The class scores before softmax.
 *
 * @param model The classifier.
 * @param images (batch, size, size, channels) pixels in [0, 1].
 * @returns (batch, classes) logits.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createClassifier, logits } from "./classifier.ts";
 * import { tf } from "../../backends/tf.ts";
 * const classifier = createClassifier("classifier");
 * assert.deepEqual(tf.tidy(() => logits(classifier, tf.zeros([3, 28, 28, 1])).shape), [3, 10]);
 * classifier.dispose();
 * ```
 */
export function logits(model: Classifier, images: tf.Tensor4D): tf.Tensor2D {
  const outputs = model.classify(images);
  outputs.features.dispose();
  return outputs.logits;
}
