/**
 * Zero padding of an NHWC tensor's height and width, and its space-to-depth
 * variant (blocks of pixels as channels, for strided convolutions),
 * threaded on the kernel pool: every convolution on genwasm's SIMD kernels reads a padded
 * copy of its input, and tfjs-backend-wasm's PadV2 makes it on one thread,
 * element by element (~5 ms for a 64x28x28x64 batch here). Rows are copied
 * with `memory.copy` and borders cleared with `memory.fill` (bulk memory),
 * which the engine runs as memmove and memset.
 *
 * @module
 */
import { type KernelPool, poolTask } from "./pool.ts";

/**
 * `pad_rows`: `rows` rows of `inBytes` each from `src` to `dst`, each with
 * `leftBytes` zeros before and `rightBytes` after; `zero_bytes`: clears
 * `bytes` at `dst`; `copy_runs` / `zero_runs`: `runs` runs of `runBytes`,
 * `srcStride` / `dstStride` bytes apart, copied / cleared (`runs` >= 1).
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
local.get $dst i32.const 0 local.get $bytes memory.fill)
(func (export "copy_runs")
(param $src i32) (param $dst i32) (param $runs i32) (param $runBytes i32)
(param $srcStride i32) (param $dstStride i32)
(loop $run
local.get $dst local.get $src local.get $runBytes memory.copy
local.get $src local.get $srcStride i32.add local.set $src
local.get $dst local.get $dstStride i32.add local.set $dst
local.get $runs i32.const 1 i32.sub local.tee $runs br_if $run))
(func (export "zero_runs")
(param $dst i32) (param $runs i32) (param $runBytes i32) (param $dstStride i32)
(loop $run
local.get $dst i32.const 0 local.get $runBytes memory.fill
local.get $dst local.get $dstStride i32.add local.set $dst
local.get $runs i32.const 1 i32.sub local.tee $runs br_if $run))`;
}

/**
 * One thread's share of a padding: a contiguous range of the padded rows
 * (images x padded height), so each thread writes one stretch of memory.
 * Runs in the pool's workers from its source text, so everything it uses
 * is inside it; `job` is laid out as {@link padSpatial} writes it.
 */
export const padTask = poolTask(
  [
    "src",
    "dst",
    "batch",
    "height",
    "width",
    "channels",
    "top",
    "bottom",
    "left",
    "right",
  ],
  (kernels, job, part, parts) => {
    const {
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
    } = job;
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
  },
);

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
  pool.run(padTask, {
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
  });
}

/**
 * One thread's share of {@link spaceToDepth}: a contiguous range of the
 * (image, block row, row within the block) triples. Runs in the pool's
 * workers from its source text, so everything it uses is inside it; `job`
 * is laid out as {@link spaceToDepth} writes it.
 */
export const spaceToDepthTask = poolTask(
  [
    "src",
    "dst",
    "batch",
    "height",
    "width",
    "channels",
    "blockRows",
    "blockCols",
    "top",
    "left",
    "outHeight",
    "outWidth",
  ],
  (kernels, job, part, parts) => {
    const {
      src,
      dst,
      batch,
      height,
      width,
      channels,
      blockRows,
      blockCols,
      top,
      left,
      outHeight,
      outWidth,
    } = job;
    // The export names of padWat(), spelt out: this runs alone.
    const copyRuns = kernels.copy_runs as (...args: number[]) => void;
    const zeroRuns = kernels.zero_runs as (...args: number[]) => void;
    const pixelBytes = 4 * channels;
    const runBytes = blockCols * pixelBytes;
    const blockBytes = blockRows * runBytes;
    // Blocks j whose columns j * blockCols - left + [0, blockCols) all lie in x.
    const jFirst = Math.min(outWidth, Math.ceil(left / blockCols));
    const jEnd = Math.max(
      jFirst,
      Math.min(outWidth, Math.floor((width + left) / blockCols)),
    );
    const rows = batch * outHeight * blockRows;
    const first = Math.floor(rows * part / parts);
    const last = Math.floor(rows * (part + 1) / parts);
    for (let row = first; row < last; row++) {
      const ry = row % blockRows, i = Math.floor(row / blockRows) % outHeight;
      const n = Math.floor(row / (blockRows * outHeight));
      const sourceRow = i * blockRows + ry - top;
      const out = dst + (n * outHeight + i) * outWidth * blockBytes +
        ry * runBytes;
      if (sourceRow < 0 || sourceRow >= height) {
        zeroRuns(out, outWidth, runBytes, blockBytes);
        continue;
      }
      const input = src + (n * height + sourceRow) * width * pixelBytes;
      if (jEnd > jFirst) {
        copyRuns(
          input + (jFirst * blockCols - left) * pixelBytes,
          out + jFirst * blockBytes,
          jEnd - jFirst,
          runBytes,
          runBytes,
          blockBytes,
        );
      }
      // Blocks at the edges, pixel by pixel.
      for (let j = 0; j < outWidth; j++) {
        if (j === jFirst) j = jEnd;
        if (j >= outWidth) break;
        for (let rx = 0; rx < blockCols; rx++) {
          const column = j * blockCols + rx - left;
          const at = out + j * blockBytes + rx * pixelBytes;
          if (column < 0 || column >= width) {
            zeroRuns(at, 1, pixelBytes, 0);
          } else copyRuns(input + column * pixelBytes, at, 1, pixelBytes, 0, 0);
        }
      }
    }
  },
);

/** The block size and where x sits in the blocked grid. */
export interface SpaceToDepthGeometry {
  /** Rows and columns of x per block (the strided convolution's stride). */
  blockRows: number;
  blockCols: number;
  /** Zero rows above x and columns left of it (the convolution's padding). */
  top: number;
  left: number;
  /** Blocks down and across (rows and columns past x are zeros). */
  outHeight: number;
  outWidth: number;
}

/**
 * Writes NHWC float32 `src` [batch, height, width, channels] as blocks to
 * `dst` [batch, outHeight, outWidth, blockRows * blockCols * channels]
 * (heap byte addresses, not overlapping), on all the pool's threads:
 * dst[n, i, j, (ry, rx, c)] = src[n, i * blockRows + ry - top,
 * j * blockCols + rx - left, c], zero outside src. A convolution of stride
 * s is a stride-1 one over x's s x s blocks (../kernels/_space_to_depth.ts).
 */
export function spaceToDepth(
  pool: KernelPool,
  src: number,
  dst: number,
  shape: readonly number[],
  geometry: SpaceToDepthGeometry,
): void {
  const [batch, height, width, channels] = shape;
  const { blockRows, blockCols, top, left, outHeight, outWidth } = geometry;
  if (
    !(blockRows >= 1 && blockCols >= 1 && top >= 0 && left >= 0 &&
      outHeight >= 1 && outWidth >= 1)
  ) {
    throw new Error(
      `spaceToDepth takes blocks >= 1 and padding >= 0, got ${
        JSON.stringify(geometry)
      }`,
    );
  }
  pool.run(spaceToDepthTask, {
    src,
    dst,
    batch,
    height,
    width,
    channels,
    ...geometry,
  });
}
