/**
 * Reads PNG files into float pixels (decoder: the npm package fast-png).
 * Every PNG colour type and bit depth is accepted, and the result always has
 * the channel count the caller asks for.
 *
 * @module
 */
import { inflateSync } from "node:zlib";
import { convertIndexedToRgb, decode } from "fast-png";
import type { FloatImage } from "./image_set.ts";

/** Options for {@link decodePngPixels}. */
export interface PngDecodeOptions {
  /** Channels of the result: 1 (grey) or 3 (RGB). */
  channels: 1 | 3;
  /**
   * Grey level in [0, 1] that transparent pixels are composited over;
   * default 0 (black).
   */
  background?: number;
  /**
   * Largest width or height accepted, checked in the header before anything
   * is allocated; default 8192.
   */
  maxSide?: number;
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** Signature, IHDR length and type, then the 13 bytes of IHDR data. */
const HEADER_LENGTH = 8 + 8 + 13;

/** PNG colour types (IHDR byte 9), https://www.w3.org/TR/png/#6Colour-values */
const GREY = 0;
const RGB = 2;
const INDEXED = 3;

/** ITU-R BT.601 luma weights, as PIL's `convert("L")` uses. */
const LUMA = [0.299, 0.587, 0.114] as const;

function hex(bytes: Uint8Array): string {
  return [...bytes].map((byte) => byte.toString(16).padStart(2, "0")).join(
    " ",
  );
}

/**
 * The IDAT chunks' data joined: the zlib stream of the image. Call only on
 * a file whose chunks fast-png has walked (lengths in range).
 */
function imageStream(bytes: Uint8Array, view: DataView): Uint8Array {
  const parts: Uint8Array[] = [];
  for (let at = 8; at + 8 <= bytes.length;) {
    const length = view.getUint32(at);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    if (type === "IEND") break;
    if (type === "IDAT") parts.push(bytes.subarray(at + 8, at + 8 + length));
    at += 12 + length;
  }
  const stream = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    stream.set(part, offset);
    offset += part.length;
  }
  return stream;
}

/**
 * Unpacks rows of 1-, 2- or 4-bit samples (each row padded to a whole byte)
 * into one byte per sample.
 */
function unpackSamples(
  packed: ArrayLike<number>,
  width: number,
  height: number,
  depth: number,
): Uint8Array {
  const samples = new Uint8Array(width * height);
  const rowBytes = Math.ceil((width * depth) / 8);
  const mask = (1 << depth) - 1;
  for (let row = 0; row < height; row++) {
    for (let column = 0; column < width; column++) {
      const bit = column * depth;
      const byte = packed[row * rowBytes + (bit >> 3)];
      samples[row * width + column] = (byte >> (8 - depth - (bit & 7))) & mask;
    }
  }
  return samples;
}

/**
 * Decodes a PNG file into floats in [0, 1] with the requested channels.
 *
 * - Grey, grey + alpha, RGB, RGBA and palette images of any bit depth
 *   (1 to 16) are read; samples are divided by their maximum (255, 65535...).
 * - Alpha (an alpha channel, or tRNS transparency for palette, grey and RGB
 *   images) is composited over `background`: value * alpha +
 *   background * (1 - alpha).
 * - Colour becomes grey by the BT.601 luma weights 0.299 R + 0.587 G +
 *   0.114 B; grey becomes colour by repeating it. No gamma is applied.
 *
 * @param bytes The whole file.
 * @param name The file's name, put at the start of every error message.
 * @param options Channels wanted, background and size limit.
 * @returns The pixels, (height, width, channels) row-major.
 * @throws Error naming the file if it is not a PNG, is corrupt (bad CRC,
 * truncated, bad compressed data) or declares a side over `maxSide`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodePngPixels } from "./png_decode.ts";
 * import { encode } from "fast-png";
 * // A 2 x 1 grey PNG (as from Deno.readFile): black, then white.
 * const bytes = encode({ width: 2, height: 1, channels: 1, data: Uint8Array.of(0, 255) });
 * const image = decodePngPixels(bytes, "picture.png", { channels: 3 });
 * assert.deepEqual([image.width, image.height], [2, 1]);
 * assert.deepEqual(image.data, Float32Array.of(0, 0, 0, 1, 1, 1));
 * ```
 */
export function decodePngPixels(
  bytes: Uint8Array,
  name: string,
  { channels, background = 0, maxSide = 8192 }: PngDecodeOptions,
): FloatImage {
  const fail = (reason: string): never => {
    // Messages from the decoder may quote corrupt bytes (a chunk name):
    // keep the error on one printable line.
    // deno-lint-ignore no-control-regex -- control bytes are what we replace
    const printable = reason.replace(/[\x00-\x1f\x7f]/g, "?");
    throw new Error(`${name}: ${printable}`);
  };
  if (channels !== 1 && channels !== 3) {
    throw new Error(`channels must be 1 or 3, got ${channels}`);
  }
  if (!(background >= 0 && background <= 1)) {
    throw new Error(`background must be in [0, 1], got ${background}`);
  }
  if (bytes.length === 0) fail("empty file, not a PNG");
  if (!SIGNATURE.every((value, index) => bytes[index] === value)) {
    fail(
      `not a PNG file: starts with ${
        hex(bytes.subarray(0, 8))
      }, expected 89 50 4e 47 0d 0a 1a 0a`,
    );
  }
  // Read the header ourselves first, so that a forged size is refused before
  // the decoder allocates width x height pixels.
  if (bytes.length < HEADER_LENGTH) {
    fail(`corrupt PNG: truncated header (${bytes.length} bytes)`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const chunkType = String.fromCharCode(...bytes.subarray(12, 16));
  if (view.getUint32(8) !== 13 || chunkType !== "IHDR") {
    fail("corrupt PNG: the first chunk is not a 13-byte IHDR");
  }
  const width = view.getUint32(16);
  const height = view.getUint32(20);
  if (width === 0 || height === 0) {
    fail(`corrupt PNG: size ${width} x ${height}`);
  }
  if (width > maxSide || height > maxSide) {
    fail(
      `PNG is ${width} x ${height} pixels, over the ${maxSide} x ${maxSide} limit`,
    );
  }
  const colorType = bytes[25];

  let png: ReturnType<typeof decode>;
  try {
    png = decode(bytes, { checkCrc: true });
  } catch (error) {
    let reason = error instanceof Error ? error.message : String(error);
    if (error instanceof RangeError && /bounds/.test(reason)) {
      reason = `truncated, the file ends inside a chunk (${reason})`;
    } else if (error instanceof Error && error.cause instanceof Error) {
      reason += ` ${error.cause.message}`;
    }
    return fail(`corrupt PNG: ${reason}`);
  }
  // fast-png's inflater (fflate) checks neither the stream's Adler-32 nor
  // its stored-block lengths, so a stream damaged before its chunk CRC was
  // computed would load as wrong pixels; zlib checks both.
  try {
    inflateSync(imageStream(bytes, view));
  } catch (error) {
    fail(
      `corrupt PNG: bad compressed image data (${
        error instanceof Error ? error.message : error
      })`,
    );
  }
  const { depth } = png;

  // Samples as unpacked integers, `sourceChannels` per pixel, up to `maximum`.
  let samples: ArrayLike<number> = png.data;
  let sourceChannels = png.channels;
  let maximum = 2 ** depth - 1;
  const expected = depth < 8
    ? Math.ceil((width * depth) / 8) * height
    : width * height * sourceChannels;
  if (png.data.length !== expected) {
    fail(
      `corrupt PNG: image data holds ${png.data.length} samples, expected ${expected}`,
    );
  }
  if (colorType === INDEXED) {
    if (!png.palette?.length) {
      fail("corrupt PNG: palette image without a palette");
    }
    try {
      samples = convertIndexedToRgb(png);
    } catch (error) {
      fail(`corrupt PNG: ${error instanceof Error ? error.message : error}`);
    }
    sourceChannels = png.palette![0].length;
    maximum = 255;
  } else if (depth < 8) {
    samples = unpackSamples(png.data, width, height, depth);
  }

  // tRNS on grey or RGB: one colour (raw sample values) that is transparent.
  const key = (colorType === GREY || colorType === RGB) && png.transparency
    ? [...png.transparency]
    : undefined;
  const isColour = sourceChannels >= 3;
  const hasAlpha = sourceChannels === 2 || sourceChannels === 4;

  const data = new Float32Array(width * height * channels);
  const colour = [0, 0, 0];
  for (let pixel = 0; pixel < width * height; pixel++) {
    const base = pixel * sourceChannels;
    let alpha = 1;
    if (hasAlpha) alpha = samples[base + sourceChannels - 1] / maximum;
    else if (
      key && key.every((value, index) => samples[base + index] === value)
    ) {
      alpha = 0;
    }
    for (let channel = 0; channel < 3; channel++) {
      const value = samples[base + (isColour ? channel : 0)] / maximum;
      colour[channel] = value * alpha + background * (1 - alpha);
    }
    if (channels === 3) data.set(colour, pixel * 3);
    else {
      data[pixel] = isColour
        ? Math.min(
          1,
          LUMA[0] * colour[0] + LUMA[1] * colour[1] + LUMA[2] * colour[2],
        )
        : colour[0];
    }
  }
  return { width, height, channels, data };
}
