/**
 * One metric against minutes for both sides of `deno task bench:quality`,
 * as one panel with a line each (ours, PyTorch), drawn with the loss plot's
 * font and colours (train/loss_plot.ts) and written with data/png.ts.
 *
 * @module
 */
import type { Picture } from "../data/image_grid.ts";
import {
  drawGridLines,
  drawText,
  formatValue,
  type Series,
  seriesColor,
  setPixel,
  TEXT_COLOR,
} from "../train/loss_plot.ts";

const MARGIN = { left: 56, right: 16, top: 30, bottom: 18 };

/**
 * `series` (points: minutes, value) in one panel titled `title`, a legend
 * of each name in its colour under it, minutes along x from 0, the y range
 * of all finite values.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { plotCurves } from "./_quality_plot.ts";
 * const picture = plotCurves("FID", [
 *   { name: "ours", points: [[10, 40], [20, 30]] },
 *   { name: "PyTorch", points: [[10, 45], [20, 35]] },
 * ]);
 * assert.deepEqual([picture.width, picture.height], [640, 360]);
 * ```
 */
export function plotCurves(
  title: string,
  series: Series[],
  { width = 640, height = 360 } = {},
): Picture {
  const picture: Picture = {
    width,
    height,
    channels: 3,
    data: new Uint8Array(width * height * 3).fill(255),
  };
  const plot = {
    left: MARGIN.left,
    right: width - MARGIN.right,
    top: MARGIN.top,
    bottom: height - MARGIN.bottom,
  };
  drawGridLines(picture, plot);
  drawText(picture, 4, 4, title, TEXT_COLOR);
  let legend = 4;
  series.forEach((s, index) => {
    const last = s.points.filter(([, v]) => Number.isFinite(v)).at(-1)?.[1];
    const label = `${s.name}${
      last === undefined ? "" : ` ${formatValue(last)}`
    }`;
    legend += drawText(picture, legend, 16, label, seriesColor(index)) + 12;
  });
  const points = series.flatMap((s) =>
    s.points.filter(([x, v]) => Number.isFinite(x) && Number.isFinite(v))
  );
  if (points.length === 0) return picture;
  const x1 = Math.max(...points.map(([x]) => x));
  let low = Math.min(...points.map(([, v]) => v));
  let high = Math.max(...points.map(([, v]) => v));
  if (high === low) [low, high] = [low - 1, high + 1];
  const px = (x: number) =>
    plot.left + (x / Math.max(1e-12, x1)) * (plot.right - plot.left);
  const py = (v: number) =>
    plot.bottom - ((v - low) / (high - low)) * (plot.bottom - plot.top);
  drawText(picture, 4, plot.top, formatValue(high), TEXT_COLOR);
  drawText(picture, 4, plot.bottom - 7, formatValue(low), TEXT_COLOR);
  drawText(picture, plot.left, plot.bottom + 4, "0 min", TEXT_COLOR);
  const end = `${formatValue(x1)} min`;
  drawText(
    picture,
    plot.right - 6 * end.length,
    plot.bottom + 4,
    end,
    TEXT_COLOR,
  );
  series.forEach((s, index) => {
    const color = seriesColor(index);
    const finite = s.points.filter(([x, v]) =>
      Number.isFinite(x) && Number.isFinite(v)
    );
    for (const [x, v] of finite) {
      for (let d = -2; d <= 2; d++) {
        setPixel(picture, px(x) + d, py(v), color);
        setPixel(picture, px(x), py(v) + d, color);
      }
    }
    for (let k = 1; k < finite.length; k++) {
      const [ax, ay] = [px(finite[k - 1][0]), py(finite[k - 1][1])];
      const [bx, by] = [px(finite[k][0]), py(finite[k][1])];
      const n = Math.max(1, Math.ceil(Math.hypot(bx - ax, by - ay)));
      for (let t = 0; t <= n; t++) {
        const x = ax + ((bx - ax) * t) / n, y = ay + ((by - ay) * t) / n;
        setPixel(picture, x, y, color);
        setPixel(picture, x, y + 1, color);
      }
    }
  });
  return picture;
}
