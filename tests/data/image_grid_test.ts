import assert from "node:assert/strict";
import { imageGrid } from "../../data/image_grid.ts";

Deno.test("imageGrid() sizes the grid from columns, padding and scale", () => {
  const grid = imageGrid(new Float32Array(5 * 3 * 2), [5, 3, 2, 1], {
    columns: 2,
    padding: 1,
    scale: 2,
  });
  // 2 columns of 4-wide cells, 3 rows of 6-high cells, 1 pixel between and around.
  assert.equal(grid.width, 2 * (4 + 1) + 1);
  assert.equal(grid.height, 3 * (6 + 1) + 1);
  assert.equal(grid.data.length, grid.width * grid.height);
});

Deno.test("imageGrid() places each image in its cell and clips values", () => {
  // Two 1 x 1 images: 2.0 (clipped to white) and 0 (black), in two columns.
  const grid = imageGrid(new Float32Array([2, 0]), [2, 1, 1, 1], {
    columns: 2,
    padding: 1,
    background: 0.5,
  });
  assert.deepEqual([grid.width, grid.height], [5, 3]);
  const row = [...grid.data.subarray(5, 10)];
  assert.deepEqual(row, [128, 255, 128, 0, 128]);
});

Deno.test("imageGrid() rejects data that does not fill the shape", () => {
  assert.throws(
    () => imageGrid(new Float32Array(3), [1, 2, 2, 1], { columns: 1 }),
    /do not fill shape/,
  );
});
