/**
 * Tiles a batch of images into one picture, for a quick look at samples and
 * reconstructions.
 *
 * @module
 */

/** An 8-bit picture, row-major, `channels` values per pixel. */
export interface Picture {
  width: number;
  height: number;
  /** 1 (grey) or 3 (RGB). */
  channels: 1 | 3;
  data: Uint8Array;
}

/** Options for {@link imageGrid}. */
export interface GridOptions {
  /** Images per row. */
  columns: number;
  /** Pixels between and around images; default 2. */
  padding?: number;
  /** Each image pixel becomes a scale x scale block; default 1. */
  scale?: number;
  /** Grey level of the padding in [0, 1]; default 0.5. */
  background?: number;
}

/**
 * Lays images out left to right, top to bottom, in a grid; missing cells at
 * the end stay background.
 *
 * @param images Pixels in [0, 1] (values outside are clipped), row-major over `shape`.
 * @param shape (count, height, width, channels) with 1 or 3 channels.
 * @param options Columns, padding, scale and background.
 * @returns The grid as 8-bit pixels.
 *
 * @example Four 2 x 2 grey images in two columns
 * ```ts
 * import assert from "node:assert/strict";
 * import { imageGrid } from "./image_grid.ts";
 * const grid = imageGrid(new Float32Array(16).fill(1), [4, 2, 2, 1], { columns: 2, padding: 1 });
 * assert.deepEqual([grid.width, grid.height], [7, 7]); // 1 + 2 + 1 + 2 + 1
 * ```
 */
export function imageGrid(
  images: Float32Array,
  shape: [number, number, number, number],
  { columns, padding = 2, scale = 1, background = 0.5 }: GridOptions,
): Picture {
  const [count, height, width, channels] = shape;
  if (channels !== 1 && channels !== 3) {
    throw new Error(`images need 1 or 3 channels, got ${channels}`);
  }
  if (images.length !== count * height * width * channels) {
    throw new Error(
      `${images.length} values do not fill shape [${shape.join(", ")}]`,
    );
  }
  if (!Number.isInteger(columns) || columns < 1) {
    throw new Error(`columns must be a whole number >= 1, got ${columns}`);
  }
  const rows = Math.max(1, Math.ceil(count / columns));
  const cellHeight = height * scale;
  const cellWidth = width * scale;
  const gridWidth = columns * (cellWidth + padding) + padding;
  const gridHeight = rows * (cellHeight + padding) + padding;
  const toByte = (value: number) =>
    Math.round(Math.min(1, Math.max(0, value)) * 255);
  const data = new Uint8Array(gridWidth * gridHeight * channels).fill(
    toByte(background),
  );
  for (let image = 0; image < count; image++) {
    const top = padding + Math.floor(image / columns) * (cellHeight + padding);
    const left = padding + (image % columns) * (cellWidth + padding);
    for (let y = 0; y < cellHeight; y++) {
      for (let x = 0; x < cellWidth; x++) {
        const source = ((image * height + Math.floor(y / scale)) * width +
          Math.floor(x / scale)) * channels;
        const target = ((top + y) * gridWidth + left + x) * channels;
        for (let channel = 0; channel < channels; channel++) {
          data[target + channel] = toByte(images[source + channel]);
        }
      }
    }
  }
  return { width: gridWidth, height: gridHeight, channels, data };
}
