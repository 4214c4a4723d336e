/**
 * The multi-scale split of RealNVP (section 3.6) and Glow: after a level,
 * half the channels are factored out to the prior and only the other half
 * flows on, so deeper levels work on fewer numbers. A plain partition of
 * the channels, so log |det| = 0; the factored half's log-density under
 * the prior counts in the likelihood.
 *
 * @module
 */
import { tf } from "@genwasm/backend/tf";

/** The two halves of a split. */
export interface SplitHalves {
  /** The first floor(c / 2) channels, which go on to the next level. */
  kept: tf.Tensor4D;
  /** The rest, factored out to the prior. */
  factored: tf.Tensor4D;
}

/**
 * Channels split into kept and factored halves, and joined back.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ChannelSplit } from "./split.ts";
 * import { tf } from "../../backends/tf.ts";
 * const split = new ChannelSplit();
 * tf.tidy(() => {
 *   const { kept, factored } = split.forward(tf.zeros([2, 14, 14, 4]));
 *   assert.deepEqual([kept.shape, factored.shape], [[2, 14, 14, 2], [2, 14, 14, 2]]);
 * });
 * ```
 */
export class ChannelSplit {
  forward(x: tf.Tensor4D): SplitHalves {
    const channels = x.shape[3];
    if (channels < 2) {
      throw new Error(`a split needs at least 2 channels, got ${channels}`);
    }
    const kept = Math.floor(channels / 2);
    const [first, second] = tf.split(x, [kept, channels - kept], 3);
    return { kept: first as tf.Tensor4D, factored: second as tf.Tensor4D };
  }

  inverse({ kept, factored }: SplitHalves): tf.Tensor4D {
    return tf.concat([kept, factored], 3);
  }
}
