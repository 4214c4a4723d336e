/**
 * A grid of images in rows, each row with a line of text written under it
 * (e.g. the prompt its images were drawn from), in the 7-pixel font
 * "seven-plus" of the npm package `js-pixel-fonts`.
 *
 * @module
 */
import { fonts, renderPixels } from "js-pixel-fonts";
import type { Picture } from "./image_grid.ts";

const FONT = fonts.sevenPlus;

/**
 * Pixels of the text band under each row: 2 above the letters, the font's
 * 7-pixel line, 2 for descenders (g, j, p, q, y), 1 below.
 */
export const TEXT_BAND = 12;

/** Options of {@link labelledRows}. */
export interface LabelledRowsOptions {
  /** Images in each row (the row's images are consecutive). */
  columns: number;
  /** Each image pixel becomes a scale x scale block; default 2. */
  scale?: number;
  /** Pixels between and around images and bands; default 2. */
  padding?: number;
  /** Grey level of the padding and bands in [0, 1]; default 0.5. */
  background?: number;
  /** Grey level of the text in [0, 1]; default 1 (white). */
  ink?: number;
}

/** `text` with each character the font lacks written as "?". */
function printable(text: string): string {
  return Array.from(text, (char) => char in FONT.glyphs ? char : "?").join(
    "",
  );
}

/** Width in pixels of `text` in the font. */
export function textWidth(text: string): number {
  return renderPixels(printable(text), FONT)[0]?.length ?? 0;
}

/**
 * Lays out `labels.length` rows of `columns` images, each row followed by
 * a band of {@link TEXT_BAND} pixels with its label, left-aligned. The
 * picture is as wide as the widest of the rows and labels.
 *
 * Height: `padding + rows * (size * scale + TEXT_BAND + padding)`.
 *
 * @param images Pixels in [0, 1] (clipped), row-major over `shape`; row r
 * holds images r * columns to (r + 1) * columns - 1.
 * @param shape (labels.length * columns, height, width, channels), 1 or 3
 * channels.
 * @param labels One line of text per row.
 * @param options Columns, scale, padding, grey levels.
 * @returns The picture, 8-bit, with the images' channels.
 *
 * @example Two rows of three 4 x 4 images
 * ```ts
 * import assert from "node:assert/strict";
 * import { labelledRows, TEXT_BAND } from "./labelled_rows.ts";
 * const picture = labelledRows(new Float32Array(6 * 16), [6, 4, 4, 1], ["a thin one", "a thick one"], { columns: 3, scale: 1 });
 * assert.equal(picture.height, 2 + 2 * (4 + TEXT_BAND + 2));
 * ```
 */
export function labelledRows(
  images: Float32Array,
  shape: [number, number, number, number],
  labels: readonly string[],
  {
    columns,
    scale = 2,
    padding = 2,
    background = 0.5,
    ink = 1,
  }: LabelledRowsOptions,
): Picture {
  const [count, height, width, channels] = shape;
  if (channels !== 1 && channels !== 3) {
    throw new Error(`images need 1 or 3 channels, got ${channels}`);
  }
  if (!Number.isInteger(columns) || columns < 1) {
    throw new Error(`columns must be a whole number >= 1, got ${columns}`);
  }
  if (count !== labels.length * columns) {
    throw new Error(
      `${count} images are not ${labels.length} rows of ${columns}`,
    );
  }
  if (images.length !== count * height * width * channels) {
    throw new Error(
      `${images.length} values do not fill shape [${shape.join(", ")}]`,
    );
  }
  const toByte = (value: number) =>
    Math.round(Math.min(1, Math.max(0, value)) * 255);
  const cellHeight = height * scale;
  const cellWidth = width * scale;
  const rowHeight = cellHeight + TEXT_BAND + padding;
  const texts = labels.map((label) => renderPixels(printable(label), FONT));
  const pictureWidth = Math.max(
    columns * (cellWidth + padding) + padding,
    ...texts.map((rows) => 2 * padding + (rows[0]?.length ?? 0)),
  );
  const pictureHeight = padding + labels.length * rowHeight;
  const data = new Uint8Array(pictureWidth * pictureHeight * channels).fill(
    toByte(background),
  );
  const inkByte = toByte(ink);
  for (let image = 0; image < count; image++) {
    const top = padding + Math.floor(image / columns) * rowHeight;
    const left = padding + (image % columns) * (cellWidth + padding);
    for (let y = 0; y < cellHeight; y++) {
      for (let x = 0; x < cellWidth; x++) {
        const source = ((image * height + Math.floor(y / scale)) * width +
          Math.floor(x / scale)) * channels;
        const target = ((top + y) * pictureWidth + left + x) * channels;
        for (let channel = 0; channel < channels; channel++) {
          data[target + channel] = toByte(images[source + channel]);
        }
      }
    }
  }
  texts.forEach((rows, row) => {
    const top = padding + row * rowHeight + cellHeight + 2;
    rows.forEach((line, dy) =>
      line.forEach((on, dx) => {
        if (!on) return;
        const target = ((top + dy) * pictureWidth + padding + dx) * channels;
        data.fill(inkByte, target, target + channels);
      })
    );
  });
  return { width: pictureWidth, height: pictureHeight, channels, data };
}
