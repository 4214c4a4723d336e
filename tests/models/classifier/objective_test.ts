import assert from "node:assert/strict";
import { tf } from "../../../backends/tf.ts";
import { initEngine } from "../../../backends/engine.ts";
import { mulberry32 } from "../../../data/random.ts";
import { createClassifier } from "../../../models/classifier/classifier.ts";
import {
  shiftImages,
  softmaxCrossEntropy,
} from "../../../models/classifier/objective.ts";
import { assertFirstAdamStep } from "../_first_adam_step.ts";

await initEngine({ threads: 2 });

/** Tolerance of float32 results against float64 hand values. */
const TOLERANCE = 1e-5;

/** (count, size, size, 1) images whose pixel values are 1 + their flat index. */
function numbered(count: number, size: number): tf.Tensor4D {
  return tf.add(tf.range(0, count * size * size), 1).reshape([
    count,
    size,
    size,
    1,
  ]) as tf.Tensor4D;
}

Deno.test("shiftImages() moves each image by a whole shift within maxShift, filling with zeros", () => {
  const size = 7;
  const count = 20;
  const shifted = tf.tidy(() =>
    shiftImages(numbered(count, size), 2, 5).arraySync()
  );
  const shifts = new Set<string>();
  for (let image = 0; image < count; image++) {
    const base = image * size * size;
    // The pixel at (3, 3) came from (3 - dy, 3 - dx); its value names it.
    const source = shifted[image][3][3][0] - 1 - base;
    const dy = 3 - Math.floor(source / size);
    const dx = 3 - (source % size);
    assert.ok(Math.abs(dy) <= 2 && Math.abs(dx) <= 2, `shift ${dy}, ${dx}`);
    shifts.add(`${dy},${dx}`);
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const sourceY = y - dy;
        const sourceX = x - dx;
        const inside = sourceY >= 0 && sourceY < size && sourceX >= 0 &&
          sourceX < size;
        const expected = inside ? base + sourceY * size + sourceX + 1 : 0;
        assert.equal(
          shifted[image][y][x][0],
          expected,
          `image ${image} (${y}, ${x})`,
        );
      }
    }
  }
  assert.ok(shifts.size > 5, "shifts vary between images");
});

Deno.test("shiftImages() is the identity for maxShift 0 and repeats for the same seed", () => {
  tf.tidy(() => {
    const images = numbered(3, 5);
    assert.deepEqual(
      shiftImages(images, 0, 1).arraySync(),
      images.arraySync(),
    );
    assert.deepEqual(
      shiftImages(images, 1, 9).arraySync(),
      shiftImages(images, 1, 9).arraySync(),
    );
  });
  assert.throws(() => shiftImages(tf.zeros([1, 2, 2, 1]), -1, 0), /maxShift/);
});

Deno.test("softmaxCrossEntropy() matches a hand-computed value", () => {
  // Row 1: logits (0, ln 3), label 1 -> -ln(3 / 4). Row 2: (0, 0), label 0 -> ln 2.
  const expected = (-Math.log(3 / 4) + Math.log(2)) / 2;
  const value = tf.tidy(() =>
    softmaxCrossEntropy(
      tf.tensor2d([0, Math.log(3), 0, 0], [2, 2]),
      tf.tensor1d([1, 0], "int32"),
    ).dataSync()[0]
  );
  assert.ok(Math.abs(value - expected) < TOLERANCE, `${value} vs ${expected}`);
});

Deno.test("classifier phase: one Adam step moves every weight by Adam's first update and lowers the loss by g * step", () => {
  const classifier = createClassifier({ maxShift: 0 }, mulberry32(3));
  const random = mulberry32(4);
  const images = tf.tensor4d(
    Float32Array.from({ length: 8 * 784 }, () => random()),
    [8, 28, 28, 1],
  );
  const labels = tf.tensor1d([0, 1, 2, 3, 4, 5, 6, 7], "int32");
  const batch = { images, labels };
  const context = { seed: () => 0, step: 0 };
  const phase = classifier.phases[0];
  const loss = () => tf.tidy(() => phase.loss(batch, context).dataSync()[0]);
  const before = loss();
  // Random init: near ln 10 per image, the uniform guess; how near depends
  // on the draw of the weights, so only a loose bound holds.
  assert.ok(Math.abs(before - Math.log(10)) < 1.5, `initial loss ${before}`);
  assertFirstAdamStep(phase, batch, context, classifier.groups.model);
  tf.dispose([images, labels]);
  classifier.dispose();
});

Deno.test("classifier phase: draws one seed per step for its shifts, none without them", () => {
  const images = tf.zeros([2, 28, 28, 1]) as tf.Tensor4D;
  const labels = tf.tensor1d([0, 1], "int32");
  for (const [maxShift, draws] of [[2, 1], [0, 0]]) {
    const classifier = createClassifier({ maxShift }, mulberry32(0));
    let seeds = 0;
    tf.tidy(() => {
      classifier.phases[0].loss({ images, labels }, {
        seed: () => seeds++,
        step: 0,
      });
    });
    assert.equal(seeds, draws, `maxShift ${maxShift}`);
    classifier.dispose();
  }
  tf.dispose([images, labels]);
});
