/**
 * Attributes measured on one grey image (pixels in [0, 1], ink bright on a
 * dark ground, as in MNIST and Fashion-MNIST): stroke thickness, slant, size
 * and brightness. Each is a plain number; {@link ./attribute_classes.ts}
 * sorts the numbers into words ("thin", "leaning right", ...).
 *
 * @module
 */
import { skeletonEnds, skeletonLength, thin } from "./skeleton.ts";

/** A pixel at or above this value is ink for the masks below. */
export const INK_LEVEL = 0.5;

/** Brightness looks at pixels at or above this value (the garment, not the ground). */
export const BRIGHTNESS_FLOOR = 0.05;

/** The width of `pixels` taken as a square image unless given. */
function imageWidth(pixels: Float32Array, width?: number): number {
  const side = width ?? Math.round(Math.sqrt(pixels.length));
  const fits = width === undefined
    ? side * side === pixels.length
    : Number.isInteger(side) && side >= 1 && pixels.length % side === 0;
  if (!fits || pixels.length === 0) {
    throw new Error(
      `an image of ${pixels.length} pixels cannot be ${
        width === undefined ? "square" : `${width} pixels wide`
      }`,
    );
  }
  return side;
}

/** Intensity-weighted sums: mass, centroid and second central moments. */
interface Moments {
  mass: number;
  meanX: number;
  meanY: number;
  /** Σ I (x - x̄)², Σ I (x - x̄)(y - ȳ), Σ I (y - ȳ)², each over the mass. */
  xx: number;
  xy: number;
  yy: number;
}

function moments(pixels: Float32Array, width: number): Moments {
  const height = pixels.length / width;
  let mass = 0, sumX = 0, sumY = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const value = pixels[y * width + x];
      mass += value;
      sumX += value * x;
      sumY += value * y;
    }
  }
  if (mass <= 0) return { mass: 0, meanX: 0, meanY: 0, xx: 0, xy: 0, yy: 0 };
  const meanX = sumX / mass, meanY = sumY / mass;
  let xx = 0, xy = 0, yy = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const value = pixels[y * width + x];
      const dx = x - meanX, dy = y - meanY;
      xx += value * dx * dx;
      xy += value * dx * dy;
      yy += value * dy * dy;
    }
  }
  return { mass, meanX, meanY, xx: xx / mass, xy: xy / mass, yy: yy / mass };
}

/**
 * Stroke thickness in pixels: the width w that explains the ink mass M (the
 * sum of all pixel values, so grey anti-aliased edges count by how much ink
 * they hold) as strokes along the skeleton of the ink mask (pixels >=
 * {@link INK_LEVEL}, thinned by Zhang–Suen) of length L (links counted 1 or
 * √2 by {@link skeletonLength}) with E ends, `M = w L + E w²`. The `E w²`
 * term stands for what thinning takes off each end (about w/2) plus the
 * round cap beyond it; without it a short thick stroke would read far too
 * thick. Closed loops (E = 0) give `M / L`. A stroke of width w measures
 * within about 20% of w in any direction (lines of width 1 to 5, at 0 to
 * 120 degrees, in the tests).
 *
 * Invariant to translation and (up to pixel rounding) to rotation; not to
 * scale, which is the point: a digit drawn twice as large with the same pen
 * measures the same.
 *
 * @param pixels Grey values in [0, 1], row-major.
 * @param width Pixels per row; default: the image is square.
 * @returns Pixels of stroke width; 0 for an empty image.
 *
 * @example A horizontal line 3 pixels wide and 20 long
 * ```ts
 * import assert from "node:assert/strict";
 * import { strokeThickness } from "./attributes.ts";
 * const image = new Float32Array(28 * 28);
 * for (let y = 12; y < 15; y++) for (let x = 4; x < 24; x++) image[y * 28 + x] = 1;
 * const thickness = strokeThickness(image); // about 2.7
 * assert.ok(thickness > 2.5 && thickness < 3.5);
 * ```
 */
export function strokeThickness(pixels: Float32Array, width?: number): number {
  const side = imageWidth(pixels, width);
  let mass = 0;
  const ink = new Uint8Array(pixels.length);
  for (let index = 0; index < pixels.length; index++) {
    mass += pixels[index];
    if (pixels[index] >= INK_LEVEL) ink[index] = 1;
  }
  if (mass <= 0) return 0;
  const skeleton = thin(ink, side);
  const length = skeletonLength(skeleton, side);
  // A blob thinned away entirely is one stroke of length zero: two ends.
  const ends = skeleton.includes(1) ? skeletonEnds(skeleton, side) : 2;
  // mass = w * length + ends * w^2, solved for w > 0.
  if (ends === 0) return mass / Math.max(1, length);
  return (Math.sqrt(length * length + 4 * ends * mass) - length) / (2 * ends);
}

/**
 * Slant as a shear: how far the ink moves right per pixel it rises, from
 * the second central moments of the intensity, `-mu11 / mu02` (rows grow
 * downwards, hence the sign). Positive leans right (the top to the right,
 * like italics), negative leans left, 0 is upright; `Math.atan` of it is
 * the lean from vertical. This is the shear that MNIST deskewing undoes.
 *
 * Invariant to translation, to the intensity scale, and to scale (both
 * moments grow alike).
 *
 * @param pixels Grey values in [0, 1], row-major.
 * @param width Pixels per row; default: the image is square.
 * @returns The shear; 0 for an empty image or a single row.
 *
 * @example A line from bottom left to top right leans right by 1/2
 * ```ts
 * import assert from "node:assert/strict";
 * import { slant } from "./attributes.ts";
 * const image = new Float32Array(28 * 28);
 * for (let y = 4; y < 24; y++) image[y * 28 + 14 + Math.round((14 - y) / 2)] = 1;
 * assert.ok(Math.abs(slant(image) - 0.5) < 0.05);
 * ```
 */
export function slant(pixels: Float32Array, width?: number): number {
  const { mass, xy, yy } = moments(pixels, imageWidth(pixels, width));
  if (mass <= 0 || yy <= 0) return 0;
  return -xy / yy;
}

/**
 * Size: the radius of gyration of the intensity in pixels, the root mean
 * square distance of the ink from its centroid, `sqrt(mu20 + mu02)`. It
 * follows the extent of the drawing without hanging on one stray pixel at
 * the edge, as a bounding box would; for an MNIST digit it is about 6 to 7.
 *
 * Invariant to translation, rotation and the intensity scale; doubles when
 * the drawing doubles.
 *
 * @param pixels Grey values in [0, 1], row-major.
 * @param width Pixels per row; default: the image is square.
 * @returns Pixels; 0 for an empty image.
 *
 * @example A ring of radius 5 has a radius of gyration near 5
 * ```ts
 * import assert from "node:assert/strict";
 * import { inkSize } from "./attributes.ts";
 * const image = new Float32Array(28 * 28);
 * for (let a = 0; a < 360; a++) {
 *   const x = Math.round(14 + 5 * Math.cos(a * Math.PI / 180));
 *   const y = Math.round(14 + 5 * Math.sin(a * Math.PI / 180));
 *   image[y * 28 + x] = 1;
 * }
 * assert.ok(Math.abs(inkSize(image) - 5) < 0.3);
 * ```
 */
export function inkSize(pixels: Float32Array, width?: number): number {
  const { mass, xx, yy } = moments(pixels, imageWidth(pixels, width));
  return mass <= 0 ? 0 : Math.sqrt(xx + yy);
}

/**
 * Brightness: the mean value of the pixels that show the object, those at
 * or above {@link BRIGHTNESS_FLOOR}, so the dark ground does not count and a
 * small garment is as bright as a large one of the same shade. It is the
 * brightness the image shows (and a grid of samples shows): Fashion-MNIST's
 * pictures are inverted photographs, so a garment that reads bright here
 * was dark in the shop's photo, and the captions word what the image shows.
 *
 * Invariant to translation and to the object's size.
 *
 * @param pixels Grey values in [0, 1], row-major.
 * @param width Pixels per row; default: the image is square.
 * @returns A value in [0, 1]; 0 for an image with no object pixel.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { inkBrightness } from "./attributes.ts";
 * const image = new Float32Array(28 * 28);
 * image.fill(0.4, 100, 300);
 * assert.ok(Math.abs(inkBrightness(image) - 0.4) < 1e-6);
 * ```
 */
export function inkBrightness(pixels: Float32Array, width?: number): number {
  imageWidth(pixels, width);
  let sum = 0, count = 0;
  for (const value of pixels) {
    if (value >= BRIGHTNESS_FLOOR) {
      sum += value;
      count++;
    }
  }
  return count === 0 ? 0 : sum / count;
}
