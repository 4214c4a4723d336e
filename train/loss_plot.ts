/**
 * Curves as a picture without a plotting library: one panel per logged
 * series (its own y range, so FID in the tens and an accuracy near 1 both
 * show their shape), each titled with its name and last value, the y range
 * at the left and the steps below, in the 7-pixel font of the npm package
 * `js-pixel-fonts`. y goes on a log scale when every value is positive and
 * spans more than a factor of 10 ("log" in the title).
 *
 * @module
 */
import { fonts, renderPixels } from "js-pixel-fonts";
import type { Picture } from "@genwasm/data/image_grid";

/** One curve: points (step, value). */
export interface Series {
  name: string;
  points: [number, number][];
}

type Color = [number, number, number];

const COLORS: Color[] = [
  [31, 119, 180],
  [255, 127, 14],
  [44, 160, 44],
  [214, 39, 40],
  [148, 103, 189],
];
const GRID: Color = [225, 225, 225];
/** Colour of a plot's axis labels. */
export const TEXT_COLOR: Color = [60, 60, 60];

/** Space around a panel's plot area: the title above, labels left and below. */
const MARGIN = { left: 56, right: 12, top: 16, bottom: 16 };

/** Colour of the i-th series, in the order the series are given. */
export function seriesColor(index: number): Color {
  return COLORS[index % COLORS.length];
}

/** A short label: 3 significant digits, exponent form when very large or small. */
export function formatValue(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const size = Math.abs(value);
  if (size !== 0 && (size >= 1e5 || size < 1e-3)) return value.toExponential(2);
  return String(Number(value.toPrecision(3)));
}

/** Options of {@link plotSeries}. */
export interface PlotOptions {
  /** Picture width; default 640. */
  width?: number;
  /** Height of one panel; default 360 for one series, 200 for up to 6, else 120. */
  panelHeight?: number;
}

/**
 * Draws each series in its own panel (two columns from three series on)
 * into one RGB picture.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { plotSeries } from "./loss_plot.ts";
 * const picture = plotSeries([{ name: "loss", points: [[0, 1], [10, 0.5]] }]);
 * assert.deepEqual([picture.width, picture.height], [640, 360]);
 * ```
 */
export function plotSeries(
  series: Series[],
  { width = 640, panelHeight }: PlotOptions = {},
): Picture {
  const columns = series.length > 2 ? 2 : 1;
  const rows = Math.max(1, Math.ceil(series.length / columns));
  const panel = {
    width: Math.floor(width / columns),
    height: panelHeight ??
      (series.length === 1 ? 360 : series.length <= 6 ? 200 : 120),
  };
  const height = rows * panel.height;
  const picture: Picture = {
    width,
    height,
    channels: 3,
    data: new Uint8Array(width * height * 3).fill(255),
  };
  series.forEach((s, index) =>
    drawPanel(picture, s, seriesColor(index), {
      x: (index % columns) * panel.width,
      y: Math.floor(index / columns) * panel.height,
      ...panel,
    })
  );
  return picture;
}

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Colours `picture`'s pixel nearest (x, y); a point outside it is left out. */
export function setPixel(
  picture: Picture,
  x: number,
  y: number,
  color: Color,
): void {
  const xi = Math.round(x), yi = Math.round(y);
  if (xi < 0 || yi < 0 || xi >= picture.width || yi >= picture.height) return;
  const i = (yi * picture.width + xi) * 3;
  picture.data[i] = color[0];
  picture.data[i + 1] = color[1];
  picture.data[i + 2] = color[2];
}

/** Writes `text` with its top-left corner at (x, y); returns its width. */
export function drawText(
  picture: Picture,
  x: number,
  y: number,
  text: string,
  color: Color,
): number {
  const rows = renderPixels(text, fonts.sevenPlus);
  rows.forEach((row, dy) =>
    row.forEach((on, dx) => {
      if (on) setPixel(picture, x + dx, y + dy, color);
    })
  );
  return rows[0]?.length ?? 0;
}

/** A plot area's edges in pixels. */
export interface PlotArea {
  left: number;
  right: number;
  top: number;
  bottom: number;
}

/** The light grid of a plot: its edges and three lines between, each way. */
export function drawGridLines(picture: Picture, plot: PlotArea): void {
  for (let k = 0; k <= 4; k++) {
    const gx = plot.left + (k / 4) * (plot.right - plot.left);
    const gy = plot.top + (k / 4) * (plot.bottom - plot.top);
    for (let y = plot.top; y <= plot.bottom; y++) {
      setPixel(picture, gx, y, GRID);
    }
    for (let x = plot.left; x <= plot.right; x++) {
      setPixel(picture, x, gy, GRID);
    }
  }
}

function drawPanel(picture: Picture, series: Series, color: Color, box: Box) {
  const plot = {
    left: box.x + MARGIN.left,
    right: box.x + box.width - MARGIN.right,
    top: box.y + MARGIN.top,
    bottom: box.y + box.height - MARGIN.bottom,
  };
  drawGridLines(picture, plot);
  const points = series.points.filter(([, v]) => Number.isFinite(v));
  const last = points.at(-1)?.[1];
  let title = series.name + (last === undefined ? "" : ` ${formatValue(last)}`);
  if (points.length === 0) {
    drawText(picture, box.x + 4, box.y + 4, title, color);
    return;
  }
  const steps = points.map(([x]) => x), values = points.map(([, y]) => y);
  const [x0, x1] = [Math.min(...steps), Math.max(...steps)];
  const [low, high] = [Math.min(...values), Math.max(...values)];
  const logScale = low > 0 && high / low > 10;
  if (logScale) title += " (log)";
  const f = (v: number) => (logScale ? Math.log10(v) : v);
  let [y0, y1] = [f(low), f(high)];
  if (y1 === y0) [y0, y1] = [y0 - 1, y1 + 1];
  const px = (x: number) =>
    plot.left +
    ((x - x0) / Math.max(1e-12, x1 - x0)) * (plot.right - plot.left);
  const py = (y: number) =>
    plot.bottom - ((f(y) - y0) / (y1 - y0)) * (plot.bottom - plot.top);
  // The axis ends, as values (a flat series gets a range of +-1 around it).
  const value = (y: number) => (logScale ? 10 ** y : y);
  drawText(picture, box.x + 4, box.y + 4, title, color);
  drawText(picture, box.x + 4, plot.top, formatValue(value(y1)), TEXT_COLOR);
  drawText(
    picture,
    box.x + 4,
    plot.bottom - 7,
    formatValue(value(y0)),
    TEXT_COLOR,
  );
  drawText(picture, plot.left, plot.bottom + 4, `step ${x0}`, TEXT_COLOR);
  const end = `step ${x1}`;
  const endWidth = renderPixels(end, fonts.sevenPlus)[0]?.length ?? 0;
  drawText(picture, plot.right - endWidth, plot.bottom + 4, end, TEXT_COLOR);
  if (points.length === 1) {
    for (let d = -1; d <= 1; d++) {
      setPixel(picture, px(x0) + d, py(values[0]), color);
      setPixel(picture, px(x0), py(values[0]) + d, color);
    }
  }
  for (let k = 1; k < points.length; k++) {
    const [ax, ay] = [px(points[k - 1][0]), py(points[k - 1][1])];
    const [bx, by] = [px(points[k][0]), py(points[k][1])];
    const n = Math.max(1, Math.ceil(Math.hypot(bx - ax, by - ay)));
    for (let t = 0; t <= n; t++) {
      const x = ax + ((bx - ax) * t) / n, y = ay + ((by - ay) * t) / n;
      setPixel(picture, x, y, color);
      setPixel(picture, x, y + 1, color);
    }
  }
}
