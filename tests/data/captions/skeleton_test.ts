import assert from "node:assert/strict";
import {
  skeletonEnds,
  skeletonLength,
  thin,
} from "../../../data/captions/skeleton.ts";

/** A mask from rows of "#" (1) and "." (0). */
function mask(rows: string[]): { ink: Uint8Array; width: number } {
  return {
    ink: Uint8Array.from(rows.join(""), (c) => c === "#" ? 1 : 0),
    width: rows[0].length,
  };
}

const rows = (skeleton: Uint8Array, width: number) =>
  Array.from(
    { length: skeleton.length / width },
    (_, y) =>
      [...skeleton.subarray(y * width, (y + 1) * width)].map((v) =>
        v ? "#" : "."
      ).join(""),
  );

Deno.test("thin() leaves a one-pixel-wide line as it is and thins a thick ring to a closed one-pixel loop", () => {
  const line = mask([".......", ".#####.", "......."]);
  assert.deepEqual(rows(thin(line.ink, line.width), line.width), [
    ".......",
    ".#####.",
    ".......",
  ]);
  const ring = mask([
    "..........",
    ".########.",
    ".########.",
    ".##....##.",
    ".##....##.",
    ".########.",
    ".########.",
    "..........",
  ]);
  const skeleton = thin(ring.ink, ring.width);
  // One pixel wide: no 2 x 2 block of skeleton anywhere.
  for (let y = 0; y + 1 < 8; y++) {
    for (let x = 0; x + 1 < 10; x++) {
      const at = (dx: number, dy: number) => skeleton[(y + dy) * 10 + x + dx];
      assert.ok(!(at(0, 0) && at(1, 0) && at(0, 1) && at(1, 1)), `${x},${y}`);
    }
  }
  // Still a loop: no ends, and the hole is still enclosed.
  assert.equal(skeletonEnds(skeleton, 10), 0);
  assert.ok(skeleton.reduce((a, b) => a + b, 0) >= 12);
});

Deno.test("skeletonLength() counts straight links 1, diagonal ones √2, and an L's corner once", () => {
  assert.equal(skeletonLength(mask(["####"]).ink, 4), 3);
  assert.equal(skeletonLength(mask(["#", "#", "#"]).ink, 1), 2);
  const diagonal = mask(["#..", ".#.", "..#"]);
  assert.equal(skeletonLength(diagonal.ink, 3), 2 * Math.SQRT2);
  const antidiagonal = mask(["..#", ".#.", "#.."]);
  assert.equal(skeletonLength(antidiagonal.ink, 3), 2 * Math.SQRT2);
  // (0,0)-(1,0)-(1,1): two straight links; the diagonal (0,0)-(1,1) is not a third.
  const corner = mask(["##", ".#"]);
  assert.equal(skeletonLength(corner.ink, 2), 2);
  assert.equal(skeletonLength(mask(["..", ".#"]).ink, 2), 0);
});

Deno.test("skeletonEnds() counts line ends, branch tips and a lone pixel as two", () => {
  assert.equal(skeletonEnds(mask(["#####"]).ink, 5), 2);
  const tee = mask(["#####", "..#..", "..#.."]);
  assert.equal(skeletonEnds(tee.ink, 5), 3);
  assert.equal(skeletonEnds(mask(["...", ".#.", "..."]).ink, 3), 2);
  assert.equal(skeletonEnds(new Uint8Array(9), 3), 0);
});
