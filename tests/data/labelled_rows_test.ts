import assert from "node:assert/strict";
import {
  labelledRows,
  TEXT_BAND,
  textWidth,
} from "../../data/labelled_rows.ts";

/** Byte values in rows [top, bottom) of a grey picture. */
function band(
  picture: { width: number; data: Uint8Array },
  top: number,
  bottom: number,
) {
  return picture.data.subarray(top * picture.width, bottom * picture.width);
}

Deno.test("labelledRows() puts each row's images above a band with its text", () => {
  // Two rows of two 3 x 3 images: row 0 black, row 1 white; scale 1.
  const images = new Float32Array(4 * 9);
  images.fill(1, 18);
  const picture = labelledRows(images, [4, 3, 3, 1], ["a thin one", ""], {
    columns: 2,
    scale: 1,
  });
  const rowHeight = 3 + TEXT_BAND + 2;
  assert.equal(picture.height, 2 + 2 * rowHeight);
  // As wide as the text "a thin one" and its padding, wider than the images.
  assert.equal(picture.width, 2 + textWidth("a thin one") + 2);
  assert.ok(picture.width > 2 + 2 * (3 + 2));
  const at = (x: number, y: number) => picture.data[y * picture.width + x];
  // Images at x 2..4 and 7..9 (padding 2), rows 2..4 and below.
  assert.deepEqual([at(2, 2), at(4, 4), at(7, 2), at(9, 4)], [0, 0, 0, 0]);
  assert.equal(at(5, 3), 128);
  assert.deepEqual([at(2, 2 + rowHeight), at(9, 4 + rowHeight)], [255, 255]);
  // Row 0's band holds white letters; row 1's empty text leaves it plain.
  const firstBand = band(picture, 2 + 3, 2 + 3 + TEXT_BAND);
  assert.ok(firstBand.includes(255), "no text under row 0");
  assert.ok(firstBand.every((value) => value === 255 || value === 128));
  const secondBand = band(
    picture,
    2 + rowHeight + 3,
    2 + rowHeight + 3 + TEXT_BAND,
  );
  assert.ok(secondBand.every((value) => value === 128));
});

Deno.test("labelledRows() writes a letter the font lacks as ?, and refuses rows that do not fill", () => {
  const images = new Float32Array(9);
  const odd = labelledRows(images, [1, 3, 3, 1], ["é"], { columns: 1 });
  const plain = labelledRows(images, [1, 3, 3, 1], ["?"], { columns: 1 });
  assert.deepEqual(odd, plain);
  assert.throws(
    () => labelledRows(images, [1, 3, 3, 1], ["a", "b"], { columns: 1 }),
    /1 images are not 2 rows of 1/,
  );
});
