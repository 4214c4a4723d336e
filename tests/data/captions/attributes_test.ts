import assert from "node:assert/strict";
import {
  inkBrightness,
  inkSize,
  slant,
  strokeThickness,
} from "../../../data/captions/attributes.ts";
import {
  centredLine,
  drawStrokes,
  ellipse,
  type Point,
  translate,
} from "./_draw.ts";

const degrees = (angle: number) => angle * Math.PI / 180;

/** A "4"-like figure: three strokes, centred near (14, 14), scaled by `scale` about (cx, cy). */
function four(scale = 1, [cx, cy]: Point = [14, 14]): Point[][] {
  const at = (x: number, y: number): Point => [
    cx + scale * (x - 14),
    cy + scale * (y - 14),
  ];
  return [
    [at(17, 5), at(9, 17), at(20, 17)],
    [at(17, 9), at(16, 24)],
  ];
}

Deno.test("strokeThickness() reads a line's pen width within 25%, at any angle", () => {
  for (const width of [1, 1.5, 2, 3, 4, 5]) {
    for (const angle of [0, 15, 30, 45, 60, 90, 120, 160]) {
      const image = drawStrokes([centredLine(18, degrees(angle))], width);
      const measured = strokeThickness(image);
      assert.ok(
        Math.abs(measured - width) <= 0.25 * width,
        `pen ${width} at ${angle} degrees measured ${measured}`,
      );
    }
  }
});

Deno.test("strokeThickness() tells a thin figure from a thick one, on loops and on figures with ends", () => {
  for (const strokes of [four(), [ellipse(14, 14, 5, 8)]]) {
    const thin = strokeThickness(drawStrokes(strokes, 1.2));
    const thick = strokeThickness(drawStrokes(strokes, 4));
    assert.ok(thin < 1.6, `thin ${thin}`);
    assert.ok(thick > 3, `thick ${thick}`);
  }
});

Deno.test("strokeThickness() is the same for a translated figure and for the figure drawn larger with the same pen", () => {
  const image = drawStrokes(four(), 2.5);
  const thickness = strokeThickness(image);
  // The figure spans x 8..21, y 4..25: these moves keep it in the frame.
  assert.equal(strokeThickness(translate(image, 3, -2)), thickness);
  assert.equal(strokeThickness(translate(image, -6, 2)), thickness);
  const larger = strokeThickness(
    drawStrokes(four(1.8, [28, 28]), 2.5, { size: 56 }),
    56,
  );
  assert.ok(
    Math.abs(larger - thickness) < 0.15 * thickness,
    `${larger} vs ${thickness}`,
  );
});

Deno.test("slant() is the shear of a sheared line or loop: positive leaning right, negative left, 0 upright", () => {
  for (const shear of [-0.6, -0.3, 0.3, 0.6]) {
    // From the bottom (y = 24) to the top (y = 4): x moves by shear per pixel up.
    const line = drawStrokes(
      [[[14 - 10 * shear, 24], [14 + 10 * shear, 4]]],
      2,
    );
    assert.ok(
      Math.abs(slant(line) - shear) < 0.02,
      `line ${shear}: ${slant(line)}`,
    );
    const loop = drawStrokes([ellipse(14, 14, 4, 8, shear)], 2);
    assert.equal(Math.sign(slant(loop)), Math.sign(shear));
    assert.ok(
      Math.abs(slant(loop)) > 0.5 * Math.abs(shear),
      `loop ${shear}: ${slant(loop)}`,
    );
  }
  assert.ok(Math.abs(slant(drawStrokes([centredLine(20, 0)], 2))) < 1e-9);
  assert.ok(Math.abs(slant(drawStrokes([ellipse(14, 14, 4, 8)], 2))) < 1e-9);
  // A horizontal bar has no vertical extent to lean with beyond its width: no slant.
  assert.ok(
    Math.abs(slant(drawStrokes([centredLine(20, degrees(90))], 2))) < 1e-9,
  );
});

Deno.test("slant() does not change when the figure moves, is drawn larger, or is drawn fainter", () => {
  const sheared = drawStrokes([ellipse(12, 13, 4, 8, 0.4)], 2);
  const value = slant(sheared);
  for (const [dx, dy] of [[3, 4], [-5, 2], [6, -3]]) {
    assert.ok(Math.abs(slant(translate(sheared, dx, dy)) - value) < 1e-9);
  }
  const faint = drawStrokes([ellipse(12, 13, 4, 8, 0.4)], 2, {
    intensity: 0.3,
  });
  assert.ok(Math.abs(slant(faint) - value) < 1e-6);
  const larger = drawStrokes([ellipse(28, 28, 8, 16, 0.4)], 4, { size: 56 });
  assert.ok(
    Math.abs(slant(larger, 56) - value) < 0.03,
    `${slant(larger, 56)} vs ${value}`,
  );
});

Deno.test("inkSize() grows with the figure, in proportion, and ignores position and ink", () => {
  const small = drawStrokes(four(0.5), 2);
  const large = drawStrokes(four(1.2), 2);
  assert.ok(
    inkSize(small) < 0.6 * inkSize(large),
    `${inkSize(small)} vs ${inkSize(large)}`,
  );
  const ring = (radius: number) =>
    drawStrokes([ellipse(14, 14, radius, radius)], 1.5);
  assert.ok(Math.abs(inkSize(ring(8)) / inkSize(ring(4)) - 2) < 0.1);
  const image = drawStrokes(four(0.7), 2);
  assert.ok(Math.abs(inkSize(translate(image, 4, -3)) - inkSize(image)) < 1e-9);
  const faint = drawStrokes(four(0.7), 2, { intensity: 0.4 });
  assert.ok(Math.abs(inkSize(faint) - inkSize(image)) < 1e-6);
});

Deno.test("inkBrightness() is the shade of the figure, whatever its size or place, and not the ground's", () => {
  const patch = (size: number, shade: number, x = 14 - size / 2) => {
    const image = new Float32Array(28 * 28);
    for (let y = 14 - size / 2; y < 14 + size / 2; y++) {
      for (let col = x; col < x + size; col++) image[y * 28 + col] = shade;
    }
    return image;
  };
  assert.ok(Math.abs(inkBrightness(patch(4, 0.3)) - 0.3) < 1e-6);
  assert.ok(Math.abs(inkBrightness(patch(20, 0.3)) - 0.3) < 1e-6);
  assert.ok(Math.abs(inkBrightness(patch(10, 0.9, 2)) - 0.9) < 1e-6);
  assert.ok(inkBrightness(patch(10, 0.9)) > inkBrightness(patch(10, 0.6)));
  // A faint ground below the floor does not dim the figure.
  const grounded = patch(10, 0.8).map((v) => v || 0.02);
  assert.ok(Math.abs(inkBrightness(grounded) - 0.8) < 1e-6);
});

Deno.test("every measure gives 0 on an empty image and refuses a size that does not fit", () => {
  const empty = new Float32Array(28 * 28);
  for (const measure of [strokeThickness, slant, inkSize, inkBrightness]) {
    assert.equal(measure(empty), 0, measure.name);
    assert.throws(
      () => measure(new Float32Array(30)),
      /30 pixels cannot be square/,
    );
    assert.throws(
      () => measure(new Float32Array(30), 7),
      /30 pixels cannot be 7 pixels wide/,
    );
  }
  // Not square, width given: a 10 x 20 image.
  const wide = new Float32Array(10 * 20);
  for (let x = 2; x < 18; x++) wide[5 * 20 + x] = 1;
  assert.ok(Math.abs(strokeThickness(wide, 20) - 1) < 0.2);
});
