/**
 * The skeleton of a binary image (Zhang–Suen thinning) and the length of the
 * curve it traces, the stroke length that stroke thickness is measured
 * against.
 *
 * @module
 */

/**
 * Thins a binary image to a one-pixel-wide skeleton with the parallel
 * algorithm of Zhang and Suen (1984): boundary pixels are peeled off in two
 * alternating sub-iterations (south-east, then north-west) until none can go
 * without breaking the shape's 8-connectivity or shortening a stroke's end.
 *
 * @param ink 1 where a pixel is ink, 0 elsewhere, row-major.
 * @param width Pixels per row; the height is `ink.length / width`.
 * @returns A new mask of the same size, 1 on the skeleton. A shape no more
 * than two pixels across everywhere (a 2 x 2 block) may vanish entirely, a
 * known trait of the algorithm; callers guard against an empty skeleton.
 *
 * @example A 3 x 7 bar thins to part of its middle row (the ends wear off)
 * ```ts
 * import assert from "node:assert/strict";
 * import { thin } from "./skeleton.ts";
 * const width = 9;
 * const ink = new Uint8Array(5 * width);
 * for (let y = 1; y <= 3; y++) for (let x = 1; x <= 7; x++) ink[y * width + x] = 1;
 * const skeleton = thin(ink, width);
 * assert.deepEqual([...skeleton.subarray(2 * width, 3 * width)], [0, 0, 1, 1, 1, 1, 0, 0, 0]);
 * assert.equal(skeleton.reduce((sum, value) => sum + value, 0), 4);
 * ```
 */
export function thin(ink: Uint8Array, width: number): Uint8Array {
  const height = ink.length / width;
  const mask = Uint8Array.from(ink, (value) => value ? 1 : 0);
  const at = (x: number, y: number) =>
    x < 0 || y < 0 || x >= width || y >= height ? 0 : mask[y * width + x];
  const doomed: number[] = [];
  let changed = true;
  while (changed) {
    changed = false;
    for (const step of [0, 1]) {
      doomed.length = 0;
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
          if (!mask[y * width + x]) continue;
          // Neighbours clockwise from north: P2 .. P9 in Zhang and Suen.
          const p2 = at(x, y - 1), p3 = at(x + 1, y - 1), p4 = at(x + 1, y);
          const p5 = at(x + 1, y + 1), p6 = at(x, y + 1), p7 = at(x - 1, y + 1);
          const p8 = at(x - 1, y), p9 = at(x - 1, y - 1);
          const count = p2 + p3 + p4 + p5 + p6 + p7 + p8 + p9;
          if (count < 2 || count > 6) continue;
          const ring = [p2, p3, p4, p5, p6, p7, p8, p9, p2];
          let transitions = 0;
          for (let index = 0; index < 8; index++) {
            if (ring[index] === 0 && ring[index + 1] === 1) transitions++;
          }
          if (transitions !== 1) continue;
          const keep = step === 0
            ? p2 * p4 * p6 || p4 * p6 * p8
            : p2 * p4 * p8 || p2 * p6 * p8;
          if (!keep) doomed.push(y * width + x);
        }
      }
      for (const index of doomed) mask[index] = 0;
      if (doomed.length > 0) changed = true;
    }
  }
  return mask;
}

/**
 * Length of the curve a one-pixel-wide skeleton traces, in pixel widths:
 * each link between 4-neighbours counts 1 and each diagonal link √2, but a
 * diagonal link is left out where the two pixels also meet through a shared
 * 4-neighbour (the corner of an L), which the two straight links already
 * cover. A straight run of n pixels in any of the eight directions so
 * measures n - 1 times its step.
 *
 * @param skeleton 1 on the skeleton, 0 elsewhere, row-major.
 * @param width Pixels per row.
 * @returns The summed length of the links; 0 for a single pixel.
 *
 * @example A diagonal of 5 pixels is 4√2 long
 * ```ts
 * import assert from "node:assert/strict";
 * import { skeletonLength } from "./skeleton.ts";
 * const skeleton = new Uint8Array(25);
 * for (let i = 0; i < 5; i++) skeleton[i * 5 + i] = 1;
 * assert.equal(skeletonLength(skeleton, 5), 4 * Math.SQRT2);
 * ```
 */
export function skeletonLength(skeleton: Uint8Array, width: number): number {
  const height = skeleton.length / width;
  const at = (x: number, y: number) =>
    x >= 0 && y >= 0 && x < width && y < height && skeleton[y * width + x] > 0;
  let straight = 0;
  let diagonal = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (!at(x, y)) continue;
      // Links to the east and south, and the two diagonals below, so each
      // link is seen once.
      if (at(x + 1, y)) straight++;
      if (at(x, y + 1)) straight++;
      if (at(x + 1, y + 1) && !at(x + 1, y) && !at(x, y + 1)) diagonal++;
      if (at(x - 1, y + 1) && !at(x - 1, y) && !at(x, y + 1)) diagonal++;
    }
  }
  return straight + Math.SQRT2 * diagonal;
}

/**
 * The ends of the strokes in a skeleton: pixels with exactly one
 * 8-neighbour on it. A lone pixel (a dot, or a blob thinned to one pixel)
 * counts as two ends, a stroke of length zero.
 *
 * @param skeleton 1 on the skeleton, 0 elsewhere, row-major.
 * @param width Pixels per row.
 * @returns How many stroke ends; 0 for closed loops and empty skeletons.
 *
 * @example A line has two ends, a loop none
 * ```ts
 * import assert from "node:assert/strict";
 * import { skeletonEnds } from "./skeleton.ts";
 * const line = Uint8Array.of(1, 1, 1, 0);
 * assert.equal(skeletonEnds(line, 4), 2);
 * const loop = Uint8Array.of(1, 1, 1, 1, 0, 1, 1, 1, 1);
 * assert.equal(skeletonEnds(loop, 3), 0);
 * ```
 */
export function skeletonEnds(skeleton: Uint8Array, width: number): number {
  const height = skeleton.length / width;
  let ends = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (!skeleton[y * width + x]) continue;
      let neighbours = 0;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const [nx, ny] = [x + dx, y + dy];
          if (
            (dx || dy) && nx >= 0 && ny >= 0 && nx < width && ny < height &&
            skeleton[ny * width + nx]
          ) neighbours++;
        }
      }
      if (neighbours === 1) ends++;
      else if (neighbours === 0) ends += 2;
    }
  }
  return ends;
}
