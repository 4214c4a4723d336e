/**
 * `deno run --allow-read --allow-env bench/caption_thresholds.ts`: measures
 * the caption attributes (stroke thickness, slant, size on MNIST;
 * brightness on Fashion-MNIST) on all 60000 training images of each set and
 * prints their tertiles as the table that
 * `data/captions/attribute_classes.ts` holds in `ATTRIBUTE_THRESHOLDS`,
 * followed by the share of images in each class under the committed table
 * (each near a third when the table is current). Takes about ten seconds.
 * Fashion-MNIST is skipped with a note when it is not installed.
 *
 * @module
 */
import { loadMnist } from "../data/mnist.ts";
import { loadFashionMnist } from "../data/fashion_mnist.ts";
import type { ImageSet } from "../data/image_set.ts";
import {
  ATTRIBUTE_MEASURES,
  ATTRIBUTE_THRESHOLDS,
  ATTRIBUTE_VALUES,
  attributeClass,
  type CaptionDataset,
  DATASET_ATTRIBUTES,
  measureThresholds,
} from "../data/captions/attribute_classes.ts";

function report(set: ImageSet, dataset: CaptionDataset): void {
  const [count, width] = set.shape;
  const measured = measureThresholds(set.images, width, dataset);
  console.log(`${dataset}: {`);
  for (const [attribute, [low, high]] of Object.entries(measured)) {
    console.log(`  ${attribute}: [${low.toFixed(3)}, ${high.toFixed(3)}],`);
  }
  console.log("},");
  for (const attribute of DATASET_ATTRIBUTES[dataset]) {
    const cuts = ATTRIBUTE_THRESHOLDS[dataset][attribute];
    if (!cuts) continue;
    const counts = [0, 0, 0];
    const length = width * width;
    for (let index = 0; index < count; index++) {
      const value = ATTRIBUTE_MEASURES[attribute](
        set.images.subarray(index * length, (index + 1) * length),
        width,
      );
      counts[attributeClass(value, cuts)]++;
    }
    const shares = counts.map((n, i) =>
      `${ATTRIBUTE_VALUES[attribute][i]} ${(100 * n / count).toFixed(1)}%`
    );
    console.log(`  committed ${attribute}: ${shares.join(", ")}`);
  }
}

if (import.meta.main) {
  report((await loadMnist()).train, "mnist");
  try {
    report((await loadFashionMnist()).train, "fashion");
  } catch (error) {
    console.log(`fashion: skipped (${(error as Error).message})`);
  }
}
