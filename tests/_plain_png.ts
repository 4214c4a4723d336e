/**
 * A plain PNG reader for tests, written from the specification
 * (https://www.w3.org/TR/png/) and sharing no code with the project's PNG
 * writer or reader (both fast-png): chunks and their CRCs are walked by
 * hand, the image data is inflated with `node:zlib` and unfiltered here.
 * It reads what the project writes and what a fuzzer derives from it:
 * non-interlaced images of any colour type and bit depth. Anything else,
 * or anything corrupt, throws.
 *
 * @module
 */
import { crc32, inflateSync } from "node:zlib";

/** A decoded PNG: its header fields and one integer per sample. */
export interface PlainPng {
  width: number;
  height: number;
  /** Bits per sample: 1, 2, 4, 8 or 16. */
  depth: number;
  /** IHDR colour type: 0 grey, 2 RGB, 3 palette, 4 grey + alpha, 6 RGBA. */
  colorType: number;
  /** Samples per pixel (1 for palette images: the index). */
  channels: number;
  /** Samples, (height, width, channels) row-major, unpacked and unscaled. */
  samples: Uint16Array;
  /** PLTE entries as [r, g, b] (palette images only). */
  palette?: number[][];
  /** The raw tRNS chunk data, if the file has one. */
  transparency?: Uint8Array;
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** Samples per pixel and the bit depths allowed, by colour type. */
const COLOUR_TYPES: Record<number, { channels: number; depths: number[] }> = {
  0: { channels: 1, depths: [1, 2, 4, 8, 16] },
  2: { channels: 3, depths: [8, 16] },
  3: { channels: 1, depths: [1, 2, 4, 8] },
  4: { channels: 2, depths: [8, 16] },
  6: { channels: 4, depths: [8, 16] },
};

/** The Paeth predictor of the specification, section 9.4. */
function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
  if (pa <= pb && pa <= pc) return a;
  return pb <= pc ? b : c;
}

/**
 * Decodes a whole PNG file.
 *
 * @throws Error for a bad signature, chunk, CRC, header, compressed stream,
 * filter type or image-data length, and for interlaced images.
 */
export function decodePlainPng(bytes: Uint8Array): PlainPng {
  if (!SIGNATURE.every((value, index) => bytes[index] === value)) {
    throw new Error("no PNG signature");
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const chunks: { type: string; data: Uint8Array }[] = [];
  let at = 8;
  for (;;) {
    if (at + 12 > bytes.length) throw new Error("file ends inside a chunk");
    const length = view.getUint32(at);
    const end = at + 12 + length;
    if (length > 0x7fffffff || end > bytes.length) {
      throw new Error("chunk runs past the end of the file");
    }
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    const data = bytes.subarray(at + 8, at + 8 + length);
    if (
      crc32(bytes.subarray(at + 4, at + 8 + length)) !== view.getUint32(end - 4)
    ) {
      throw new Error(`bad CRC in chunk ${JSON.stringify(type)}`);
    }
    chunks.push({ type, data });
    at = end;
    if (type === "IEND") break;
  }
  const [header] = chunks;
  if (header.type !== "IHDR" || header.data.length !== 13) {
    throw new Error("first chunk is not a 13-byte IHDR");
  }
  const ihdr = new DataView(header.data.buffer, header.data.byteOffset, 13);
  const width = ihdr.getUint32(0), height = ihdr.getUint32(4);
  const [depth, colorType, compression, filter, interlace] = header.data
    .subarray(8);
  const kind = COLOUR_TYPES[colorType];
  if (width === 0 || height === 0) throw new Error("empty image");
  if (!kind || !kind.depths.includes(depth)) {
    throw new Error(`colour type ${colorType} with depth ${depth}`);
  }
  if (compression !== 0 || filter !== 0) {
    throw new Error("unknown compression or filter method");
  }
  if (interlace !== 0) throw new Error("interlaced (not read here)");
  const critical = chunks.filter(({ type }) => /^[A-Z]/.test(type));
  for (const { type } of critical) {
    if (!["IHDR", "PLTE", "IDAT", "IEND"].includes(type)) {
      throw new Error(`unknown critical chunk ${JSON.stringify(type)}`);
    }
  }
  const idat = chunks.filter(({ type }) => type === "IDAT");
  if (idat.length === 0) throw new Error("no IDAT chunk");
  const compressed = new Uint8Array(
    idat.reduce((total, { data }) => total + data.length, 0),
  );
  let offset = 0;
  for (const { data } of idat) {
    compressed.set(data, offset);
    offset += data.length;
  }
  const filtered = new Uint8Array(inflateSync(compressed));

  // Unfilter: each row is a filter-type byte then `rowBytes` bytes; `step`
  // is the bytes per whole pixel (at least 1), section 9.2.
  const bitsPerPixel = depth * kind.channels;
  const rowBytes = Math.ceil((width * bitsPerPixel) / 8);
  const step = Math.max(1, bitsPerPixel >> 3);
  if (filtered.length !== height * (rowBytes + 1)) {
    throw new Error(
      `image data is ${filtered.length} bytes, expected ${
        height * (rowBytes + 1)
      }`,
    );
  }
  const raw = new Uint8Array(height * rowBytes);
  for (let row = 0; row < height; row++) {
    const type = filtered[row * (rowBytes + 1)];
    const line = filtered.subarray(
      row * (rowBytes + 1) + 1,
      (row + 1) * (rowBytes + 1),
    );
    for (let i = 0; i < rowBytes; i++) {
      const a = i >= step ? raw[row * rowBytes + i - step] : 0;
      const b = row > 0 ? raw[(row - 1) * rowBytes + i] : 0;
      const c = row > 0 && i >= step ? raw[(row - 1) * rowBytes + i - step] : 0;
      const predictor = [0, a, b, (a + b) >> 1, paeth(a, b, c)][type];
      if (predictor === undefined) throw new Error(`filter type ${type}`);
      raw[row * rowBytes + i] = (line[i] + predictor) & 0xff;
    }
  }

  // Unpack samples: big-endian 16-bit pairs, or sub-byte samples from the
  // high bits down, each row starting on a byte.
  const perRow = width * kind.channels;
  const samples = new Uint16Array(height * perRow);
  for (let row = 0; row < height; row++) {
    for (let i = 0; i < perRow; i++) {
      const bit = i * depth;
      const byte = row * rowBytes + (bit >> 3);
      samples[row * perRow + i] = depth === 16
        ? (raw[byte] << 8) | raw[byte + 1]
        : (raw[byte] >> (8 - depth - (bit & 7))) & ((1 << depth) - 1);
    }
  }
  const plte = chunks.find(({ type }) => type === "PLTE");
  const trns = chunks.find(({ type }) => type === "tRNS");
  const palette = plte
    ? Array.from(
      { length: Math.floor(plte.data.length / 3) },
      (_, index) => [...plte.data.subarray(3 * index, 3 * index + 3)],
    )
    : undefined;
  if (colorType === 3 && !palette) {
    throw new Error("palette image without PLTE");
  }
  return {
    width,
    height,
    depth,
    colorType,
    channels: kind.channels,
    samples,
    ...(colorType === 3 ? { palette } : {}),
    ...(trns ? { transparency: trns.data.slice() } : {}),
  };
}
