import assert from "node:assert/strict";
import { batchIndices, gatherRows, permutation } from "../../data/batches.ts";
import { mulberry32 } from "../../data/random.ts";

Deno.test("permutation() holds every index exactly once", () => {
  const order = permutation(1000, mulberry32(3));
  assert.equal(order.length, 1000);
  assert.deepEqual([...order].sort((a, b) => a - b), [...Array(1000).keys()]);
});

Deno.test("permutation() gives the same order for the same seed", () => {
  assert.deepEqual(
    permutation(500, mulberry32(9)),
    permutation(500, mulberry32(9)),
  );
});

Deno.test("permutation() gives another order for another seed", () => {
  // A random order has no value to expect; only that the seed changes it.
  assert.notDeepEqual(
    permutation(500, mulberry32(9)),
    permutation(500, mulberry32(10)),
  );
});

Deno.test("permutation() shuffles: few indices stay in place", () => {
  const order = permutation(1000, mulberry32(5));
  const fixed = order.filter((value, index) => value === index).length;
  assert.ok(fixed < 10, `${fixed} fixed points`);
});

Deno.test("permutation() handles 0 and 1 items", () => {
  assert.deepEqual([...permutation(0, mulberry32(1))], []);
  assert.deepEqual([...permutation(1, mulberry32(1))], [0]);
});

function take(batches: Generator<Uint32Array>, count: number): number[][] {
  return Array.from({ length: count }, () => [...batches.next().value!]);
}

Deno.test("batchIndices() gives the same batches for the same seed", () => {
  const options = { batchSize: 7, seed: 42 };
  assert.deepEqual(
    take(batchIndices(50, options), 20),
    take(batchIndices(50, options), 20),
  );
});

Deno.test("batchIndices() covers an epoch without repeats, then reshuffles", () => {
  const batches = take(batchIndices(20, { batchSize: 5, seed: 1 }), 8);
  const firstEpoch = batches.slice(0, 4).flat();
  const secondEpoch = batches.slice(4).flat();
  assert.deepEqual([...firstEpoch].sort((a, b) => a - b), [
    ...Array(20).keys(),
  ]);
  assert.deepEqual([...secondEpoch].sort((a, b) => a - b), [
    ...Array(20).keys(),
  ]);
  // Each epoch is a fresh shuffle (of no order to expect).
  assert.notDeepEqual(firstEpoch, secondEpoch);
});

Deno.test("batchIndices() drops the partial batch at the end of an epoch", () => {
  const batches = take(batchIndices(10, { batchSize: 4, seed: 2 }), 6);
  for (const batch of batches) assert.equal(batch.length, 4);
  // Two batches per epoch: each pair holds 8 distinct indices.
  assert.equal(new Set(batches.slice(0, 2).flat()).size, 8);
});

Deno.test("batchIndices() rejects a batch size outside 1..count", () => {
  for (const batchSize of [0, 11, 2.5]) {
    assert.throws(
      () => batchIndices(10, { batchSize, seed: 0 }).next(),
      /batch size must be a whole number from 1 to 10/,
    );
  }
});

Deno.test("gatherRows() copies the chosen rows in order", () => {
  const rows = new Float32Array([0, 1, 10, 11, 20, 21]);
  assert.deepEqual([...gatherRows(rows, 2, [2, 0, 2])], [20, 21, 0, 1, 20, 21]);
  assert.throws(() => gatherRows(rows, 2, [3]), /out of range/);
});
