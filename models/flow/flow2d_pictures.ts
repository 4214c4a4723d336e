/**
 * Pictures of a 2-D density: exp(log p) on a square grid as a heat map
 * (with data points dotted over it), and a scatter plot of samples. Both
 * are single RGB images (1, size, size, 3), pixels in [0, 1], x to the
 * right and y up, over the square [-radius, radius]^2.
 *
 * @module
 */
import { tf } from "@genwasm/backend/tf";

/** Side of the pictures in pixels. */
export const PICTURE_SIZE = 128;

/** Points evaluated per forward pass of the density. */
const GRID_CHUNK = 16384;

type Colour = [number, number, number];

/** Heat map stops at density 0, 1/2 and 1 (of the maximum). */
const HEAT: [Colour, Colour, Colour] = [
  [0.02, 0.02, 0.1],
  [0.75, 0.2, 0.35],
  [1, 0.95, 0.6],
];
const DATA_ON_HEAT: Colour = [0.3, 0.9, 1];
const DATA_ON_WHITE: Colour = [0.78, 0.78, 0.78];
const SAMPLE_COLOUR: Colour = [0.1, 0.3, 0.8];
/** Data points dotted over the heat map (more would hide it). */
const OVERLAY_POINTS = 300;

/**
 * Half-side of a square that frames `points` ((count * 2) numbers x, y):
 * 1.25 times the 99th percentile of max(|x|, |y|), so a few outliers do
 * not shrink the picture.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { plotRadius } from "./flow2d_pictures.ts";
 * assert.equal(plotRadius(new Float32Array([1, 0, 0, -2])), 2.5);
 * ```
 */
export function plotRadius(points: Float32Array): number {
  const count = points.length / 2;
  if (count < 1) return 1;
  const sizes = Float64Array.from(
    { length: count },
    (_, i) => Math.max(Math.abs(points[2 * i]), Math.abs(points[2 * i + 1])),
  ).sort();
  const quantile = sizes[Math.min(count - 1, Math.floor(0.99 * count))];
  return 1.25 * (quantile > 0 && Number.isFinite(quantile) ? quantile : 1);
}

/**
 * The centres of a size x size grid over [-radius, radius]^2, row 0 at the
 * top (y = radius - half a cell), as (size * size, 1, 1, 2) points.
 */
export function gridPoints(radius: number, size: number): Float32Array {
  const cell = (2 * radius) / size;
  const points = new Float32Array(size * size * 2);
  for (let row = 0; row < size; row++) {
    for (let column = 0; column < size; column++) {
      const index = 2 * (row * size + column);
      points[index] = -radius + (column + 0.5) * cell;
      points[index + 1] = radius - (row + 0.5) * cell;
    }
  }
  return points;
}

/**
 * log p at the centre of every cell of a size x size grid over
 * [-radius, radius]^2 (row-major, top row first); each cell has area
 * (2 radius / size)^2, so sum(exp(log p)) * area approximates the mass in
 * the square.
 *
 * @param logDensity (batch, 1, 1, 2) points -> (batch) log p.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { densityGrid } from "./flow2d_pictures.ts";
 * import { tf } from "../../backends/tf.ts";
 * const logP = densityGrid((points) => tf.zeros([points.shape[0]]), 1, 4);
 * assert.equal(logP.length, 16); // 4 x 4 points
 * ```
 */
export function densityGrid(
  logDensity: (points: tf.Tensor4D) => tf.Tensor1D,
  radius: number,
  size: number,
): Float32Array {
  const points = gridPoints(radius, size);
  const values = new Float32Array(size * size);
  for (let start = 0; start < size * size; start += GRID_CHUNK) {
    const count = Math.min(GRID_CHUNK, size * size - start);
    const chunk = tf.tidy(() =>
      logDensity(
        tf.tensor4d(points.subarray(2 * start, 2 * (start + count)), [
          count,
          1,
          1,
          2,
        ]),
      )
    );
    values.set(chunk.dataSync(), start);
    chunk.dispose();
  }
  return values;
}

function heatColour(value: number): Colour {
  const [low, middle, high] = HEAT;
  const [from, to, t] = value < 0.5
    ? [low, middle, 2 * value]
    : [middle, high, 2 * value - 1];
  return [0, 1, 2].map((c) => from[c] + t * (to[c] - from[c])) as Colour;
}

/** Sets the pixel under each point (x, y) of `points` to `colour`. */
function plotPoints(
  pixels: Float32Array,
  points: Float32Array,
  colour: Colour,
  radius: number,
  size: number,
  limit = Infinity,
): void {
  const count = Math.min(points.length / 2, limit);
  for (let i = 0; i < count; i++) {
    const column = Math.floor(((points[2 * i] + radius) / (2 * radius)) * size);
    const row = Math.floor(
      ((radius - points[2 * i + 1]) / (2 * radius)) * size,
    );
    if (row < 0 || row >= size || column < 0 || column >= size) continue;
    pixels.set(colour, 3 * (row * size + column));
  }
}

/**
 * exp(log p) on the grid as a heat map (dark: 0, light: the maximum), with
 * up to 300 of `data`'s points dotted in cyan.
 *
 * @param logDensity (batch, 1, 1, 2) points -> (batch) log p.
 * @param data Points to frame and dot, (count * 2) numbers x, y.
 * @returns (1, size, size, 3) pixels in [0, 1].
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { densityPicture } from "./flow2d_pictures.ts";
 * import { tf } from "../../backends/tf.ts";
 * const gaussian = (p: tf.Tensor4D) => tf.mul(-0.5, tf.sum(tf.square(p), [1, 2, 3])) as tf.Tensor1D;
 * const picture = densityPicture(gaussian, new Float32Array([2, 2]));
 * assert.deepEqual(picture.shape, [1, 128, 128, 3]);
 * picture.dispose();
 * ```
 */
export function densityPicture(
  logDensity: (points: tf.Tensor4D) => tf.Tensor1D,
  data: Float32Array,
  { size = PICTURE_SIZE, radius = plotRadius(data) } = {},
): tf.Tensor4D {
  const logP = densityGrid(logDensity, radius, size);
  let top = -Infinity;
  for (const value of logP) if (value > top) top = value;
  const pixels = new Float32Array(size * size * 3);
  for (let i = 0; i < size * size; i++) {
    const relative = Number.isFinite(top) ? Math.exp(logP[i] - top) : 0;
    pixels.set(heatColour(Number.isFinite(relative) ? relative : 0), 3 * i);
  }
  plotPoints(pixels, data, DATA_ON_HEAT, radius, size, OVERLAY_POINTS);
  return tf.tensor4d(pixels, [1, size, size, 3]);
}

/**
 * A scatter plot: `samples` in blue over `data` in grey, on white.
 *
 * @param samples (count * 2) numbers x, y.
 * @param options `data` to show beneath (default none) and the square's
 * half-side (default: framing the data, or the samples without data).
 * @returns (1, size, size, 3) pixels in [0, 1].
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { scatterPicture } from "./flow2d_pictures.ts";
 * const picture = scatterPicture(new Float32Array([0, 0, 1, 1])); // two points
 * assert.deepEqual(picture.shape, [1, 128, 128, 3]);
 * picture.dispose();
 * ```
 */
export function scatterPicture(
  samples: Float32Array,
  {
    data = new Float32Array(0),
    size = PICTURE_SIZE,
    radius = plotRadius(data.length > 0 ? data : samples),
  }: { data?: Float32Array; size?: number; radius?: number } = {},
): tf.Tensor4D {
  const pixels = new Float32Array(size * size * 3).fill(1);
  plotPoints(pixels, data, DATA_ON_WHITE, radius, size);
  plotPoints(pixels, samples, SAMPLE_COLOUR, radius, size);
  return tf.tensor4d(pixels, [1, size, size, 3]);
}
