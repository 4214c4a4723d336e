/**
 * Resizes float images by area averaging, the "box" filter of PIL and
 * OpenCV's INTER_AREA: each output pixel is the mean of the source area it
 * covers, with partly covered source pixels weighted by the part covered.
 *
 * @module
 */
import type { FloatImage } from "./image_set.ts";

/** How an image whose aspect ratio differs from the target's is fitted. */
export type ResizeFit = "crop" | "stretch";

/** Options for {@link resizeArea}. */
export interface ResizeOptions {
  /**
   * `"crop"` (default): keep the aspect ratio, using the largest centred
   * region of the source with the target's aspect ratio. `"stretch"`: use the
   * whole source and stretch it.
   */
  fit?: ResizeFit;
}

/**
 * Weights of a 1-D area resample: for each of the `target` outputs, the
 * source indices it covers and their weights (summing to 1). The outputs
 * cover source coordinates [start, start + length).
 */
function areaWeights(
  start: number,
  length: number,
  target: number,
): { indices: Int32Array; weights: Float64Array; offsets: Int32Array } {
  const step = length / target;
  const indices: number[] = [];
  const weights: number[] = [];
  const offsets = new Int32Array(target + 1);
  for (let output = 0; output < target; output++) {
    const from = start + output * step;
    const to = from + step;
    const first = Math.floor(from);
    const last = Math.ceil(to) - 1;
    const begin = indices.length;
    let total = 0;
    for (let source = first; source <= last; source++) {
      const covered = Math.min(to, source + 1) - Math.max(from, source);
      if (covered <= 1e-12) continue;
      indices.push(source);
      weights.push(covered);
      total += covered;
    }
    for (let index = begin; index < weights.length; index++) {
      weights[index] /= total;
    }
    offsets[output + 1] = indices.length;
  }
  return {
    indices: Int32Array.from(indices),
    weights: Float64Array.from(weights),
    offsets,
  };
}

/**
 * Resizes an image to `width` x `height` by area averaging (box filter), in
 * two separable passes: rows, then columns. Shrinking averages whole blocks
 * (a 2 x 2 checkerboard block becomes its mean); growing repeats pixels,
 * blending the two neighbours where an output pixel straddles a boundary.
 * Values are averaged as stored (no gamma conversion).
 *
 * @param image The source, (height, width, channels) row-major.
 * @param width Width of the result.
 * @param height Height of the result.
 * @param options How to fit a different aspect ratio; default centre crop.
 * @returns A new image with the same channels.
 * @throws Error if `width` or `height` is not a whole number >= 1.
 *
 * @example Halve a 4 x 4 grey ramp
 * ```ts
 * import assert from "node:assert/strict";
 * import { resizeArea } from "./resize.ts";
 * const data = Float32Array.from({ length: 16 }, (_, index) => index % 4);
 * const small = resizeArea({ width: 4, height: 4, channels: 1, data }, 2, 2);
 * assert.deepEqual(small.data, Float32Array.of(0.5, 2.5, 0.5, 2.5));
 * ```
 */
export function resizeArea(
  image: FloatImage,
  width: number,
  height: number,
  { fit = "crop" }: ResizeOptions = {},
): FloatImage {
  for (const [name, value] of [["width", width], ["height", height]] as const) {
    if (!Number.isInteger(value) || value < 1) {
      throw new Error(`${name} must be a whole number >= 1, got ${value}`);
    }
  }
  if (fit !== "crop" && fit !== "stretch") {
    throw new Error(`fit must be "crop" or "stretch", got "${fit}"`);
  }
  const { channels } = image;
  // Source region: all of it, or the centred part with the target's aspect.
  let regionWidth = image.width;
  let regionHeight = image.height;
  if (fit === "crop") {
    if (image.width * height > image.height * width) {
      regionWidth = (image.height * width) / height;
    } else {
      regionHeight = (image.width * height) / width;
    }
  }
  const columns = areaWeights(
    (image.width - regionWidth) / 2,
    regionWidth,
    width,
  );
  const rows = areaWeights(
    (image.height - regionHeight) / 2,
    regionHeight,
    height,
  );

  // Pass 1: resample along each source row -> (source height, width, channels).
  const horizontal = new Float64Array(image.height * width * channels);
  for (let row = 0; row < image.height; row++) {
    for (let column = 0; column < width; column++) {
      const out = (row * width + column) * channels;
      for (
        let at = columns.offsets[column];
        at < columns.offsets[column + 1];
        at++
      ) {
        const source = (row * image.width + columns.indices[at]) * channels;
        const weight = columns.weights[at];
        for (let channel = 0; channel < channels; channel++) {
          horizontal[out + channel] += weight * image.data[source + channel];
        }
      }
    }
  }
  // Pass 2: resample along each column -> (height, width, channels).
  const data = new Float32Array(height * width * channels);
  const sum = new Float64Array(width * channels);
  for (let row = 0; row < height; row++) {
    sum.fill(0);
    for (let at = rows.offsets[row]; at < rows.offsets[row + 1]; at++) {
      const source = rows.indices[at] * width * channels;
      const weight = rows.weights[at];
      for (let index = 0; index < sum.length; index++) {
        sum[index] += weight * horizontal[source + index];
      }
    }
    data.set(sum, row * width * channels);
  }
  return { width, height, channels, data };
}
