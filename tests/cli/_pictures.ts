/**
 * Checks of the pictures the CLI writes, read with the tests' own PNG
 * reader (not fast-png, which writes them): a sample grid has the size and
 * layout its images call for and is not blank, a loss plot has its size and
 * a curve drawn.
 *
 * @module
 */
import assert from "node:assert/strict";
import { decodePlainPng } from "../_plain_png.ts";

/** What a sample grid should hold. */
export interface GridContents {
  /** Images drawn. */
  count: number;
  /** Side of one (square) image, in image pixels. */
  side: number;
  /** 1 (grey) or 3 (RGB). */
  channels: 1 | 3;
}

/** The grid's padding: 2 pixels of grey 0.5 (byte 128) between and around. */
const PADDING = 2;
const PADDING_BYTE = 128;

/**
 * Asserts that `bytes` is the grid `sample` and `train` draw of `count`
 * images: 8-bit grey or RGB, min(8, count) columns, each image pixel a
 * 2 x 2 block, 2 grey pixels of padding; every image cell holds more than
 * one value and every padding pixel is grey.
 */
export function assertSampleGrid(
  bytes: Uint8Array,
  { count, side, channels }: GridContents,
  what: string,
): void {
  const png = decodePlainPng(bytes);
  assert.equal(png.depth, 8, `${what}: bit depth`);
  assert.equal(png.colorType, channels === 1 ? 0 : 2, `${what}: colour type`);
  const columns = Math.min(8, count);
  const rows = Math.ceil(count / columns);
  const cell = 2 * side + PADDING;
  assert.deepEqual(
    [png.width, png.height],
    [columns * cell + PADDING, rows * cell + PADDING],
    `${what}: ${count} images of ${side} x ${side} in ${columns} columns`,
  );
  const at = (x: number, y: number, channel: number) =>
    png.samples[(y * png.width + x) * channels + channel];
  for (let y = 0; y < png.height; y++) {
    for (let x = 0; x < png.width; x++) {
      if (x % cell >= PADDING && y % cell >= PADDING) continue;
      for (let channel = 0; channel < channels; channel++) {
        assert.equal(
          at(x, y, channel),
          PADDING_BYTE,
          `${what}: padding at ${x}, ${y}`,
        );
      }
    }
  }
  for (let image = 0; image < count; image++) {
    const left = PADDING + (image % columns) * cell;
    const top = PADDING + Math.floor(image / columns) * cell;
    const values = new Set<number>();
    for (let y = 0; y < 2 * side; y++) {
      for (let x = 0; x < 2 * side; x++) {
        for (let channel = 0; channel < channels; channel++) {
          const value = at(left + x, top + y, channel);
          values.add(value);
          // Each image pixel is drawn as a 2 x 2 block.
          assert.equal(
            value,
            at(left + (x & ~1), top + (y & ~1), channel),
            `${what}: image ${image} at ${x}, ${y} breaks its 2 x 2 block`,
          );
        }
      }
    }
    assert.ok(values.size > 1, `${what}: image ${image} is one flat value`);
  }
}

/**
 * Asserts that `bytes` is an RGB plot of `width` x `height` with a curve:
 * the series colours are the only pixels that are not grey (white
 * background, grey grid, text and axes), so there must be many, spread
 * over more than half the width.
 */
export function assertPlot(
  bytes: Uint8Array,
  width: number,
  height: number,
  what: string,
): void {
  const png = decodePlainPng(bytes);
  assert.deepEqual(
    [png.width, png.height, png.colorType, png.depth],
    [width, height, 2, 8],
    `${what}: size, RGB, 8 bits`,
  );
  let coloured = 0, left = width, right = -1;
  for (let pixel = 0; pixel < width * height; pixel++) {
    const [r, g, b] = png.samples.subarray(3 * pixel, 3 * pixel + 3);
    if (r === g && g === b) continue;
    coloured++;
    left = Math.min(left, pixel % width);
    right = Math.max(right, pixel % width);
  }
  assert.ok(coloured > 100, `${what}: ${coloured} coloured pixels`);
  assert.ok(
    right - left > width / 2,
    `${what}: coloured pixels only from x = ${left} to ${right}`,
  );
}
