/**
 * A loss-curve picture without a plotting library: each logged series as a
 * coloured polyline over a light grid, y on a log scale when every value is
 * positive and spans more than a factor of 10. No text (no font): the
 * metrics log holds the numbers; the picture shows the shape.
 *
 * @module
 */
import type { Picture } from "../data/image_grid.ts";

/** One curve: points (step, value), drawn in `color` (RGB 0-255). */
export interface Series {
  name: string;
  points: [number, number][];
}

const COLORS: [number, number, number][] = [
  [31, 119, 180],
  [255, 127, 14],
  [44, 160, 44],
  [214, 39, 40],
  [148, 103, 189],
];

/** Colour of the i-th series, in the order the series are given. */
export function seriesColor(index: number): [number, number, number] {
  return COLORS[index % COLORS.length];
}

/**
 * Draws the series into a width x height RGB picture.
 *
 * @example
 * ```ts
 * import { plotSeries } from "./loss_plot.ts";
 * const picture = plotSeries([{ name: "loss", points: [[0, 1], [10, 0.5]] }]);
 * console.log(picture.width, picture.height); // 640 360
 * ```
 */
export function plotSeries(
  series: Series[],
  width = 640,
  height = 360,
): Picture {
  const data = new Uint8Array(width * height * 3).fill(255);
  const margin = 20;
  const finite = series.flatMap((s) => s.points).filter(([, v]) =>
    Number.isFinite(v)
  );
  const picture: Picture = { width, height, channels: 3, data };
  if (finite.length === 0) return picture;
  const steps = finite.map(([x]) => x), values = finite.map(([, y]) => y);
  const [x0, x1] = [Math.min(...steps), Math.max(...steps)];
  let [y0, y1] = [Math.min(...values), Math.max(...values)];
  const logScale = y0 > 0 && y1 / y0 > 10;
  const f = (v: number) => (logScale ? Math.log10(v) : v);
  [y0, y1] = [f(y0), f(y1)];
  if (y1 === y0) [y0, y1] = [y0 - 1, y1 + 1];
  const px = (x: number) =>
    margin + ((x - x0) / Math.max(1e-12, x1 - x0)) * (width - 2 * margin);
  const py = (y: number) =>
    height - margin - ((f(y) - y0) / (y1 - y0)) * (height - 2 * margin);
  const set = (x: number, y: number, [r, g, b]: [number, number, number]) => {
    const xi = Math.round(x), yi = Math.round(y);
    if (xi < 0 || yi < 0 || xi >= width || yi >= height) return;
    const i = (yi * width + xi) * 3;
    data[i] = r, data[i + 1] = g, data[i + 2] = b;
  };
  // Grid: 5 lines each way, and the frame.
  for (let k = 0; k <= 4; k++) {
    const gx = margin + (k / 4) * (width - 2 * margin);
    const gy = margin + (k / 4) * (height - 2 * margin);
    for (let y = margin; y <= height - margin; y++) set(gx, y, [225, 225, 225]);
    for (let x = margin; x <= width - margin; x++) set(x, gy, [225, 225, 225]);
  }
  series.forEach((s, index) => {
    const color = seriesColor(index);
    const points = s.points.filter(([, v]) => Number.isFinite(v));
    for (let k = 1; k < points.length; k++) {
      const [ax, ay] = [px(points[k - 1][0]), py(points[k - 1][1])];
      const [bx, by] = [px(points[k][0]), py(points[k][1])];
      const n = Math.max(1, Math.ceil(Math.hypot(bx - ax, by - ay)));
      for (let t = 0; t <= n; t++) {
        const x = ax + ((bx - ax) * t) / n, y = ay + ((by - ay) * t) / n;
        set(x, y, color);
        set(x, y + 1, color);
      }
    }
  });
  return picture;
}
