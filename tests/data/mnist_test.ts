import assert from "node:assert/strict";
import { loadMnist, mnistPaths } from "../../data/mnist.ts";

Deno.test("mnistPaths() finds the four IDX files on disk", async () => {
  for (const path of Object.values(mnistPaths())) {
    assert.ok((await Deno.stat(path)).isFile, path);
  }
});

Deno.test("loadMnist() gives 60000 training and 10000 test images in [0, 1]", async () => {
  const { train, test } = await loadMnist();
  assert.deepEqual(train.shape, [60000, 28, 28, 1]);
  assert.deepEqual(test.shape, [10000, 28, 28, 1]);
  assert.equal(train.images.length, 60000 * 784);
  assert.equal(train.labels.length, 60000);
  assert.equal(test.labels.length, 10000);
  let minimum = Infinity;
  let maximum = -Infinity;
  for (const value of test.images) {
    minimum = Math.min(minimum, value);
    maximum = Math.max(maximum, value);
  }
  assert.equal(minimum, 0);
  assert.equal(maximum, 1);
  assert.ok(test.labels.every((label) => label <= 9));
  // The first test digits of MNIST are 7, 2, 1, 0, 4.
  assert.deepEqual([...test.labels.subarray(0, 5)], [7, 2, 1, 0, 4]);
});
