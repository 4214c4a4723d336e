/**
 * A fixed permutation of the channels, the cheap alternative to the 1x1
 * convolution (RealNVP alternates which half a coupling transforms): the
 * channel order reversed, or shuffled once at random. log |det| = 0.
 *
 * The order is a buffer (`order`, int32) so a shuffled model rebuilt from
 * a checkpoint keeps the order it was trained with.
 *
 * @module
 */
import { tf } from "@genwasm/backend/tf";
import { type Float64FlowLayer, gatherChannels } from "./float64.ts";
import type { Random } from "@genwasm/data/random";
import {
  disposeVariables,
  type FlowLayer,
  type FlowResult,
  sameForEach,
  variableOf,
} from "./flow_layer.ts";

/** Which fixed permutation. */
export type PermutationOrder = "reverse" | "shuffle";

/** Fisher-Yates shuffle of 0..n-1. */
function shuffledOrder(n: number, random: Random): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

/**
 * Output channel i is input channel order[i].
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ChannelPermutation } from "./channel_permutation.ts";
 * import { mulberry32 } from "../../data/random.ts";
 * import { tf } from "../../backends/tf.ts";
 * const reverse = new ChannelPermutation(3, "reverse", mulberry32(0));
 * const z = tf.tidy(() => reverse.forward(tf.tensor4d([1, 2, 3], [1, 1, 1, 3])).z);
 * assert.deepEqual(z.dataSync(), Float32Array.of(3, 2, 1));
 * z.dispose();
 * reverse.dispose();
 * ```
 */
export class ChannelPermutation implements FlowLayer {
  readonly variables = {};
  readonly buffers: { order: tf.Variable };

  constructor(channels: number, kind: PermutationOrder, random: Random) {
    const order = kind === "reverse"
      ? Array.from({ length: channels }, (_, i) => channels - 1 - i)
      : shuffledOrder(channels, random);
    this.buffers = {
      order: variableOf(order, [channels], {
        dtype: "int32",
        trainable: false,
      }),
    };
  }

  forward(x: tf.Tensor4D): FlowResult {
    return tf.tidy(() => ({
      z: tf.gather(x, this.buffers.order, 3) as tf.Tensor4D,
      logDet: sameForEach(x.shape[0], tf.scalar(0)),
    }));
  }

  inverse(z: tf.Tensor4D): tf.Tensor4D {
    const order = this.buffers.order.dataSync();
    const inverse = new Int32Array(order.length);
    order.forEach((source, i) => (inverse[source] = i));
    return tf.tidy(() =>
      tf.gather(z, tf.tensor1d(inverse, "int32"), 3) as tf.Tensor4D
    );
  }

  float64(): Float64FlowLayer {
    const order = Array.from(this.buffers.order.dataSync());
    const inverse = new Array<number>(order.length);
    order.forEach((source, i) => (inverse[source] = i));
    return {
      forward: (x) => gatherChannels(x, order),
      inverse: (z) => gatherChannels(z, inverse),
    };
  }

  dispose(): void {
    disposeVariables(this.buffers);
  }
}
