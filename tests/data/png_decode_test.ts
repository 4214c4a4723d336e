import assert from "node:assert/strict";
import { encode } from "fast-png";
import { decodePngPixels } from "../../data/png_decode.ts";

/** Asserts two arrays agree within `tolerance`, element by element. */
function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tolerance = 1e-6,
): void {
  assert.equal(actual.length, expected.length, "length");
  for (let index = 0; index < actual.length; index++) {
    assert.ok(
      Math.abs(actual[index] - expected[index]) <= tolerance,
      `at ${index}: ${actual[index]} vs ${expected[index]}`,
    );
  }
}

/** A 2 x 1 PNG (2 pixels wide) with the given channels and samples. */
function png2x1(
  channels: number,
  data: number[],
  depth: 8 | 16 = 8,
): Uint8Array {
  return encode({
    width: 2,
    height: 1,
    channels,
    depth,
    data: depth === 16 ? Uint16Array.from(data) : Uint8Array.from(data),
  });
}

Deno.test("decodePngPixels() scales 8-bit grey to [0, 1] and repeats it for RGB", () => {
  const bytes = png2x1(1, [0, 51]);
  const grey = decodePngPixels(bytes, "grey.png", { channels: 1 });
  assert.deepEqual([grey.width, grey.height, grey.channels], [2, 1, 1]);
  assertClose(grey.data, [0, 0.2]);
  const rgb = decodePngPixels(bytes, "grey.png", { channels: 3 });
  assertClose(rgb.data, [0, 0, 0, 0.2, 0.2, 0.2]);
});

Deno.test("decodePngPixels() reads RGB, and turns it to grey by BT.601 luma", () => {
  const bytes = png2x1(3, [255, 0, 0, 10, 20, 30]);
  const rgb = decodePngPixels(bytes, "rgb.png", { channels: 3 });
  assertClose(rgb.data, [1, 0, 0, 10 / 255, 20 / 255, 30 / 255]);
  const grey = decodePngPixels(bytes, "rgb.png", { channels: 1 });
  assertClose(grey.data, [
    0.299,
    (0.299 * 10 + 0.587 * 20 + 0.114 * 30) / 255,
  ]);
  const white = png2x1(3, [255, 255, 255, 255, 255, 255]);
  const whiteGrey = decodePngPixels(white, "white.png", { channels: 1 }).data;
  assert.ok(whiteGrey.every((value) => value <= 1 && value > 0.99999));
});

Deno.test("decodePngPixels() composites RGBA and grey + alpha over the background", () => {
  const rgba = png2x1(4, [255, 255, 255, 0, 200, 100, 0, 255]);
  // Fully transparent white -> background; opaque pixel unchanged.
  assertClose(decodePngPixels(rgba, "rgba.png", { channels: 3 }).data, [
    0,
    0,
    0,
    200 / 255,
    100 / 255,
    0,
  ]);
  const onWhite = decodePngPixels(rgba, "rgba.png", {
    channels: 3,
    background: 1,
  });
  assertClose(onWhite.data.subarray(0, 3), [1, 1, 1]);
  const greyAlpha = png2x1(2, [255, 51, 0, 255]);
  // Half-visible white over 0.5 grey: 1 * 0.2 + 0.5 * 0.8 = 0.6.
  assertClose(
    decodePngPixels(greyAlpha, "ga.png", { channels: 1, background: 0.5 })
      .data,
    [0.6, 0],
  );
});

Deno.test("decodePngPixels() scales 16-bit samples by 65535", () => {
  const grey = png2x1(1, [65535, 13107], 16);
  assertClose(decodePngPixels(grey, "g16.png", { channels: 1 }).data, [1, 0.2]);
  const rgba = png2x1(4, [65535, 0, 32768, 65535, 0, 0, 0, 0], 16);
  assertClose(
    decodePngPixels(rgba, "rgba16.png", { channels: 3 }).data,
    [1, 0, 32768 / 65535, 0, 0, 0],
  );
});

Deno.test("decodePngPixels() reads palette images with transparency", () => {
  const bytes = encode({
    width: 3,
    height: 1,
    channels: 1,
    depth: 8,
    // Entry 0 is transparent; fast-png writes tRNS for leading entries.
    palette: [[255, 0, 0, 0], [0, 255, 0, 255], [0, 0, 255, 255]],
    data: Uint8Array.from([0, 1, 2]),
  });
  assertClose(decodePngPixels(bytes, "palette.png", { channels: 3 }).data, [
    0,
    0,
    0,
    0,
    1,
    0,
    0,
    0,
    1,
  ]);
});

Deno.test("decodePngPixels() reads 2-bit palette and 4-bit grey rows padded to a byte", () => {
  const palette = encode({
    width: 3,
    height: 2,
    channels: 1,
    depth: 2,
    palette: [[0, 0, 0], [255, 0, 0], [0, 255, 0], [0, 0, 255]],
    // Rows: indices 0 1 2 (+ 2 bits padding), then 3 2 1.
    data: Uint8Array.from([0b00011000, 0b11100100]),
  });
  assert.deepEqual(
    [...decodePngPixels(palette, "palette2.png", { channels: 3 }).data],
    [0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 1, 0, 1, 0, 0],
  );
  const grey = encode({
    width: 3,
    height: 2,
    channels: 1,
    depth: 4,
    data: Uint8Array.from([0x0f, 0x50, 0xa3, 0x00]),
  });
  assertClose(
    decodePngPixels(grey, "grey4.png", { channels: 1 }).data,
    [0, 15, 5, 10, 3, 0].map((value) => value / 15),
  );
});

Deno.test("decodePngPixels() unpacks 1-bit grey rows padded to a byte", () => {
  // 10 pixels wide: each row is 2 bytes, the last 6 bits padding.
  const bytes = encode({
    width: 10,
    height: 2,
    channels: 1,
    depth: 1,
    data: Uint8Array.from([0b10100000, 0b01000000, 0b11111111, 0b11000000]),
  });
  const { data } = decodePngPixels(bytes, "bits.png", { channels: 1 });
  assert.deepEqual(
    [...data],
    [1, 0, 1, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1],
  );
});

Deno.test("decodePngPixels() reads Adam7-interlaced images", () => {
  const data = Uint8Array.from({ length: 9 * 7 }, (_, index) => index * 4);
  const bytes = encode({ width: 9, height: 7, channels: 1, depth: 8, data }, {
    interlace: "Adam7",
  });
  const decoded = decodePngPixels(bytes, "adam7.png", { channels: 1 });
  assertClose(decoded.data, [...data].map((value) => value / 255));
});

/** CRC-32 of PNG chunks (ISO 3309), bit by bit. */
function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) {
      crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
    }
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** `png` with a chunk of `type` and `data` inserted right after IHDR. */
function withChunk(png: Uint8Array, type: string, data: number[]): Uint8Array {
  const chunk = new Uint8Array(12 + data.length);
  const view = new DataView(chunk.buffer);
  view.setUint32(0, data.length);
  chunk.set([...type].map((letter) => letter.charCodeAt(0)), 4);
  chunk.set(data, 8);
  view.setUint32(8 + data.length, crc32(chunk.subarray(4, 8 + data.length)));
  const afterHeader = 8 + 25; // signature, then IHDR with its length and CRC
  const result = new Uint8Array(png.length + chunk.length);
  result.set(png.subarray(0, afterHeader));
  result.set(chunk, afterHeader);
  result.set(png.subarray(afterHeader), afterHeader + chunk.length);
  return result;
}

Deno.test("decodePngPixels() makes the tRNS colour of grey and RGB images transparent", () => {
  // RGB key (10, 20, 30) as three 16-bit values. (fast-png wants at least
  // as many pixels as tRNS values, so the image is 4 x 1.)
  const rgbPng = encode({
    width: 4,
    height: 1,
    channels: 3,
    depth: 8,
    data: Uint8Array.from([10, 20, 30, 10, 20, 31, 0, 0, 0, 10, 20, 30]),
  });
  const rgb = withChunk(rgbPng, "tRNS", [
    0,
    10,
    0,
    20,
    0,
    30,
  ]);
  assertClose(
    decodePngPixels(rgb, "key.png", { channels: 3, background: 1 }).data,
    [1, 1, 1, 10 / 255, 20 / 255, 31 / 255, 0, 0, 0, 1, 1, 1],
  );
  const grey = withChunk(png2x1(1, [7, 8]), "tRNS", [0, 8]);
  assertClose(decodePngPixels(grey, "key.png", { channels: 1 }).data, [
    7 / 255,
    0,
  ]);
});

/** Asserts `run` throws an error starting with `name: ` and matching `pattern`. */
function throwsNaming(run: () => unknown, name: string, pattern: RegExp): void {
  assert.throws(run, (error: Error) => {
    assert.ok(
      error.message.startsWith(`${name}: `),
      `"${error.message}" should start with the file name`,
    );
    assert.match(error.message, pattern);
    return true;
  });
}

Deno.test("decodePngPixels() rejects a file that is not a PNG, naming it", () => {
  const jpeg = Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46]);
  throwsNaming(
    () => decodePngPixels(jpeg, "photo.png", { channels: 3 }),
    "photo.png",
    /not a PNG file: starts with ff d8 ff e0/,
  );
  throwsNaming(
    () => decodePngPixels(new Uint8Array(0), "empty.png", { channels: 3 }),
    "empty.png",
    /empty file/,
  );
});

Deno.test("decodePngPixels() rejects corrupt and truncated files, naming them", () => {
  const bytes = png2x1(3, [1, 2, 3, 4, 5, 6]);
  const flipped = bytes.slice();
  flipped[bytes.length - 20] ^= 0xff; // inside the IDAT chunk
  throwsNaming(
    () => decodePngPixels(flipped, "flipped.png", { channels: 3 }),
    "flipped.png",
    /corrupt PNG: CRC mismatch for chunk IDAT/,
  );
  throwsNaming(
    () => decodePngPixels(bytes.subarray(0, 40), "cut.png", { channels: 3 }),
    "cut.png",
    /corrupt PNG: truncated/,
  );
  throwsNaming(
    () => decodePngPixels(bytes.subarray(0, 20), "stub.png", { channels: 3 }),
    "stub.png",
    /corrupt PNG: truncated header/,
  );
});

Deno.test("decodePngPixels() refuses a damaged zlib stream whose chunk CRC is right", () => {
  const bytes = png2x1(3, [1, 2, 3, 4, 5, 6]);
  const view = new DataView(bytes.buffer);
  const idat = 8 + 12 + 13; // after the signature and IHDR
  assert.equal(
    String.fromCharCode(...bytes.subarray(idat + 4, idat + 8)),
    "IDAT",
  );
  const length = view.getUint32(idat);
  // The stream's last byte is its Adler-32's; reseal the chunk's CRC so only
  // the zlib checksum can tell.
  bytes[idat + 8 + length - 1] ^= 0x01;
  view.setUint32(
    idat + 8 + length,
    crc32(bytes.subarray(idat + 4, idat + 8 + length)),
  );
  throwsNaming(
    () => decodePngPixels(bytes, "resealed.png", { channels: 3 }),
    "resealed.png",
    /corrupt PNG: bad compressed image data/,
  );
});

Deno.test("decodePngPixels() refuses a forged huge size before decoding", () => {
  const bytes = png2x1(1, [0, 0]);
  const view = new DataView(bytes.buffer);
  view.setUint32(16, 100000); // width
  view.setUint32(20, 100000); // height
  throwsNaming(
    () => decodePngPixels(bytes, "bomb.png", { channels: 1 }),
    "bomb.png",
    /100000 x 100000 pixels, over the 8192 x 8192 limit/,
  );
  const small = png2x1(1, [0, 0]);
  throwsNaming(
    () => decodePngPixels(small, "wide.png", { channels: 1, maxSide: 1 }),
    "wide.png",
    /2 x 1 pixels, over the 1 x 1 limit/,
  );
});

Deno.test("decodePngPixels() rejects channels other than 1 or 3", () => {
  const bytes = png2x1(1, [0, 0]);
  assert.throws(
    () => decodePngPixels(bytes, "a.png", { channels: 4 as 3 }),
    /channels must be 1 or 3, got 4/,
  );
});
