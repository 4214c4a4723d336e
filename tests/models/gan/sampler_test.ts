import assert from "node:assert/strict";
import { tf } from "../../../backends/tf.ts";
import { initEngine } from "../../../backends/engine.ts";
import { mulberry32 } from "../../../data/random.ts";
import { createGan, type Gan } from "../../../models/gan/gan.ts";
import {
  classGrid,
  interpolationStrips,
  REFERENCE_ROWS,
  renderImages,
  sampleImages,
  slerp,
} from "../../../models/gan/sampler.ts";
import { assertClose } from "../../_helpers.ts";

await initEngine({ threads: 2 });

/** A GAN small enough to run in milliseconds: 8 x 8 images. */
function tinyGan(overrides: Record<string, unknown> = {}, seed = 1): Gan {
  return createGan(
    {
      preset: "dcgan-small",
      imageSize: 8,
      baseWidth: 4,
      latentSize: 3,
      ...overrides,
    },
    mulberry32(seed),
  );
}

/** Pixels of `count` images, as rows of numbers. */
function rowsOf(images: tf.Tensor4D): number[][] {
  const size = images.size / images.shape[0];
  const values = images.dataSync();
  return Array.from(
    { length: images.shape[0] },
    (_, i) => [...values.subarray(i * size, (i + 1) * size)],
  );
}

Deno.test("sampleImages() repeats for a seed, and an image depends only on its own noise", () => {
  const gan = tinyGan();
  tf.tidy(() => {
    const five = rowsOf(sampleImages(gan, 5, 7));
    assert.deepEqual(rowsOf(sampleImages(gan, 5, 7)), five);
    // Another seed, other noise: random weights give no image to expect.
    assert.notDeepEqual(rowsOf(sampleImages(gan, 5, 8)), five);
    // Standing statistics: the first 3 of 5 equal 3 drawn alone.
    const three = rowsOf(sampleImages(gan, 3, 7));
    three.forEach((row, i) => assertClose(row, five[i], 1e-5, `image ${i}`));
  });
  gan.dispose();
});

Deno.test("renderImages() normalises with a fixed reference batch ('standing') or the running statistics ('running')", () => {
  const standing = tinyGan();
  const running = tinyGan({ samplingStatistics: "running" });
  tf.tidy(() => {
    // Standing: the batch statistics of the reference latents (fixed seed)
    // normalise every row, so rendering the reference's own first rows
    // gives what the reference batch gives in training mode.
    const reference = tf.randomNormal(
      [REFERENCE_ROWS, 3],
      0,
      1,
      "float32",
      0x5eed,
    ) as tf.Tensor2D;
    const batchMode = standing.generator.apply(reference, undefined, "train");
    const expected = tf.div(tf.add(tf.slice(batchMode, [0], [4]), 1), 2);
    const z = tf.slice(reference, [0], [4]);
    assertClose(
      renderImages(standing, z).dataSync(),
      expected.dataSync(),
      1e-5,
      "standing",
    );
    // Running: exactly the generator in inference mode.
    const inference = tf.div(
      tf.add(running.generator.apply(z, undefined, "inference"), 1),
      2,
    );
    assertClose(
      renderImages(running, z).dataSync(),
      inference.dataSync(),
      1e-6,
      "running",
    );
  });
  standing.dispose();
  running.dispose();
});

Deno.test("sampleImages() of a cgan draws the classes in turn, or only the class asked for", () => {
  const gan = tinyGan({ conditional: true });
  tf.tidy(() => {
    const mixed = rowsOf(sampleImages(gan, 4, 3));
    for (let label = 0; label < 4; label++) {
      const only = rowsOf(sampleImages(gan, 4, 3, label));
      // Same noise, same label: the same image.
      assertClose(only[label], mixed[label], 1e-5, `class ${label}`);
    }
    // Another label, same noise: another image (no value to expect).
    assert.notDeepEqual(rowsOf(sampleImages(gan, 4, 3, 5))[0], mixed[0]);
  });
  assert.throws(() => sampleImages(gan, 2, 1, 10), /class label/);
  gan.dispose();
  const plain = tinyGan();
  assert.throws(() => sampleImages(plain, 2, 1, 3), /unconditional/);
  plain.dispose();
});

Deno.test("classGrid() gives one row per class, each with the same eight latents", () => {
  const gan = tinyGan({ conditional: true });
  tf.tidy(() => {
    const grid = classGrid(gan, 8, 4);
    assert.deepEqual(grid.shape, [80, 8, 8, 1]);
    const rows = rowsOf(grid);
    for (const label of [0, 3, 9]) {
      const expected = rowsOf(sampleImages(gan, 8, 4, label));
      expected.forEach((image, column) =>
        assertClose(rows[8 * label + column], image, 1e-5, `class ${label}`)
      );
    }
    assert.deepEqual(classGrid(gan, 8, 4, 2).shape, [160, 8, 8, 1]);
  });
  gan.dispose();
  const plain = tinyGan();
  assert.throws(() => classGrid(plain, 8, 1), /conditional/);
  plain.dispose();
});

Deno.test("slerp() runs from one end to the other along the great circle", () => {
  const points = slerp([1, 0], [0, 2], 3);
  assert.deepEqual(points[0], [1, 0]);
  assertClose(points[2], [0, 2], 1e-12, "end");
  // Halfway between orthogonal vectors: sin(pi/4) / sin(pi/2) of each.
  assertClose(points[1], [Math.SQRT1_2, 2 * Math.SQRT1_2], 1e-12, "middle");
  // Parallel ends fall back to a straight line.
  assertClose(slerp([1, 1], [2, 2], 3)[1], [1.5, 1.5], 1e-12, "parallel");
});

Deno.test("interpolationStrips() walks between two latents per strip, ends included", () => {
  const gan = tinyGan({ conditional: true });
  tf.tidy(() => {
    const strips = interpolationStrips(gan, 2, 5, 9, 4);
    assert.deepEqual(strips.shape, [10, 8, 8, 1]);
    const rows = rowsOf(strips);
    const ends = tf.randomNormal([4, 3], 0, 1, "float32", 9) as tf.Tensor2D;
    const endImages = rowsOf(
      renderImages(gan, ends, tf.fill([4], 4, "int32") as tf.Tensor1D),
    );
    assertClose(rows[0], endImages[0], 1e-4, "strip 0 start");
    assertClose(rows[4], endImages[1], 1e-4, "strip 0 end");
    assertClose(rows[5], endImages[2], 1e-4, "strip 1 start");
    // The middle of strip 0 (t = 1/2 of 5 steps): the slerp midpoint
    // sin(w/2) / sin(w) (a + b) = (a + b) / (2 cos(w/2)), w the angle a-b.
    const [a, b] = ends.arraySync().slice(0, 2);
    const dot = a.reduce((sum, x, i) => sum + x * b[i], 0);
    const w = Math.acos(dot / (Math.hypot(...a) * Math.hypot(...b)));
    const middle = a.map((x, i) => (x + b[i]) / (2 * Math.cos(w / 2)));
    const middleImage = rowsOf(
      renderImages(
        gan,
        tf.tensor2d([middle]),
        tf.fill([1], 4, "int32") as tf.Tensor1D,
      ),
    );
    assertClose(rows[2], middleImage[0], 1e-4, "strip 0 middle");
    // The walk moves (the middle is checked exactly above).
    assert.notDeepEqual(rows[2], rows[0]);
  });
  assert.throws(() => interpolationStrips(gan, 1, 1, 0), /steps/);
  gan.dispose();
});
