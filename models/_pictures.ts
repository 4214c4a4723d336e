/**
 * Picture layouts shared by the families' samplers.
 *
 * @module
 */
import { tf } from "@genwasm/backend/tf";

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
  if (count < columns) columns = count; // one short row
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

/**
 * How many test images a reconstruction grid of about `requested` pictures
 * (originals and reconstructions) shows: whole rows of `columns`, at least
 * one row, never more than the `available` test images.
 */
export function reconstructionCount(
  requested: number,
  available: number,
  columns = 8,
): number {
  const wanted = Math.max(
    columns,
    columns * Math.floor(requested / (2 * columns)),
  );
  if (available < columns) return available;
  return Math.min(wanted, columns * Math.floor(available / columns));
}
