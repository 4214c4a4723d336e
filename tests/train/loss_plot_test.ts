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

/**
 * Labels as the 7-pixel font "seven-plus" of js-pixel-fonts 1.7.0 draws
 * them, copied out of its glyph table (`data/seven-plus.json`): "#" is
 * inked, "." background; glyphs that would touch get a blank column
 * between them; "p" reaches two rows below the others.
 */
const GLYPHS = {
  "bits_per_dim 2.21": [
    "#.....#..#.....................................#..#...........##.....##....#.",
    "#........#.....................................#.............#..#...#..#..##.",
    "###..##.###...###.......###...##..###........###.##..####.......#......#.#.#.",
    "#..#..#..#...#..........#..#.#..#.#..#......#..#..#..#.#.#.....#......#....#.",
    "#..#..#..#....##........#..#.####.#.........#..#..#..#.#.#....#......#.....#.",
    "#..#..#..#......#.......#..#.#....#.........#..#..#..#.#.#...#......#......#.",
    "###..###..##.###..#####.###...###.#...#####..###.###.#.#.#...####.#.####.####",
    "........................#....................................................",
    "........................#....................................................",
  ],
  "2.43": [
    ".##.....#..##.",
    "#..#...##.#..#",
    "...#..#.#....#",
    "..#...####.##.",
    ".#......#....#",
    "#.......#.#..#",
    "####.#..#..##.",
  ],
  "2.21": [
    ".##.....##....#.",
    "#..#...#..#..##.",
    "...#......#.#.#.",
    "..#......#....#.",
    ".#......#.....#.",
    "#......#......#.",
    "####.#.####.####",
  ],
  "step 500": [
    "......#...............####..##...##.",
    "......#...............#....#..#.#..#",
    ".###.###...##..###....#....#..#.#..#",
    "#.....#...#..#.#..#...###..#..#.#..#",
    ".##...#...####.#..#......#.#..#.#..#",
    "...#..#...#....#..#...#..#.#..#.#..#",
    "###....##..###.###.....##...##...##.",
    "...............#....................",
    "...............#....................",
  ],
  "step 1000": [
    "......#.................#...##...##...##.",
    "......#................##..#..#.#..#.#..#",
    ".###.###...##..###....#.#..#..#.#..#.#..#",
    "#.....#...#..#.#..#.....#..#..#.#..#.#..#",
    ".##...#...####.#..#.....#..#..#.#..#.#..#",
    "...#..#...#....#..#.....#..#..#.#..#.#..#",
    "###....##..###.###....####..##...##...##.",
    "...............#.........................",
    "...............#.........................",
  ],
};

const WHITE = [255, 255, 255];

/**
 * Asserts `text` is drawn in `color` with its top-left corner at (x, y):
 * every pixel of its box and of a one-pixel frame around it is `color`
 * where the glyphs are inked and white elsewhere.
 */
function assertText(
  picture: Picture,
  x: number,
  y: number,
  text: keyof typeof GLYPHS,
  color: number[],
): void {
  const rows = GLYPHS[text];
  for (let dy = -1; dy <= rows.length; dy++) {
    for (let dx = -1; dx <= rows[0].length; dx++) {
      const inked = rows[dy]?.[dx] === "#";
      const i = ((y + dy) * picture.width + x + dx) * 3;
      assert.deepEqual(
        [...picture.data.subarray(i, i + 3)],
        inked ? color : WHITE,
        `"${text}" at pixel ${x + dx},${y + dy}`,
      );
    }
  }
}

Deno.test("plotSeries() titles each panel with its name and last value, and labels the axes", () => {
  const picture = plotSeries([{
    name: "bits_per_dim",
    points: [[500, 2.43], [1000, 2.21], [1500, Number.NaN]],
  }]);
  // One 640 x 360 panel: plot area x 56..628, y 16..344 (margins 56 left,
  // 12 right, 16 above and below). The title (4 pixels in, the last finite
  // value) is in the first series' colour, matplotlib's blue; the labels
  // are dark grey: the y range at the left, top and bottom of the plot
  // area (344 - 7 = 337 for the bottom one), the steps 4 pixels below it,
  // the last one ending at the plot's right edge (628 - 41 = 587).
  const blue = [31, 119, 180], grey = [60, 60, 60];
  assertText(picture, 4, 4, "bits_per_dim 2.21", blue);
  assertText(picture, 4, 16, "2.43", grey);
  assertText(picture, 4, 337, "2.21", grey);
  assertText(picture, 56, 348, "step 500", grey);
  assertText(picture, 587, 348, "step 1000", grey);
});

Deno.test("drawText() inks the font's glyphs at (x, y), clips them at the edges and returns the text's width", () => {
  const blank = (): Picture => ({
    width: 20,
    height: 10,
    channels: 3,
    data: new Uint8Array(20 * 10 * 3).fill(255),
  });
  const inside = blank();
  assert.equal(drawText(inside, 3, 1, "2.43", [1, 2, 3]), 14);
  assertText(inside, 3, 1, "2.43", [1, 2, 3]);
  // 16 x 7 at (12, 5) in 20 x 10: only its top-left 8 x 5 shows, and
  // nothing wraps onto other rows.
  const clipped = blank();
  assert.equal(drawText(clipped, 12, 5, "2.21", [9, 9, 9]), 16);
  for (let y = 0; y < 10; y++) {
    for (let x = 0; x < 20; x++) {
      const i = (y * 20 + x) * 3;
      const inked = GLYPHS["2.21"][y - 5]?.[x - 12] === "#";
      assert.deepEqual(
        [...clipped.data.subarray(i, i + 3)],
        inked ? [9, 9, 9] : WHITE,
        `pixel ${x},${y}`,
      );
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
