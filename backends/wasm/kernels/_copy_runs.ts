/**
 * Copies between tensors on the wasm heap as runs of contiguous numbers:
 * the core of genwasm's Slice, SplitV and Concat. The stock kernels copy
 * each innermost row with `subarray` + `set`, which costs ~0.5 us a row
 * whatever its length, so a channel slice of an NHWC tensor (rows of 2 to
 * 64 numbers) ran at 10-30 M numbers/s; short runs here are copied number
 * by number.
 *
 * @module
 */
import type { tf } from "../../tf.ts";

/** Runs of at least this many numbers are copied with `set`; shorter ones in a loop. */
const SET_THRESHOLD = 64;

/** Copies `length` numbers from `source[from]` to `target[to]`. */
export function copyRun(
  source: tf.TypedArray,
  from: number,
  target: tf.TypedArray,
  to: number,
  length: number,
): void {
  if (length >= SET_THRESHOLD) {
    target.set(source.subarray(from, from + length), to);
    return;
  }
  for (let i = 0; i < length; i++) target[to + i] = source[from + i];
}

/**
 * Copies the block `begin`/`size` of a row-major tensor of `shape` into
 * `target` (dense, row-major over `size`).
 */
export function copyBlock(
  source: tf.TypedArray,
  shape: readonly number[],
  begin: readonly number[],
  size: readonly number[],
  target: tf.TypedArray,
): void {
  const rank = shape.length;
  const strides = new Array<number>(rank);
  for (let d = rank - 1, stride = 1; d >= 0; d--) {
    strides[d] = stride;
    stride *= shape[d];
  }
  // The innermost axes the block spans whole merge into one run, with the
  // first axis before them that it only partly spans.
  let last = rank - 1;
  while (last > 0 && size[last] === shape[last]) last--;
  const run = size[last] * strides[last];
  let offset = 0;
  for (let d = 0; d <= last; d++) offset += begin[d] * strides[d];
  const index = new Array<number>(last).fill(0);
  const total = target.length;
  for (let to = 0; to < total; to += run) {
    copyRun(source, offset, target, to, run);
    // Odometer over axes 0..last-1: step the innermost that has room.
    for (let d = last - 1; d >= 0; d--) {
      if (++index[d] < size[d]) {
        offset += strides[d];
        break;
      }
      index[d] = 0;
      offset -= (size[d] - 1) * strides[d];
    }
  }
}
