import assert from "node:assert/strict";
import type { FloatImage } from "../../data/image_set.ts";
import { resizeArea } from "../../data/resize.ts";
import { mulberry32 } from "../../data/random.ts";

const image = (
  width: number,
  height: number,
  channels: number,
  values: (x: number, y: number, channel: number) => number,
): FloatImage => {
  const data = new Float32Array(width * height * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let channel = 0; channel < channels; channel++) {
        data[(y * width + x) * channels + channel] = values(x, y, channel);
      }
    }
  }
  return { width, height, channels, data };
};

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

/**
 * Plain 2-D reference: each output pixel is the mean of the source over the
 * rectangle it covers, integrating pixel by pixel (no separable passes).
 */
function referenceArea(
  source: FloatImage,
  width: number,
  height: number,
  region: { x: number; y: number; width: number; height: number },
): Float32Array {
  const out = new Float32Array(width * height * source.channels);
  const overlap = (a0: number, a1: number, b0: number, b1: number) =>
    Math.max(0, Math.min(a1, b1) - Math.max(a0, b0));
  for (let oy = 0; oy < height; oy++) {
    for (let ox = 0; ox < width; ox++) {
      const x0 = region.x + (ox * region.width) / width;
      const x1 = region.x + ((ox + 1) * region.width) / width;
      const y0 = region.y + (oy * region.height) / height;
      const y1 = region.y + ((oy + 1) * region.height) / height;
      for (let channel = 0; channel < source.channels; channel++) {
        let sum = 0;
        let area = 0;
        for (let sy = 0; sy < source.height; sy++) {
          for (let sx = 0; sx < source.width; sx++) {
            const weight = overlap(x0, x1, sx, sx + 1) *
              overlap(y0, y1, sy, sy + 1);
            sum += weight *
              source.data[(sy * source.width + sx) * source.channels + channel];
            area += weight;
          }
        }
        out[(oy * width + ox) * source.channels + channel] = sum / area;
      }
    }
  }
  return out;
}

Deno.test("resizeArea() averages a 1-pixel checkerboard to flat 0.5", () => {
  const board = image(8, 8, 1, (x, y) => (x + y) % 2);
  for (const size of [4, 2, 1]) {
    const { data } = resizeArea(board, size, size);
    assertClose(data, new Array(size * size).fill(0.5));
  }
});

Deno.test("resizeArea() halves a 2-pixel checkerboard into a 1-pixel one exactly", () => {
  const board = image(
    8,
    8,
    1,
    (x, y) => (Math.floor(x / 2) + Math.floor(y / 2)) % 2,
  );
  const { data } = resizeArea(board, 4, 4);
  assert.deepEqual([...data], [...image(4, 4, 1, (x, y) => (x + y) % 2).data]);
});

Deno.test("resizeArea() keeps a constant image constant at any scale and fit", () => {
  const flat = image(7, 5, 3, (_x, _y, channel) => [0.25, 0.5, 0.75][channel]);
  for (const fit of ["crop", "stretch"] as const) {
    for (const [width, height] of [[3, 3], [11, 13], [7, 5], [1, 1]]) {
      const resized = resizeArea(flat, width, height, { fit });
      assert.deepEqual([resized.width, resized.height, resized.channels], [
        width,
        height,
        3,
      ]);
      assertClose(
        resized.data,
        Array.from(
          { length: width * height * 3 },
          (_, index) => [0.25, 0.5, 0.75][index % 3],
        ),
      );
    }
  }
});

Deno.test("resizeArea() repeats pixels when growing by a whole factor", () => {
  const small = image(2, 2, 1, (x, y) => x + 2 * y);
  const { data } = resizeArea(small, 4, 4);
  assert.deepEqual([...data], [0, 0, 1, 1, 0, 0, 1, 1, 2, 2, 3, 3, 2, 2, 3, 3]);
});

Deno.test("resizeArea() weights partly covered pixels (3 -> 2)", () => {
  const row = image(3, 1, 1, (x) => [0, 0.3, 0.9][x]);
  const { data } = resizeArea(row, 2, 1, { fit: "stretch" });
  // Output 0 covers [0, 1.5): (0 + 0.3 / 2) / 1.5; output 1 covers [1.5, 3).
  assertClose(data, [(0 + 0.15) / 1.5, (0.15 + 0.9) / 1.5]);
});

Deno.test("resizeArea() centre-crops to the target aspect, or stretches", () => {
  // 4 wide, 2 tall: columns hold 0, 1, 2, 3.
  const wide = image(4, 2, 1, (x) => x);
  assert.deepEqual([...resizeArea(wide, 2, 2).data], [1, 2, 1, 2]);
  assert.deepEqual([...resizeArea(wide, 2, 2, { fit: "stretch" }).data], [
    0.5,
    2.5,
    0.5,
    2.5,
  ]);
  // 2 wide, 4 tall: rows hold 0, 1, 2, 3; the crop keeps rows 1 and 2.
  const tall = image(2, 4, 1, (_x, y) => y);
  assert.deepEqual([...resizeArea(tall, 1, 1).data], [1.5]);
  assert.deepEqual([...resizeArea(tall, 2, 2).data], [1, 1, 2, 2]);
});

Deno.test("resizeArea() matches a plain 2-D area reference on random images (tolerance 1e-5)", () => {
  const random = mulberry32(5);
  for (
    const [from, to] of [[[13, 9], [5, 4]], [[6, 10], [9, 7]], [[17, 17], [
      6,
      6,
    ]]]
  ) {
    const source = image(from[0], from[1], 2, () => random());
    for (const fit of ["crop", "stretch"] as const) {
      const [width, height] = to;
      let region = { x: 0, y: 0, width: source.width, height: source.height };
      if (fit === "crop") {
        const cropWidth = Math.min(
          source.width,
          (source.height * width) / height,
        );
        const cropHeight = Math.min(
          source.height,
          (source.width * height) / width,
        );
        region = {
          x: (source.width - cropWidth) / 2,
          y: (source.height - cropHeight) / 2,
          width: cropWidth,
          height: cropHeight,
        };
      }
      assertClose(
        resizeArea(source, width, height, { fit }).data,
        referenceArea(source, width, height, region),
        1e-5,
      );
    }
  }
});

Deno.test("resizeArea() keeps the mean of a stretched image", () => {
  const random = mulberry32(9);
  const source = image(23, 19, 1, () => random());
  const mean = (values: Float32Array) =>
    values.reduce((sum, value) => sum + value, 0) / values.length;
  // 23 -> 5 and 19 -> 4 do not divide, so partial weights are exercised.
  const resized = resizeArea(source, 5, 4, { fit: "stretch" });
  assert.ok(Math.abs(mean(resized.data) - mean(source.data)) < 1e-6);
});

Deno.test("resizeArea() rejects bad sizes and fits", () => {
  const one = image(1, 1, 1, () => 0);
  assert.throws(
    () => resizeArea(one, 0, 1),
    /width must be a whole number >= 1, got 0/,
  );
  assert.throws(
    () => resizeArea(one, 1, 2.5),
    /height must be a whole number >= 1, got 2.5/,
  );
  assert.throws(
    () => resizeArea(one, 1, 1, { fit: "pad" as "crop" }),
    /fit must be "crop" or "stretch", got "pad"/,
  );
});
