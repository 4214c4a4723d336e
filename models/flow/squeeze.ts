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
import { tf } from "../../backends/tf.ts";
import { type FlowLayer, type FlowResult, sameForEach } from "./flow_layer.ts";

/**
 * Space to depth by a factor of 2; no variables.
 *
 * @example
 * ```ts
 * import { Squeeze } from "./squeeze.ts";
 * import { tf } from "../../backends/tf.ts";
 * const squeeze = new Squeeze();
 * console.log(tf.tidy(() => squeeze.forward(tf.zeros([2, 28, 28, 1])).z.shape)); // [2, 14, 14, 4]
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

  dispose(): void {}
}
