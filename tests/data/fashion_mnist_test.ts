import assert from "node:assert/strict";
import { join } from "node:path";
import {
  fakeFashionFolder as fakeFolder,
  gzip,
  idxBytes,
  pixel,
  TEST_COUNT,
  TRAIN_COUNT,
  withFashionDir as withFolderVariable,
} from "./_fashion_fixture.ts";
import {
  FASHION_MNIST_DIR,
  FASHION_MNIST_DIR_VARIABLE,
  fashionMnistFolder,
  loadFashionMnist,
} from "../../data/fashion_mnist.ts";

Deno.test("loadFashionMnist() reads gzipped IDX files from $GENWASM_FASHION_DIR", async () => {
  const folder = await fakeFolder();
  try {
    await withFolderVariable(folder, async () => {
      assert.equal(fashionMnistFolder(), folder);
      const { train, test } = await loadFashionMnist();
      assert.deepEqual(train.shape, [TRAIN_COUNT, 28, 28, 1]);
      assert.deepEqual(test.shape, [TEST_COUNT, 28, 28, 1]);
      assert.deepEqual([...train.labels], [0, 1, 2, 3, 4]);
      assert.deepEqual([...test.labels], [0, 1, 2]);
      assert.equal(train.images[2 * 784 + 5], Math.fround(pixel(2, 5) / 255));
      assert.equal(
        test.images[1 * 784 + 700],
        Math.fround(pixel(101, 700) / 255),
      );
    });
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
});

Deno.test("loadFashionMnist() also accepts un-gzipped files", async () => {
  const folder = await fakeFolder([
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
  ]);
  try {
    const { test } = await loadFashionMnist(folder);
    assert.deepEqual(test.shape, [TEST_COUNT, 28, 28, 1]);
    assert.equal(test.images[0], Math.fround(pixel(100, 0) / 255));
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
});

Deno.test("loadFashionMnist() says how to install the data when the folder is missing", async () => {
  const missing = join(await Deno.makeTempDir(), "no-such-folder");
  await withFolderVariable(missing, async () => {
    await assert.rejects(loadFashionMnist(), (error: Error) => {
      assert.match(error.message, /apt-get install dataset-fashion-mnist/);
      assert.ok(error.message.includes(missing), error.message);
      assert.ok(
        error.message.includes(FASHION_MNIST_DIR_VARIABLE),
        error.message,
      );
      return true;
    });
  });
  await Deno.remove(join(missing, ".."));
});

Deno.test("loadFashionMnist() names a missing file in an incomplete folder", async () => {
  const folder = await fakeFolder();
  try {
    await Deno.remove(join(folder, "t10k-labels-idx1-ubyte.gz"));
    await assert.rejects(
      loadFashionMnist(folder),
      /t10k-labels-idx1-ubyte\.gz: no such file/,
    );
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
});

Deno.test("loadFashionMnist() names a malformed file", async () => {
  const folder = await fakeFolder();
  try {
    const path = join(folder, "train-images-idx3-ubyte.gz");
    await Deno.writeFile(
      path,
      await gzip(idxBytes([2, 28, 27], new Uint8Array(2 * 28 * 27))),
    );
    await assert.rejects(
      loadFashionMnist(folder),
      (error: Error) => error.message.startsWith(`${path}: shape [2, 28, 27]`),
    );
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
});

const installed = await Deno.stat(FASHION_MNIST_DIR).then(
  () => true,
  () => false,
);
if (!installed) {
  // .ci/run installs the package; say why the test below is ignored elsewhere.
  console.log(
    `fashion_mnist_test: ${FASHION_MNIST_DIR} is missing, so the Debian package test is ignored (apt-get install dataset-fashion-mnist)`,
  );
}

Deno.test({
  name:
    "loadFashionMnist() reads the installed Debian package: 60000 + 10000 images",
  ignore: !installed,
  fn: async () => {
    const { train, test } = await loadFashionMnist(FASHION_MNIST_DIR);
    assert.deepEqual(train.shape, [60000, 28, 28, 1]);
    assert.deepEqual(test.shape, [10000, 28, 28, 1]);
    assert.equal(train.labels.length, 60000);
    assert.equal(test.labels.length, 10000);
    // Every class holds 6000 training images.
    const counts = new Array(10).fill(0);
    for (const label of train.labels) counts[label]++;
    assert.deepEqual(counts, new Array(10).fill(6000));
    // The first test images are an ankle boot, a pullover and a trouser.
    assert.deepEqual([...test.labels.subarray(0, 3)], [9, 2, 1]);
  },
});
