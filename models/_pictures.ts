/**
 * Picture layouts shared by the families' samplers.
 *
 * @module
 */
import { tf } from "../backends/tf.ts";

/**
 * Interleaves two equal-sized image batches row by row for a grid of
 * `columns`: a row of `top`, then the matching row of `bottom` (e.g. test
 * images above their reconstructions). The count must fill whole rows.
 */
export function pairRows(
  top: tf.Tensor4D,
  bottom: tf.Tensor4D,
  columns = 8,
): tf.Tensor4D {
  const [count, height, width, channels] = top.shape;
  if (count % columns !== 0) {
    throw new Error(
      `pairRows needs a multiple of ${columns} images, got ${count}`,
    );
  }
  const rows = count / columns;
  const shape = [rows, 1, columns * height * width * channels];
  const paired = tf.concat(
    [tf.reshape(top, shape), tf.reshape(bottom, shape)],
    1,
  );
  return tf.reshape(paired, [2 * count, height, width, channels]);
}
