/**
 * The classifier network: four 3 x 3 convolutions (two of them stride 2),
 * a dense feature layer and a dense output layer. Network only; the loss
 * lives in `objective.ts`.
 *
 * Variable names are what checkpoints store; they never change:
 *
 * | name                        | shape (preset `classifier`) |
 * | --------------------------- | --------------------------- |
 * | conv1.kernel / .bias        | (3, 3, 1, 32) / (32)        |
 * | conv2.kernel / .bias        | (3, 3, 32, 32) / (32)       |
 * | conv3.kernel / .bias        | (3, 3, 32, 64) / (64)       |
 * | conv4.kernel / .bias        | (3, 3, 64, 64) / (64)       |
 * | features.kernel / .bias     | (3136, 64) / (64)           |
 * | logits.kernel / .bias       | (64, 10) / (10)             |
 *
 * @module
 */
import { tf } from "@genwasm/backend/tf";
import type { Random } from "@genwasm/data/random";
import { Conv2D, Dense } from "../layers.ts";
import type { ClassifierConfig } from "./presets.ts";

/** Side of every convolution kernel. */
const KERNEL_SIZE = 3;

/** What one forward pass gives. */
export interface ClassifierOutputs {
  /** (batch, featureSize) ReLU activations of the penultimate layer. */
  features: tf.Tensor2D;
  /** (batch, classes) unnormalised class scores. */
  logits: tf.Tensor2D;
}

/**
 * Conv(k3) ReLU -> Conv(k3 s2) ReLU -> Conv(k3) ReLU -> Conv(k3 s2) ReLU
 * -> Flatten -> Dense ReLU (the features) -> Dense (the logits); "same"
 * padding throughout.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ClassifierNetwork } from "./model.ts";
 * import { classifierPreset } from "./presets.ts";
 * import { mulberry32 } from "../../data/random.ts";
 * import { tf } from "../../backends/tf.ts";
 * const network = new ClassifierNetwork(classifierPreset("classifier"), mulberry32(0));
 * tf.tidy(() => {
 *   const { features, logits } = network.apply(tf.zeros([2, 28, 28, 1]));
 *   assert.deepEqual([features.shape, logits.shape], [[2, 64], [2, 10]]);
 * });
 * network.dispose();
 * ```
 */
export class ClassifierNetwork {
  readonly layers: {
    conv1: Conv2D;
    conv2: Conv2D;
    conv3: Conv2D;
    conv4: Conv2D;
    features: Dense;
    logits: Dense;
  };

  /**
   * Draws the initial weights from `random` in the order conv1..conv4,
   * features, logits (He for the ReLU layers, Glorot for the logits).
   */
  constructor(config: ClassifierConfig, random: Random) {
    const { imageSize, channels, classes, baseWidth, featureSize } = config;
    const conv = (
      inputChannels: number,
      outputChannels: number,
      strides: number,
    ) =>
      new Conv2D({
        inputChannels,
        outputChannels,
        kernelSize: KERNEL_SIZE,
        strides,
        random,
        init: "he",
      });
    const innerSize = imageSize / 4;
    this.layers = {
      conv1: conv(channels, baseWidth, 1),
      conv2: conv(baseWidth, baseWidth, 2),
      conv3: conv(baseWidth, 2 * baseWidth, 1),
      conv4: conv(2 * baseWidth, 2 * baseWidth, 2),
      features: new Dense({
        inputSize: innerSize * innerSize * 2 * baseWidth,
        outputSize: featureSize,
        random,
        init: "he",
      }),
      logits: new Dense({
        inputSize: featureSize,
        outputSize: classes,
        random,
      }),
    };
  }

  /** (batch, size, size, channels) pixels in [0, 1] -> features and logits. */
  apply(images: tf.Tensor4D): ClassifierOutputs {
    return tf.tidy(() => {
      const { conv1, conv2, conv3, conv4, features, logits } = this.layers;
      let hidden: tf.Tensor4D = images;
      for (const conv of [conv1, conv2, conv3, conv4]) {
        hidden = conv.apply(hidden, "relu");
      }
      const flat = tf.reshape(hidden, [hidden.shape[0], -1]);
      const featureValues = tf.relu(features.apply(flat));
      return { features: featureValues, logits: logits.apply(featureValues) };
    });
  }

  /** Variables keyed "layer.variable", e.g. "conv1.kernel". */
  variables(): Map<string, tf.Variable> {
    const variables = new Map<string, tf.Variable>();
    for (const [layerName, layer] of Object.entries(this.layers)) {
      for (const [name, variable] of Object.entries(layer.variables)) {
        variables.set(`${layerName}.${name}`, variable);
      }
    }
    return variables;
  }

  dispose(): void {
    for (const layer of Object.values(this.layers)) layer.dispose();
  }
}
