/**
 * Zero padding of an NHWC tensor's height and width, threaded on the
 * kernel pool: every convolution on genwasm's SIMD kernels reads a padded
 * copy of its input, and tfjs-backend-wasm's PadV2 makes it on one thread,
 * element by element (~5 ms for a 64x28x28x64 batch here). Rows are copied
 * with `memory.copy` and borders cleared with `memory.fill` (bulk memory),
 * which the engine runs as memmove and memset.
 *
 * @module
 */
import type { KernelPool } from "./pool.ts";

/**
 * `pad_rows`: `rows` rows of `inBytes` each from `src` to `dst`, each with
 * `leftBytes` zeros before and `rightBytes` after; `zero_bytes`: clears
 * `bytes` at `dst`.
 */
export function padWat(): string {
  return `(func (export "pad_rows")
(param $src i32) (param $dst i32) (param $rows i32) (param $inBytes i32)
(param $leftBytes i32) (param $rightBytes i32)
(loop $row
local.get $dst i32.const 0 local.get $leftBytes memory.fill
local.get $dst local.get $leftBytes i32.add local.tee $dst
local.get $src local.get $inBytes memory.copy
local.get $dst local.get $inBytes i32.add local.tee $dst
i32.const 0 local.get $rightBytes memory.fill
local.get $dst local.get $rightBytes i32.add local.set $dst
local.get $src local.get $inBytes i32.add local.set $src
local.get $rows i32.const 1 i32.sub local.tee $rows br_if $row))
(func (export "zero_bytes") (param $dst i32) (param $bytes i32)
local.get $dst i32.const 0 local.get $bytes memory.fill)`;
}

/** The padding's index among the pool's tasks (simd/kernels.ts). */
export const PAD_TASK = 4;

/**
 * One thread's share of a padding: a contiguous range of the padded rows
 * (images x padded height), so each thread writes one stretch of memory.
 * Runs in the pool's workers from its source text, so everything it uses
 * is inside it; `job` is laid out as {@link padSpatial} writes it.
 */
export function padTask(
  kernels: WebAssembly.Exports,
  job: Int32Array,
  part: number,
  parts: number,
): void {
  const [src, dst, batch, height, width, channels, top, bottom, left, right] =
    job;
  // The export names of padWat(), spelt out: this runs alone.
  const padRows = kernels.pad_rows as (...args: number[]) => void;
  const zero = kernels.zero_bytes as (...args: number[]) => void;
  const paddedHeight = top + height + bottom;
  const inBytes = 4 * width * channels;
  const outBytes = 4 * (left + width + right) * channels;
  const rows = batch * paddedHeight;
  const first = Math.floor(rows * part / parts);
  const last = Math.floor(rows * (part + 1) / parts);
  for (let row = first; row < last;) {
    const n = Math.floor(row / paddedHeight), h = row % paddedHeight - top;
    if (h < 0 || h >= height) {
      zero(dst + row * outBytes, outBytes);
      row++;
      continue;
    }
    // The run of input rows of this image within the share.
    const count = Math.min(height - h, last - row);
    padRows(
      src + (n * height + h) * inBytes,
      dst + row * outBytes,
      count,
      inBytes,
      4 * left * channels,
      4 * right * channels,
    );
    row += count;
  }
}

/** How many rows and columns of zeros go on each side. */
export interface SpatialPadding {
  top: number;
  bottom: number;
  left: number;
  right: number;
}

/**
 * Writes NHWC float32 `src` [batch, height, width, channels] zero-padded by
 * `padding` to `dst` (heap byte addresses, not overlapping) on all the
 * pool's threads.
 */
export function padSpatial(
  pool: KernelPool,
  src: number,
  dst: number,
  shape: readonly number[],
  padding: SpatialPadding,
): void {
  const [batch, height, width, channels] = shape;
  const { top, bottom, left, right } = padding;
  if ([top, bottom, left, right].some((p) => !(p >= 0))) {
    throw new Error(
      `padSpatial takes padding >= 0, got ${JSON.stringify(padding)}`,
    );
  }
  pool.run(PAD_TASK, [
    src,
    dst,
    batch,
    height,
    width,
    channels,
    top,
    bottom,
    left,
    right,
  ]);
}
