import assert from "node:assert/strict";
import {
  drawText,
  formatValue,
  plotSeries,
  seriesColor,
} from "../../train/loss_plot.ts";
import type { Picture } from "../../data/image_grid.ts";

/** Rows (y) of the picture's column range [x0, x1) holding `color`. */
function rowsWithColor(
  picture: Picture,
  color: [number, number, number],
  [x0, x1]: [number, number],
): number[] {
  const rows = new Set<number>();
  for (let y = 0; y < picture.height; y++) {
    for (let x = x0; x < x1; x++) {
      const i = (y * picture.width + x) * 3;
      if (
        picture.data[i] === color[0] && picture.data[i + 1] === color[1] &&
        picture.data[i + 2] === color[2]
      ) rows.add(y);
    }
  }
  return [...rows].sort((a, b) => a - b);
}

function blank(width: number, height: number): Picture {
  return {
    width,
    height,
    channels: 3,
    data: new Uint8Array(width * height * 3).fill(255),
  };
}

Deno.test("plotSeries() gives one panel per series, two columns from three series on", () => {
  const one = plotSeries([{ name: "loss", points: [[0, 1], [10, 0.5]] }]);
  assert.deepEqual([one.width, one.height], [640, 360]);
  const three = plotSeries(
    ["a", "b", "c"].map((name) => ({ name, points: [[0, 1], [1, 2]] })),
  );
  assert.deepEqual([three.width, three.height], [640, 400]);
});

Deno.test("plotSeries() scales each panel to its own series, so a small metric spans its panel", () => {
  const picture = plotSeries([
    { name: "fid", points: [[1000, 50], [2000, 18], [5000, 8]] },
    { name: "class_accuracy", points: [[1000, 0.74], [5000, 0.98]] },
  ]);
  // Panels are stacked: rows 0-199 and 200-399; plot area 16..184 inside each.
  for (const [index, top] of [[0, 0], [1, 200]]) {
    const rows = rowsWithColor(picture, seriesColor(index), [56, 640]);
    const curve = rows.filter((y) => y >= top + 16);
    assert.ok(curve[0] <= top + 17, `series ${index} reaches the top`);
    assert.ok(curve.at(-1)! >= top + 183, `series ${index} reaches the bottom`);
  }
});

Deno.test("plotSeries() titles each panel with its name and last value, and labels the axes", () => {
  const picture = plotSeries([{
    name: "bits_per_dim",
    points: [[500, 2.43], [1000, 2.21], [1500, Number.NaN]],
  }]);
  const expected = blank(640, 360);
  drawText(expected, 4, 4, "bits_per_dim 2.21", seriesColor(0));
  drawText(expected, 4, 16, "2.43", [60, 60, 60]);
  drawText(expected, 4, 360 - 16 - 7, "2.21", [60, 60, 60]);
  for (const [y0, y1] of [[4, 11], [16, 23], [337, 344]]) {
    for (let y = y0; y < y1; y++) {
      for (let x = 0; x < 50; x++) {
        const i = (y * 640 + x) * 3;
        assert.deepEqual(
          [...picture.data.subarray(i, i + 3)],
          [...expected.data.subarray(i, i + 3)],
          `pixel ${x},${y}`,
        );
      }
    }
  }
});

Deno.test("plotSeries() draws only the title of a series without finite values", () => {
  const picture = plotSeries([{ name: "x", points: [[1, Number.NaN]] }]);
  const colored = rowsWithColor(picture, seriesColor(0), [0, 640]);
  assert.ok(colored.length > 0 && colored.every((y) => y < 12));
});

Deno.test("formatValue() keeps 3 significant digits and switches to exponents at the ends", () => {
  assert.equal(formatValue(2.43456), "2.43");
  assert.equal(formatValue(49.768), "49.8");
  assert.equal(formatValue(10), "10");
  assert.equal(formatValue(0.0001234), "1.23e-4");
  assert.equal(formatValue(123456), "1.23e+5");
  assert.equal(formatValue(0), "0");
});
