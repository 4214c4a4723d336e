/**
 * A plain rasteriser for hand-made test images: strokes as line segments
 * with round caps, each pixel covered by the fraction of its 4 x 4
 * sub-samples that lie within half the pen's width of a segment (so edges
 * come out grey, as in MNIST).
 *
 * @module
 */

/** A point in pixel units; (0, 0) is the top left pixel's top left corner. */
export type Point = readonly [x: number, y: number];

/** Distance from `p` to the segment `a`-`b`. */
function segmentDistance(p: Point, a: Point, b: Point): number {
  const [dx, dy] = [b[0] - a[0], b[1] - a[1]];
  const squared = dx * dx + dy * dy;
  const t = squared === 0 ? 0 : Math.max(
    0,
    Math.min(1, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / squared),
  );
  return Math.hypot(p[0] - a[0] - t * dx, p[1] - a[1] - t * dy);
}

/**
 * Draws polylines with a round pen of `penWidth` pixels at `intensity` onto
 * a new `size` x `size` image.
 */
export function drawStrokes(
  polylines: readonly (readonly Point[])[],
  penWidth: number,
  { size = 28, intensity = 1 }: { size?: number; intensity?: number } = {},
): Float32Array {
  const image = new Float32Array(size * size);
  const samples = 4;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let covered = 0;
      for (let sy = 0; sy < samples; sy++) {
        for (let sx = 0; sx < samples; sx++) {
          const p: Point = [x + (sx + 0.5) / samples, y + (sy + 0.5) / samples];
          const inside = polylines.some((line) =>
            line.some((a, i) =>
              i + 1 < line.length &&
              segmentDistance(p, a, line[i + 1]) <= penWidth / 2
            ) ||
            (line.length === 1 &&
              segmentDistance(p, line[0], line[0]) <= penWidth / 2)
          );
          if (inside) covered++;
        }
      }
      image[y * size + x] = intensity * covered / (samples * samples);
    }
  }
  return image;
}

/** A line through the centre (14, 14) of length `length`, leaning `angle` radians from vertical (positive: top to the right). */
export function centredLine(length: number, angle: number, size = 28): Point[] {
  const [cx, cy] = [size / 2, size / 2];
  const [ux, uy] = [
    Math.sin(angle) * length / 2,
    -Math.cos(angle) * length / 2,
  ];
  return [[cx - ux, cy - uy], [cx + ux, cy + uy]];
}

/** `image` moved by whole pixels (dx right, dy down) on a ground of 0; what leaves the frame is lost. */
export function translate(
  image: Float32Array,
  dx: number,
  dy: number,
  size = 28,
): Float32Array {
  const moved = new Float32Array(image.length);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const [tx, ty] = [x + dx, y + dy];
      if (tx >= 0 && ty >= 0 && tx < size && ty < size) {
        moved[ty * size + tx] = image[y * size + x];
      }
    }
  }
  return moved;
}

/** Points on an ellipse around (cx, cy), sheared by `shear` (x += shear * (cy - y)), as one closed polyline. */
export function ellipse(
  cx: number,
  cy: number,
  rx: number,
  ry: number,
  shear = 0,
  steps = 48,
): Point[] {
  const points: Point[] = [];
  for (let i = 0; i <= steps; i++) {
    const t = (2 * Math.PI * i) / steps;
    const y = cy + ry * Math.sin(t);
    points.push([cx + rx * Math.cos(t) + shear * (cy - y), y]);
  }
  return points;
}
