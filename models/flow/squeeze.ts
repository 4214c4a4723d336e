/**
 * The squeeze of RealNVP: every 2 x 2 block of pixels becomes one pixel
 * with four times the channels, (batch, h, w, c) -> (batch, h/2, w/2, 4c),
 * channels ordered (row in block, column in block, channel) as
 * `tf.spaceToDepth` would. A permutation, so log |det| = 0.
 *
 * Written with reshape and 4-D transposes: tfjs's depthToSpace has no
 * gradient.
 *
 * @module
 */
import { tf } from "@genwasm/backend/tf";
import type { Array4, Float64FlowLayer } from "./float64.ts";
import { type FlowLayer, type FlowResult, sameForEach } from "./flow_layer.ts";

/**
 * Space to depth by a factor of 2; no variables.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Squeeze } from "./squeeze.ts";
 * import { tf } from "../../backends/tf.ts";
 * const squeeze = new Squeeze();
 * assert.deepEqual(tf.tidy(() => squeeze.forward(tf.zeros([2, 28, 28, 1])).z.shape), [2, 14, 14, 4]);
 * ```
 */
export class Squeeze implements FlowLayer {
  readonly variables = {};
  readonly buffers = {};

  forward(x: tf.Tensor4D): FlowResult {
    const [batch, height, width, channels] = x.shape;
    if (height % 2 !== 0 || width % 2 !== 0) {
      throw new Error(
        `squeeze needs an even height and width, got ${height} x ${width}`,
      );
    }
    return tf.tidy(() => {
      // (batch * h/2, dy, w/2, (dx, c)) -> (batch * h/2, w/2, dy, (dx, c))
      const blocks = tf.reshape(x, [
        batch * height / 2,
        2,
        width / 2,
        2 * channels,
      ]);
      const z = tf.reshape(tf.transpose(blocks, [0, 2, 1, 3]), [
        batch,
        height / 2,
        width / 2,
        4 * channels,
      ]) as tf.Tensor4D;
      return { z, logDet: sameForEach(batch, tf.scalar(0)) };
    });
  }

  inverse(z: tf.Tensor4D): tf.Tensor4D {
    const [batch, height, width, channels] = z.shape;
    if (channels % 4 !== 0) {
      throw new Error(`unsqueeze needs channels in fours, got ${channels}`);
    }
    return tf.tidy(() => {
      const blocks = tf.reshape(z, [batch * height, width, 2, channels / 2]);
      return tf.reshape(tf.transpose(blocks, [0, 2, 1, 3]), [
        batch,
        2 * height,
        2 * width,
        channels / 4,
      ]) as tf.Tensor4D;
    });
  }

  /** z[n, i, j, (p, q, ch)] = x[n, 2i + p, 2j + q, ch], as the reshapes above order it. */
  float64(): Float64FlowLayer {
    const move = (x: Array4, toSqueezed: boolean): Array4 => {
      const [n, h, w, c] = toSqueezed
        ? x.shape
        : [x.shape[0], 2 * x.shape[1], 2 * x.shape[2], x.shape[3] / 4];
      const data = new Float64Array(x.data.length);
      for (let b = 0; b < n; b++) {
        for (let row = 0; row < h; row++) {
          for (let col = 0; col < w; col++) {
            const [i, p, j, q] = [row >> 1, row & 1, col >> 1, col & 1];
            const wide = ((b * h + row) * w + col) * c;
            const deep = ((b * (h / 2) + i) * (w / 2) + j) * 4 * c +
              (p * 2 + q) * c;
            for (let ch = 0; ch < c; ch++) {
              if (toSqueezed) data[deep + ch] = x.data[wide + ch];
              else data[wide + ch] = x.data[deep + ch];
            }
          }
        }
      }
      return {
        data,
        shape: toSqueezed ? [n, h / 2, w / 2, 4 * c] : [n, h, w, c],
      };
    };
    return {
      forward: (x) => move(x, true),
      inverse: (z) => move(z, false),
    };
  }

  dispose(): void {}
}
