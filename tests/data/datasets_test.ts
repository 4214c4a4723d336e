import assert from "node:assert/strict";
import { join } from "node:path";
import { encode } from "fast-png";
import { loadDataset } from "../../data/datasets.ts";
import { toyPoints } from "../../data/toy_points.ts";
import {
  fakeFashionFolder,
  TEST_COUNT,
  TRAIN_COUNT,
  withFashionDir,
} from "./_fashion_fixture.ts";

/** A 4 x 4 grey PNG whose pixels all hold `value`. */
const flatPng = (value: number) =>
  encode({
    width: 4,
    height: 4,
    channels: 1,
    depth: 8,
    data: new Uint8Array(16).fill(value),
  });

/** A temp folder of class folders `a` and `b`, `perClass` PNGs each. */
async function classFolder(perClass: number): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "genwasm_datasets_" });
  for (const [label, name] of ["a", "b"].entries()) {
    await Deno.mkdir(join(root, name));
    for (let index = 0; index < perClass; index++) {
      // Pixel value encodes class and index, so images can be traced.
      const value = label * 100 + index;
      await Deno.writeFile(
        join(root, name, `${String(index).padStart(2, "0")}.png`),
        flatPng(value),
      );
    }
  }
  return root;
}

Deno.test("loadDataset() gives toy points: 10000 train, 2000 test, distinct seeds", async () => {
  for (const name of ["moons", "gaussians", "swissroll"]) {
    const data = await loadDataset(name);
    assert.equal(data.kind, "points");
    if (data.kind !== "points") return;
    assert.equal(data.name, name);
    assert.equal(data.train.points.length, 20000);
    assert.equal(data.train.labels.length, 10000);
    assert.equal(data.test.points.length, 4000);
    assert.deepEqual(data.train, toyPoints(name, 10000, 0));
    assert.deepEqual(data.test, toyPoints(name, 2000, 1));
  }
  const seeded = await loadDataset("moons", {
    trainCount: 30,
    testCount: 20,
    seed: 3,
  });
  assert.ok(seeded.kind === "points");
  assert.deepEqual(seeded.train, toyPoints("moons", 30, 6));
  assert.deepEqual(seeded.test, toyPoints("moons", 20, 7));
});

Deno.test("loadDataset('folder:PATH') holds out a deterministic 1-in-10 test split", async () => {
  const root = await classFolder(12);
  try {
    const spec = `folder:${root}`;
    const data = await loadDataset(spec, { size: 2, channels: 1, seed: 5 });
    assert.equal(data.kind, "images");
    if (data.kind !== "images") return;
    assert.equal(data.name, spec);
    assert.equal(data.classes, 2);
    assert.deepEqual(data.classNames, ["a", "b"]);
    // 24 images: ceil(24 / 10) = 3 test, 21 train.
    assert.deepEqual(data.train.shape, [21, 2, 2, 1]);
    assert.deepEqual(data.test.shape, [3, 2, 2, 1]);
    // Every image appears in exactly one split, with its own label.
    const seen = new Set<number>();
    for (const set of [data.train, data.test]) {
      for (let index = 0; index < set.shape[0]; index++) {
        const value = Math.round(set.images[index * 4] * 255);
        assert.equal(set.labels[index], value >= 100 ? 1 : 0);
        seen.add(value);
      }
    }
    assert.equal(seen.size, 24);
    // Same seed, same split; another seed, another split.
    const again = await loadDataset(spec, { size: 2, channels: 1, seed: 5 });
    assert.ok(again.kind === "images");
    assert.deepEqual(again.test, data.test);
    const other = await loadDataset(spec, { size: 2, channels: 1, seed: 6 });
    assert.ok(other.kind === "images");
    assert.notDeepEqual(other.test.images, data.test.images);
    // Defaults: 32 x 32 RGB.
    const defaults = await loadDataset(spec);
    assert.ok(defaults.kind === "images");
    assert.deepEqual(defaults.train.shape, [21, 32, 32, 3]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("loadDataset('folder:PATH') needs a path and at least 2 images", async () => {
  await assert.rejects(
    loadDataset("folder:"),
    /needs a folder after "folder:"/,
  );
  const root = await Deno.makeTempDir({ prefix: "genwasm_datasets_" });
  try {
    await Deno.writeFile(join(root, "only.png"), flatPng(0));
    await assert.rejects(loadDataset(`folder:${root}`), /at least 2/);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("loadDataset('fashion') reads the folder named by $GENWASM_FASHION_DIR", async () => {
  const folder = await fakeFashionFolder();
  try {
    await withFashionDir(folder, async () => {
      const data = await loadDataset("fashion");
      assert.ok(data.kind === "images");
      assert.equal(data.name, "fashion");
      assert.deepEqual(data.train.shape, [TRAIN_COUNT, 28, 28, 1]);
      assert.deepEqual(data.test.shape, [TEST_COUNT, 28, 28, 1]);
      assert.equal(data.classes, 10);
      assert.equal(data.classNames[9], "Ankle boot");
    });
    const missing = join(folder, "absent");
    await withFashionDir(missing, async () => {
      await assert.rejects(
        loadDataset("fashion"),
        (error: Error) =>
          error.message.includes(missing) &&
          error.message.includes("apt-get install dataset-fashion-mnist"),
      );
    });
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
});

Deno.test("loadDataset('mnist') gives 28 x 28 grey digits in 10 classes", async () => {
  const data = await loadDataset("mnist", { size: 28, channels: 1 });
  assert.ok(data.kind === "images");
  assert.deepEqual(data.train.shape, [60000, 28, 28, 1]);
  assert.deepEqual(data.test.shape, [10000, 28, 28, 1]);
  assert.equal(data.classes, 10);
  assert.equal(data.classNames[7], "7");
});

Deno.test("loadDataset() rejects an unknown spec, listing the valid ones", async () => {
  await assert.rejects(
    loadDataset("cifar10"),
    (error: Error) =>
      error.message ===
        'unknown data set "cifar10": expected one of mnist, fashion, folder:PATH, moons, gaussians, swissroll',
  );
});

Deno.test("loadDataset() rejects options that do not apply to the data", async () => {
  await assert.rejects(
    loadDataset("moons", { size: 32 }),
    /moons: option size applies only to image data/,
  );
  await assert.rejects(
    loadDataset("mnist", { size: 32 }),
    /mnist: option size must be 28/,
  );
  await assert.rejects(
    loadDataset("fashion", { channels: 3 }),
    /fashion: option channels must be 1/,
  );
  await assert.rejects(
    loadDataset("mnist", { trainCount: 5 }),
    /mnist: option trainCount applies only to toy points/,
  );
  await assert.rejects(
    loadDataset("gaussians", { testCount: 0 }),
    /gaussians: option testCount must be a whole number >= 1, got 0/,
  );
});
