/**
 * The conv2d filter gradient as hand-blocked WebAssembly SIMD, with
 * relaxed-SIMD fused multiply-adds where the engine has them:
 *
 *   dW[kh, kw, ci, co] = sum_{n, oh, ow} xp[n, oh*sh + kh, ow*sw + kw, ci] dy[n, oh, ow, co]
 *
 * over x zero-padded to xp, so that every read is in bounds. Each
 * microkernel call adds one image's contribution to a block of `rows` input
 * channels x 4 or 8 output channels of one tap (kh, kw): its accumulators
 * (up to 12 f32x4) stay in registers while it walks the image's output
 * positions, reading a row of dy (contiguous output channels) and
 * broadcasting `rows` neighbouring input channels of xp. Images go one at a
 * time, all taps and channel blocks for each, so an image's xp and dy
 * (~0.5 MB at 28x28x64) stay in cache across the calls that reuse them.
 *
 * Through XNNPACK the same gradient is a convolution whose kernel is the
 * whole image (Conv2DBackpropFilter.ts), which ran at 2-5 GMAC/s on one
 * core; its forward convolutions at ~8.
 *
 * The module (simd/kernels.ts) imports the tfjs-backend-wasm heap, so the
 * kernels read and write tensors in place.
 *
 * @module
 */
import { multiplyAdd } from "./wat.ts";
import { type KernelPool, poolTask } from "./pool.ts";
import type { PaddedConvShape } from "./shape.ts";

/** Input channels one microkernel call covers at most (6 x 8 lanes = 12 accumulators). */
export const MAX_ROWS = 6;

/**
 * Export name of the microkernel for `rows` input x `lanes` output
 * channels: `dw_` adds to dW, `mm_` (the matrix products of ./matmul.ts)
 * overwrites it.
 */
const kernelName = (rows: number, lanes: number, accumulate: boolean) =>
  `${accumulate ? "dw" : "mm"}_${rows}x${lanes}`;

/**
 * One microkernel: adds to dW[ci0 .. ci0 + rows, co0 .. co0 + lanes] (rows
 * `dwStride` bytes apart) the products of one image. Parameters are byte
 * addresses and strides: `x` points at xp[n, kh, kw, ci0], `dy` at
 * dy[n, 0, 0, co0]; output rows are `xRowStep` apart in xp, positions in a
 * row `xColStep`, and consecutive positions `dyStep` apart in dy. Unless
 * `accumulate`, it starts from zero instead of dW's values: a matrix
 * product then neither reads its output (a cache miss per row where the
 * sum is short) nor needs it zeroed.
 */
export function microkernelWat(
  rows: number,
  lanes: 4 | 8,
  fused: boolean,
  accumulate = true,
): string {
  const halves = lanes / 4;
  const accumulators: string[] = [];
  for (let r = 0; r < rows; r++) {
    for (let h = 0; h < halves; h++) accumulators.push(`$acc${r}_${h}`);
  }
  const dwAt = (r: number) =>
    `local.get $dw local.get $dwStride i32.const ${r} i32.mul i32.add`;
  const lines = [
    `(func (export "${kernelName(rows, lanes, accumulate)}")`,
    `(param $x i32) (param $dy i32) (param $dw i32) (param $height i32) (param $width i32)`,
    `(param $xRowStep i32) (param $xColStep i32) (param $dyStep i32) (param $dwStride i32)`,
    `(local $row i32) (local $col i32) (local $px i32)`,
    accumulators.map((name) => `(local ${name} v128)`).join(" "),
    `(local $b0 v128) (local $b1 v128) (local $xv v128)`,
  ];
  for (let r = 0; r < rows; r++) {
    for (let h = 0; h < halves; h++) {
      lines.push(
        accumulate
          ? `${dwAt(r)} v128.load offset=${16 * h} local.set $acc${r}_${h}`
          : `v128.const i32x4 0 0 0 0 local.set $acc${r}_${h}`,
      );
    }
  }
  lines.push(
    `local.get $height local.set $row`,
    `(loop $rows`,
    `local.get $x local.set $px`,
    `local.get $width local.set $col`,
    `(loop $cols`,
  );
  for (let h = 0; h < halves; h++) {
    lines.push(`local.get $dy v128.load offset=${16 * h} local.set $b${h}`);
  }
  for (let r = 0; r < rows; r++) {
    lines.push(`local.get $px v128.load32_splat offset=${4 * r} local.set $xv`);
    for (let h = 0; h < halves; h++) {
      lines.push(multiplyAdd(fused, "$xv", `$b${h}`, `$acc${r}_${h}`));
    }
  }
  lines.push(
    `local.get $px local.get $xColStep i32.add local.set $px`,
    `local.get $dy local.get $dyStep i32.add local.set $dy`,
    `local.get $col i32.const 1 i32.sub local.tee $col br_if $cols)`,
    `local.get $x local.get $xRowStep i32.add local.set $x`,
    `local.get $row i32.const 1 i32.sub local.tee $row br_if $rows)`,
  );
  for (let r = 0; r < rows; r++) {
    for (let h = 0; h < halves; h++) {
      lines.push(
        `${dwAt(r)} local.get $acc${r}_${h} v128.store offset=${16 * h}`,
      );
    }
  }
  lines.push(`)`);
  return lines.join("\n");
}

/**
 * Every rows x lanes microkernel of the filter gradient, and their
 * zero-start flavours for ./matmul.ts, as WAT functions.
 */
export function filterGradientWat(fused: boolean): string {
  const kernels: string[] = [];
  for (let rows = 1; rows <= MAX_ROWS; rows++) {
    for (const lanes of [4, 8] as const) {
      for (const accumulate of [true, false]) {
        kernels.push(microkernelWat(rows, lanes, fused, accumulate));
      }
    }
  }
  return kernels.join("\n");
}

/**
 * One thread's share of a filter gradient: the blocks (tap, input channels,
 * output channels) whose index is `part` modulo `parts`, every image in
 * turn. Each thread writes only its own blocks of dW. Runs in the pool's
 * workers from its source text, so everything it uses is inside it; `job`
 * is laid out as {@link filterGradient} writes it.
 */
export const filterGradientTask = poolTask(
  [
    "xp",
    "dy",
    "dw",
    "batch",
    "paddedHeight",
    "paddedWidth",
    "inChannels",
    "outHeight",
    "outWidth",
    "outChannels",
    "filterHeight",
    "filterWidth",
    "strideHeight",
    "strideWidth",
    "maxRows",
  ],
  (kernels, job, part, parts) => {
    const {
      xp,
      dy,
      dw,
      batch,
      paddedHeight,
      paddedWidth,
      inChannels,
      outHeight,
      outWidth,
      outChannels,
      filterHeight,
      filterWidth,
      strideHeight,
      strideWidth,
      maxRows,
    } = job;
    const xRowStep = 4 * strideHeight * paddedWidth * inChannels;
    const xColStep = 4 * strideWidth * inChannels;
    const dyStep = 4 * outChannels;
    const imageBytes = 4 * paddedHeight * paddedWidth * inChannels;
    const dyImageBytes = 4 * outHeight * outWidth * outChannels;
    type Call = [(...args: number[]) => void, number, number, number];
    const calls: Call[] = [];
    let block = 0;
    for (let kh = 0; kh < filterHeight; kh++) {
      for (let kw = 0; kw < filterWidth; kw++) {
        const tap = kh * filterWidth + kw;
        for (let ci = 0; ci < inChannels; ci += maxRows) {
          const rows = Math.min(maxRows, inChannels - ci);
          // Output channels 8 at a time, then a last 4 if left.
          for (let co = 0; co < outChannels; co += 8) {
            if (block++ % parts !== part) continue;
            const lanes = outChannels - co >= 8 ? 8 : 4;
            calls.push([
              // The export names of kernelName(), spelt out: this runs alone.
              kernels[`dw_${rows}x${lanes}`] as (...args: number[]) => void,
              xp + 4 * ((kh * paddedWidth + kw) * inChannels + ci),
              dy + 4 * co,
              dw + 4 * ((tap * inChannels + ci) * outChannels + co),
            ]);
          }
        }
      }
    }
    for (let n = 0; n < batch; n++) {
      for (const [kernel, x, d, w] of calls) {
        kernel(
          x + n * imageBytes,
          d + n * dyImageBytes,
          w,
          outHeight,
          outWidth,
          xRowStep,
          xColStep,
          dyStep,
          dyStep,
        );
      }
    }
  },
);

/**
 * dW (zeroed first) from xp and dy, all given as byte addresses on the heap
 * the pool's kernels run on, on all its threads; output channels in 4s.
 */
export function filterGradient(
  pool: KernelPool,
  xp: number,
  dy: number,
  dw: number,
  shape: PaddedConvShape,
): void {
  if (shape.outChannels % 4 !== 0) {
    throw new Error(
      `filterGradient needs output channels in 4s, got ${shape.outChannels}`,
    );
  }
  pool.run(filterGradientTask, { xp, dy, dw, ...shape, maxRows: MAX_ROWS });
}
