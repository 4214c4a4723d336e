import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import {
  ATTRIBUTE_MEASURES,
  ATTRIBUTE_THRESHOLDS,
  ATTRIBUTE_VALUES,
  attributeClass,
  type AttributeName,
  type CaptionDataset,
  DATASET_ATTRIBUTES,
  describeImage,
  describeImageSet,
  measureThresholds,
  tertiles,
} from "../../../data/captions/attribute_classes.ts";
import { loadMnist } from "../../../data/mnist.ts";
import {
  fashionMnistFolder,
  loadFashionMnist,
} from "../../../data/fashion_mnist.ts";
import type { ImageSet } from "../../../data/image_set.ts";
import { drawStrokes, ellipse } from "./_draw.ts";

Deno.test("describeImage() calls a thin pen thin and a thick one thick, with the committed MNIST thresholds", () => {
  const loop = [ellipse(14, 14, 5, 8)];
  assert.equal(
    describeImage(drawStrokes(loop, 1.2), "mnist").thickness,
    "thin",
  );
  assert.equal(
    describeImage(drawStrokes(loop, 2.3), "mnist").thickness,
    "regular",
  );
  assert.equal(describeImage(drawStrokes(loop, 4), "mnist").thickness, "thick");
});

Deno.test("describeImage() tells leaning left from upright from leaning right", () => {
  const lean = (shear: number) =>
    describeImage(drawStrokes([ellipse(14, 14, 4, 8, shear)], 2), "mnist")
      .slant;
  assert.equal(lean(-0.4), "left");
  assert.equal(lean(0.1), "upright");
  assert.equal(lean(0.6), "right");
});

Deno.test("describeImage() tells a small figure from a large one", () => {
  const ring = (radius: number) =>
    describeImage(
      drawStrokes([ellipse(14, 14, radius, radius * 1.3)], 2),
      "mnist",
    )
      .size;
  assert.equal(ring(3), "small");
  assert.equal(ring(5.8), "medium");
  assert.equal(ring(7), "large");
});

Deno.test("describeImage() measures only its data set's attributes, and only those its thresholds name", () => {
  const image = drawStrokes([ellipse(14, 14, 5, 8)], 3);
  assert.deepEqual(Object.keys(describeImage(image, "mnist")).sort(), [
    "size",
    "slant",
    "thickness",
  ]);
  assert.deepEqual(Object.keys(describeImage(image, "fashion")), [
    "brightness",
  ]);
  assert.deepEqual(
    describeImage(image, "mnist", { thresholds: { slant: [-1, 1] } }),
    { slant: "upright" },
  );
});

Deno.test("describeImage() tells a dark garment from a mid-grey one from a light one", () => {
  // A filled coat-like block, 12 x 18 pixels, in three shades.
  const block = (shade: number) => {
    const image = new Float32Array(28 * 28);
    for (let y = 5; y < 23; y++) image.fill(shade, y * 28 + 8, y * 28 + 20);
    return image;
  };
  assert.deepEqual(describeImage(block(0.4), "fashion"), {
    brightness: "dark",
  });
  assert.deepEqual(describeImage(block(0.62), "fashion"), {
    brightness: "medium",
  });
  assert.deepEqual(describeImage(block(0.85), "fashion"), {
    brightness: "light",
  });
});

Deno.test("attributeClass() puts each cut point in the class above it, and tertiles() interpolates", () => {
  assert.deepEqual(
    [-1, 0, 0.5, 1, 2].map((value) => attributeClass(value, [0, 1])),
    [0, 1, 1, 2, 2],
  );
  assert.deepEqual(tertiles([0, 3, 6, 9]), [3, 6]);
  assert.deepEqual(tertiles([5]), [5, 5]);
  const [low, high] = tertiles([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  assert.ok(Math.abs(low - 10 / 3) < 1e-12 && Math.abs(high - 20 / 3) < 1e-12);
  assert.throws(() => tertiles([]), /no values/);
});

/** The share of the first `count` images in each class of each attribute. */
function classShares(
  set: ImageSet,
  dataset: CaptionDataset,
  count: number,
): Record<string, number[]> {
  const shares: Record<string, number[]> = {};
  for (let index = 0; index < count; index++) {
    const described = describeImage(
      set.images.subarray(index * 784, (index + 1) * 784),
      dataset,
    );
    for (const [attribute, value] of Object.entries(described)) {
      const values: readonly string[] =
        ATTRIBUTE_VALUES[attribute as AttributeName];
      shares[attribute] ??= [0, 0, 0];
      shares[attribute][values.indexOf(value)] += 1 / count;
    }
  }
  return shares;
}

Deno.test("on the first 1000 MNIST training images, every class of thickness, slant and size holds 15-50%", async () => {
  const { train } = await loadMnist();
  const shares = classShares(train, "mnist", 1000);
  assert.deepEqual(Object.keys(shares).sort(), ["size", "slant", "thickness"]);
  for (const [attribute, byClass] of Object.entries(shares)) {
    for (const share of byClass) {
      assert.ok(share >= 0.15 && share <= 0.5, `${attribute}: ${byClass}`);
    }
  }
});

/**
 * Every `stride`-th image of a set, so a sample spans the whole set.
 * MNIST's order has structure at a stride of 20 (every 20th image from the
 * first leans left of the whole set, every 20th from the 8th right of it),
 * so the stride used here is prime.
 */
function everyNth(set: ImageSet, stride: number): Float32Array {
  const count = Math.floor(set.shape[0] / stride);
  const sample = new Float32Array(count * 784);
  for (let index = 0; index < count; index++) {
    const from = index * stride * 784;
    sample.set(set.images.subarray(from, from + 784), index * 784);
  }
  return sample;
}

/** Asserts that tertiles measured on a sample lie near the committed ones. */
function assertNearCommitted(
  dataset: CaptionDataset,
  measured: Partial<Record<AttributeName, readonly [number, number]>>,
): void {
  for (const attribute of DATASET_ATTRIBUTES[dataset]) {
    const committed = ATTRIBUTE_THRESHOLDS[dataset][attribute]!;
    const [low, high] = measured[attribute]!;
    // A tenth of the gap between the two cuts: the sampling error of 3157
    // images is below that, a changed measure is not.
    const tolerance = 0.1 * (committed[1] - committed[0]);
    assert.ok(
      Math.abs(low - committed[0]) < tolerance &&
        Math.abs(high - committed[1]) < tolerance,
      `${attribute}: measured ${low}, ${high}; committed ${committed}`,
    );
  }
}

Deno.test("the committed MNIST thresholds are the tertiles of the measures (checked on every 19th training image)", async () => {
  const { train } = await loadMnist();
  assertNearCommitted(
    "mnist",
    measureThresholds(everyNth(train, 19), 28, "mnist"),
  );
  assert.throws(
    () => measureThresholds(train.images.subarray(0, 784), 28, "mnist", 2),
    /2 images of 784 pixels do not fit/,
  );
});

Deno.test(
  "on the first 1000 Fashion-MNIST training images, every brightness class holds 15-50%, and the committed thresholds are the tertiles",
  {
    ignore: !existsSync(fashionMnistFolder()),
  },
  async () => {
    const { train } = await loadFashionMnist();
    const shares = classShares(train, "fashion", 1000);
    assert.deepEqual(Object.keys(shares), ["brightness"]);
    for (const share of shares.brightness) {
      assert.ok(share >= 0.15 && share <= 0.5, `${shares.brightness}`);
    }
    assertNearCommitted(
      "fashion",
      measureThresholds(everyNth(train, 19), 28, "fashion"),
    );
  },
);

Deno.test("describeImageSet() describes every image of a set as describeImage() does, and wants grey ones", async () => {
  const { test } = await loadMnist();
  const first = {
    images: test.images.subarray(0, 50 * 784),
    shape: [50, 28, 28, 1] as [number, number, number, number],
  };
  const described = describeImageSet(first, "mnist");
  assert.equal(described.length, 50);
  described.forEach((attributes, index) =>
    assert.deepEqual(
      attributes,
      describeImage(
        test.images.subarray(index * 784, (index + 1) * 784),
        "mnist",
      ),
    )
  );
  // Not all alike: real digits differ.
  assert.ok(new Set(described.map((a) => JSON.stringify(a))).size > 5);
  assert.throws(
    () =>
      describeImageSet(
        { images: new Float32Array(12), shape: [1, 2, 2, 3] },
        "mnist",
      ),
    /captions need grey images, not 3 channels/,
  );
});

Deno.test("every attribute has a measure and three classes, and every data set's attributes have thresholds", () => {
  for (const attribute of Object.keys(ATTRIBUTE_VALUES) as AttributeName[]) {
    assert.equal(typeof ATTRIBUTE_MEASURES[attribute], "function");
    assert.equal(ATTRIBUTE_VALUES[attribute].length, 3);
  }
  for (const dataset of ["mnist", "fashion"] as const) {
    for (const attribute of DATASET_ATTRIBUTES[dataset]) {
      const [low, high] = ATTRIBUTE_THRESHOLDS[dataset][attribute]!;
      assert.ok(low < high, `${dataset} ${attribute}`);
    }
  }
});
