/**
 * Seeded shuffling and batching: the same seed gives the same batches in the
 * same order, on any machine and backend.
 *
 * @module
 */
import { mulberry32, type Random } from "./random.ts";

/**
 * A random permutation of 0..count-1 (Fisher–Yates).
 *
 * @param count How many indices.
 * @param random The uniform source; the same source state gives the same order.
 * @returns Each index in 0..count-1 exactly once.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { permutation } from "./batches.ts";
 * import { mulberry32 } from "./random.ts";
 * const order = permutation(5, mulberry32(7)); // e.g. Uint32Array [3, 1, 2, 4, 0]
 * assert.deepEqual([...order].sort(), [0, 1, 2, 3, 4]);
 * assert.deepEqual(permutation(5, mulberry32(7)), order); // same seed, same order
 * ```
 */
export function permutation(count: number, random: Random): Uint32Array {
  if (!Number.isInteger(count) || count < 0) {
    throw new Error(`count must be a whole number >= 0, got ${count}`);
  }
  const order = new Uint32Array(count);
  for (let index = 0; index < count; index++) order[index] = index;
  for (let index = count - 1; index > 0; index--) {
    const other = Math.floor(random() * (index + 1));
    const kept = order[index];
    order[index] = order[other];
    order[other] = kept;
  }
  return order;
}

/** Options for {@link batchIndices}. */
export interface BatchOptions {
  /** Indices per batch; every batch has exactly this many. */
  batchSize: number;
  /** Seed of the shuffle. */
  seed: number;
}

/**
 * Endless batches of indices into a data set of `count` items. Each epoch is
 * a fresh seeded shuffle; the last partial batch of an epoch is dropped so
 * every batch has the same shape.
 *
 * @param count Size of the data set.
 * @param options Batch size and seed.
 * @returns A generator of index batches (each a new array).
 * @throws Error if `batchSize` is not a whole number in 1..count.
 *
 * @example Three batches of 4 from 10 items
 * ```ts
 * import assert from "node:assert/strict";
 * import { batchIndices } from "./batches.ts";
 * const batches = batchIndices(10, { batchSize: 4, seed: 1 });
 * for (let step = 0; step < 3; step++) {
 *   const batch = batches.next().value; // e.g. [7, 8, 3, 2]
 *   assert.equal(batch.length, 4);
 * }
 * ```
 */
export function* batchIndices(
  count: number,
  { batchSize, seed }: BatchOptions,
): Generator<Uint32Array, never> {
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > count) {
    throw new Error(
      `batch size must be a whole number from 1 to ${count}, got ${batchSize}`,
    );
  }
  const random = mulberry32(seed);
  while (true) {
    const order = permutation(count, random);
    for (let start = 0; start + batchSize <= count; start += batchSize) {
      yield order.slice(start, start + batchSize);
    }
  }
}

/**
 * Copies the chosen rows of a row-major array into one contiguous batch.
 *
 * @param source All rows, each `rowLength` values long.
 * @param rowLength Values per row, e.g. 28 * 28 * 1 for an MNIST image.
 * @param indices Rows to take, in order.
 * @returns A new array of `indices.length * rowLength` values.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { gatherRows } from "./batches.ts";
 * const rows = new Float32Array([0, 1, 10, 11, 20, 21]);
 * assert.deepEqual(gatherRows(rows, 2, [2, 0]), Float32Array.of(20, 21, 0, 1));
 * ```
 */
export function gatherRows(
  source: Float32Array,
  rowLength: number,
  indices: ArrayLike<number>,
): Float32Array {
  const batch = new Float32Array(indices.length * rowLength);
  for (let row = 0; row < indices.length; row++) {
    const start = indices[row] * rowLength;
    if (start + rowLength > source.length) {
      throw new Error(`row ${indices[row]} is out of range`);
    }
    batch.set(source.subarray(start, start + rowLength), row * rowLength);
  }
  return batch;
}
