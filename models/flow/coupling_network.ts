/**
 * The network inside a coupling layer (Glow's NN()): three convolutions
 * with ReLU between them, the last one zero-initialised so that every
 * coupling starts as the same fixed map (Glow section 3.3). The first two
 * start as PyTorch's Conv2d does (kernel and bias uniform within
 * 1 / sqrt(fan-in)): from He-normal kernels and zero biases the canonical
 * flow was ~0.1 bits/dim worse at every step to 9000, and so was the same
 * model in PyTorch started from those weights. With kernel
 * sizes 3, 1, 3 it is the canonical image network; with 1, 1, 1 on a
 * 1 x 1 "image" it is a small MLP (the 2-D flow).
 *
 * Variables: `conv1.kernel`, `conv1.bias`, ..., `conv3.bias`.
 *
 * @module
 */
import { tf } from "@genwasm/backend/tf";
import { type Array4, conv2dSame, float64Of, mapValues } from "./float64.ts";
import type { Random } from "@genwasm/data/random";
import { Conv2D, type Layer } from "../layers.ts";
import { prefixKeys } from "./flow_layer.ts";

/** Options of {@link CouplingNetwork}. */
export interface CouplingNetworkOptions {
  inputChannels: number;
  hiddenChannels: number;
  outputChannels: number;
  /** Kernel sides of the three convolutions, e.g. [3, 1, 3]. */
  kernelSizes: readonly [number, number, number];
  /** Source of the initial weights, consumed conv1 then conv2 (conv3 is zero). */
  random: Random;
}

/**
 * Conv(k1) -> ReLU -> Conv(k2) -> ReLU -> Conv(k3, zero-initialised).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CouplingNetwork } from "./coupling_network.ts";
 * import { mulberry32 } from "../../data/random.ts";
 * import { tf } from "../../backends/tf.ts";
 * const network = new CouplingNetwork({
 *   inputChannels: 2, hiddenChannels: 64, outputChannels: 4,
 *   kernelSizes: [3, 1, 3], random: mulberry32(0),
 * });
 * const largest = tf.tidy(() => network.apply(tf.ones([1, 14, 14, 2])).abs().max());
 * assert.equal(largest.dataSync()[0], 0); // the last layer starts at zero: an identity coupling
 * largest.dispose();
 * network.dispose();
 * ```
 */
export class CouplingNetwork implements Layer {
  readonly layers: { conv1: Conv2D; conv2: Conv2D; conv3: Conv2D };
  readonly variables: Record<string, tf.Variable>;

  constructor(
    { inputChannels, hiddenChannels, outputChannels, kernelSizes, random }:
      CouplingNetworkOptions,
  ) {
    const [size1, size2, size3] = kernelSizes;
    this.layers = {
      conv1: new Conv2D({
        inputChannels,
        outputChannels: hiddenChannels,
        kernelSize: size1,
        random,
        init: "torch",
      }),
      conv2: new Conv2D({
        inputChannels: hiddenChannels,
        outputChannels: hiddenChannels,
        kernelSize: size2,
        random,
        init: "torch",
      }),
      conv3: new Conv2D({
        inputChannels: hiddenChannels,
        outputChannels,
        kernelSize: size3,
        random,
      }),
    };
    tf.tidy(() => {
      const { kernel } = this.layers.conv3.variables;
      kernel.assign(tf.zerosLike(kernel));
    });
    this.variables = Object.assign(
      {},
      ...Object.entries(this.layers).map(([name, layer]) =>
        prefixKeys(name, layer.variables)
      ),
    );
  }

  apply(x: tf.Tensor): tf.Tensor4D {
    return tf.tidy(() => {
      const { conv1, conv2, conv3 } = this.layers;
      return conv3.apply(conv2.apply(conv1.apply(x, "relu"), "relu"));
    });
  }

  /** {@link CouplingNetwork.apply} in float64 with the current weights. */
  float64(): (x: Array4) => Array4 {
    const convs = Object.values(this.layers).map((layer) => {
      const { kernel, bias } = layer.variables;
      return {
        kernel: float64Of(kernel),
        shape: kernel.shape as [number, number, number, number],
        bias: float64Of(bias),
      };
    });
    const relu = (x: Array4) => mapValues(x, (v) => Math.max(v, 0));
    return (x) =>
      convs.reduce(
        (h, { kernel, shape, bias }, i) =>
          conv2dSame(i > 0 ? relu(h) : h, kernel, shape, bias),
        x,
      );
  }

  dispose(): void {
    for (const layer of Object.values(this.layers)) layer.dispose();
  }
}
