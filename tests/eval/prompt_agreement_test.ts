import assert from "node:assert/strict";
import {
  agreementMetrics,
  promptAgreement,
  type PromptTarget,
} from "../../eval/prompt_agreement.ts";
import { describeImage } from "../../data/captions/attribute_classes.ts";
import { centredLine, drawStrokes } from "../data/captions/_draw.ts";

/** A 20-pixel stroke through the centre, `angle` radians from vertical. */
const stroke = (pen: number, angle: number) =>
  drawStrokes([centredLine(20, angle)], pen);

const thickUpright = stroke(3.5, 0.1);
const thinRight = stroke(1.2, 0.5);
const thinLeft = stroke(1.2, -0.4);

/** Images side by side as one (count, 28, 28, 1) set. */
function stack(...images: Float32Array[]) {
  const pixels = new Float32Array(images.length * 784);
  images.forEach((image, index) => pixels.set(image, index * 784));
  return {
    pixels,
    shape: [images.length, 28, 28, 1] as [number, number, number, number],
  };
}

Deno.test("the hand-drawn strokes measure as drawn (thick upright, thin right, thin left)", () => {
  assert.deepEqual(
    [thickUpright, thinRight, thinLeft].map((image) => {
      const { thickness, slant } = describeImage(image, "mnist");
      return [thickness, slant];
    }),
    [["thick", "upright"], ["thin", "right"], ["thin", "left"]],
  );
});

Deno.test("promptAgreement() scores a thick upright stroke as thick and upright", () => {
  const { pixels, shape } = stack(thickUpright);
  const asked: PromptTarget = {
    label: 1,
    attributes: { thickness: "thick", slant: "upright" },
    heldOut: false,
  };
  assert.deepEqual(promptAgreement(pixels, shape, [asked], "mnist", [1]), {
    seen: {
      images: 1,
      classAccuracy: 1,
      agreement: { thickness: 1, slant: 1 },
    },
  });
  const wrong: PromptTarget = {
    label: 7,
    attributes: { thickness: "thin", slant: "left" },
    heldOut: false,
  };
  assert.deepEqual(promptAgreement(pixels, shape, [wrong], "mnist", [1]), {
    seen: {
      images: 1,
      classAccuracy: 0,
      agreement: { thickness: 0, slant: 0 },
    },
  });
});

Deno.test("promptAgreement() counts each attribute over the prompts naming it, held-out prompts apart", () => {
  const { pixels, shape } = stack(
    thickUpright,
    thinRight,
    thinLeft,
    thickUpright,
    thinRight,
    thinLeft,
  );
  const targets: PromptTarget[] = [
    // Seen: thickness asked 3 times (right twice), slant twice (right once).
    {
      label: 1,
      attributes: { thickness: "thick", slant: "upright" },
      heldOut: false,
    },
    { label: 2, attributes: { thickness: "thin" }, heldOut: false },
    {
      label: 3,
      attributes: { thickness: "thick", slant: "right" },
      heldOut: false,
    },
    // Held out: thickness asked twice (right once), slant 3 times (all right).
    {
      label: 4,
      attributes: { thickness: "thick", slant: "upright" },
      heldOut: true,
    },
    {
      label: 4,
      attributes: { thickness: "thick", slant: "right" },
      heldOut: true,
    },
    { label: 4, attributes: { slant: "left" }, heldOut: true },
  ];
  const predictions = [1, 2, 0, 4, 9, 9];
  const scores = promptAgreement(pixels, shape, targets, "mnist", predictions);
  assert.deepEqual(scores, {
    seen: {
      images: 3,
      classAccuracy: 2 / 3,
      agreement: { thickness: 2 / 3, slant: 1 / 2 },
    },
    heldOut: {
      images: 3,
      classAccuracy: 1 / 3,
      agreement: { thickness: 1 / 2, slant: 1 },
    },
  });
  assert.deepEqual(agreementMetrics(scores), {
    prompt_class_accuracy: 2 / 3,
    thickness_agreement: 2 / 3,
    slant_agreement: 1 / 2,
    held_out_prompt_class_accuracy: 1 / 3,
    held_out_thickness_agreement: 1 / 2,
    held_out_slant_agreement: 1,
  });
  // Without held-out prompts or predictions: no such keys at all.
  const seenOnly = promptAgreement(
    pixels.subarray(0, 3 * 784),
    [3, 28, 28, 1],
    targets.slice(0, 3),
    "mnist",
  );
  assert.equal(seenOnly.heldOut, undefined);
  assert.deepEqual(agreementMetrics(seenOnly), {
    thickness_agreement: 2 / 3,
    slant_agreement: 1 / 2,
  });
});

Deno.test("promptAgreement() measures brightness for Fashion-MNIST prompts", () => {
  const dark = new Float32Array(784).fill(0.3, 200, 500);
  const light = new Float32Array(784).fill(0.9, 200, 500);
  const { pixels, shape } = stack(dark, light, light);
  const scores = promptAgreement(pixels, shape, [
    { label: 0, attributes: { brightness: "dark" }, heldOut: false },
    { label: 1, attributes: { brightness: "dark" }, heldOut: false },
    { label: 0, attributes: { brightness: "light" }, heldOut: true },
  ], "fashion");
  assert.deepEqual(agreementMetrics(scores), {
    brightness_agreement: 1 / 2,
    held_out_brightness_agreement: 1,
  });
});

Deno.test("promptAgreement() refuses counts that do not match", () => {
  const { pixels, shape } = stack(thinLeft, thinLeft);
  const target: PromptTarget = { label: 0, attributes: {}, heldOut: false };
  assert.throws(
    () => promptAgreement(pixels, shape, [target], "mnist"),
    /1 prompts for 2 images/,
  );
  assert.throws(
    () => promptAgreement(pixels, shape, [target, target], "mnist", [0]),
    /1 predictions for 2 images/,
  );
  assert.throws(
    () => promptAgreement(pixels, [1, 28, 28, 2], [target], "mnist"),
    /grey images/,
  );
});
