/**
 * conv2d (stride any, dilation 1) as hand-blocked WebAssembly SIMD, with
 * relaxed-SIMD fused multiply-adds where the engine has them, bias and ReLU
 * folded in:
 *
 *   y[n, oh, ow, co] = act(b[co] + sum_{kh, kw, ci} xp[n, oh*sh + kh, ow*sw + kw, ci] w[kh, kw, ci, co])
 *
 * over x zero-padded to xp. Each microkernel call computes `rows`
 * neighbouring output positions of one output row x 4 or 8 output channels:
 * its accumulators stay in registers through every tap and input channel,
 * each step reading one row of w (contiguous output channels) and
 * broadcasting one input channel of each position. This is the indirect
 * GEMM that XNNPACK runs too, with fused multiply-adds (XNNPACK's wasmsimd
 * kernels multiply and add separately).
 *
 * @module
 */
import { multiplyAdd } from "./wat.ts";
import type { KernelPool } from "./pool.ts";
import type { PaddedConvShape } from "./shape.ts";

/** Output positions one microkernel call covers at most (6 x 8 lanes = 12 accumulators). */
export const MAX_POSITIONS = 6;

/** The convolution's index among the pool's tasks (simd/kernels.ts). */
export const CONVOLUTION_TASK = 1;

/**
 * One microkernel: y at `positions` output positions (`yStep` bytes apart)
 * x `lanes` output channels, from `x` = &xp[n, oh*sh, ow*sw, 0] (positions
 * `xStep` apart, rows of xp `xRow` bytes, `inChannels` floats a pixel),
 * `w` = &w[0, 0, 0, co] (rows `wStep` bytes apart) and `bias` = &b[co]
 * (0: none).
 */
export function convolutionMicrokernelWat(
  positions: number,
  lanes: 4 | 8,
  fused: boolean,
): string {
  const halves = lanes / 4;
  const accumulators: string[] = [];
  const pointers: string[] = [];
  for (let p = 0; p < positions; p++) {
    pointers.push(`$px${p}`);
    for (let h = 0; h < halves; h++) accumulators.push(`$acc${p}_${h}`);
  }
  const lines = [
    `(func (export "conv_${positions}x${lanes}")`,
    `(param $x i32) (param $w i32) (param $y i32) (param $bias i32) (param $relu i32)`,
    `(param $inChannels i32) (param $filterHeight i32) (param $filterWidth i32)`,
    `(param $xRow i32) (param $xStep i32) (param $wStep i32) (param $yStep i32)`,
    `(local $kh i32) (local $kw i32) (local $ci i32) (local $tap i32)`,
    pointers.map((name) => `(local ${name} i32)`).join(" "),
    accumulators.map((name) => `(local ${name} v128)`).join(" "),
    `(local $b0 v128) (local $b1 v128) (local $xv v128)`,
    // Start from the bias, or zero.
    `(if (local.get $bias) (then`,
  ];
  for (let h = 0; h < halves; h++) {
    lines.push(`local.get $bias v128.load offset=${16 * h} local.set $b${h}`);
  }
  lines.push(`))`);
  for (let p = 0; p < positions; p++) {
    for (let h = 0; h < halves; h++) {
      lines.push(`local.get $b${h} local.set $acc${p}_${h}`);
    }
  }
  lines.push(
    `local.get $filterHeight local.set $kh`,
    `(loop $rows`,
    `local.get $x local.set $tap`,
    `local.get $filterWidth local.set $kw`,
    `(loop $cols`,
  );
  for (let p = 0; p < positions; p++) {
    lines.push(
      `local.get $tap local.get $xStep i32.const ${p} i32.mul i32.add local.set $px${p}`,
    );
  }
  lines.push(`local.get $inChannels local.set $ci`, `(loop $channels`);
  for (let h = 0; h < halves; h++) {
    lines.push(`local.get $w v128.load offset=${16 * h} local.set $b${h}`);
  }
  for (let p = 0; p < positions; p++) {
    lines.push(`local.get $px${p} v128.load32_splat local.set $xv`);
    for (let h = 0; h < halves; h++) {
      lines.push(multiplyAdd(fused, "$xv", `$b${h}`, `$acc${p}_${h}`));
    }
    lines.push(`local.get $px${p} i32.const 4 i32.add local.set $px${p}`);
  }
  lines.push(
    `local.get $w local.get $wStep i32.add local.set $w`,
    `local.get $ci i32.const 1 i32.sub local.tee $ci br_if $channels)`,
    // Next tap to the right: one pixel of xp further.
    `local.get $tap local.get $inChannels i32.const 4 i32.mul i32.add local.set $tap`,
    `local.get $kw i32.const 1 i32.sub local.tee $kw br_if $cols)`,
    `local.get $x local.get $xRow i32.add local.set $x`,
    `local.get $kh i32.const 1 i32.sub local.tee $kh br_if $rows)`,
    `(if (local.get $relu) (then`,
  );
  for (const acc of accumulators) {
    lines.push(
      `local.get ${acc} v128.const i32x4 0 0 0 0 f32x4.max local.set ${acc}`,
    );
  }
  lines.push(`))`);
  for (let p = 0; p < positions; p++) {
    for (let h = 0; h < halves; h++) {
      lines.push(
        `local.get $y local.get $yStep i32.const ${p} i32.mul i32.add ` +
          `local.get $acc${p}_${h} v128.store offset=${16 * h}`,
      );
    }
  }
  lines.push(`)`);
  return lines.join("\n");
}

/** Every positions x lanes microkernel of the convolution, as WAT functions. */
export function convolutionWat(fused: boolean): string {
  const kernels: string[] = [];
  for (let positions = 1; positions <= MAX_POSITIONS; positions++) {
    for (const lanes of [4, 8] as const) {
      kernels.push(convolutionMicrokernelWat(positions, lanes, fused));
    }
  }
  return kernels.join("\n");
}

/**
 * One thread's share of a convolution: the output rows (n, oh) whose index
 * is `part` modulo `parts`. Runs in the pool's workers from its source
 * text, so everything it uses is inside it; `job` is laid out as
 * {@link convolution} writes it.
 */
export function convolutionTask(
  kernels: WebAssembly.Exports,
  job: Int32Array,
  part: number,
  parts: number,
): void {
  const [
    xp,
    w,
    bias,
    y,
    relu,
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
    maxPositions,
  ] = job;
  const xRow = 4 * paddedWidth * inChannels;
  const xStep = 4 * strideWidth * inChannels;
  const wStep = 4 * outChannels;
  const yStep = 4 * outChannels;
  for (let row = part; row < batch * outHeight; row += parts) {
    const n = Math.floor(row / outHeight), oh = row % outHeight;
    const xRowStart = xp + n * paddedHeight * xRow +
      oh * strideHeight * xRow;
    const yRowStart = y + row * outWidth * yStep;
    for (let ow = 0; ow < outWidth; ow += maxPositions) {
      const positions = Math.min(maxPositions, outWidth - ow);
      for (let co = 0; co < outChannels; co += 8) {
        const lanes = outChannels - co >= 8 ? 8 : 4;
        // The export names of convolutionMicrokernelWat(), spelt out, and
        // no named inner functions (bundlers wrap those in helpers that the
        // workers would not have): this function runs alone.
        (kernels[`conv_${positions}x${lanes}`] as (...args: number[]) => void)(
          xRowStart + ow * xStep,
          w + 4 * co,
          yRowStart + ow * yStep + 4 * co,
          bias ? bias + 4 * co : 0,
          relu,
          inChannels,
          filterHeight,
          filterWidth,
          xRow,
          xStep,
          wStep,
          yStep,
        );
      }
    }
  }
}

/**
 * y = act(conv(xp, w) + bias) with heap byte addresses (`bias` 0: none),
 * on all the pool's threads.
 */
export function convolution(
  pool: KernelPool,
  xp: number,
  w: number,
  bias: number,
  y: number,
  relu: boolean,
  shape: PaddedConvShape,
): void {
  if (shape.outChannels % 4 !== 0) {
    throw new Error(
      `convolution needs output channels in 4s, got ${shape.outChannels}`,
    );
  }
  pool.run(CONVOLUTION_TASK, [
    xp,
    w,
    bias,
    y,
    relu ? 1 : 0,
    shape.batch,
    shape.paddedHeight,
    shape.paddedWidth,
    shape.inChannels,
    shape.outHeight,
    shape.outWidth,
    shape.outChannels,
    shape.filterHeight,
    shape.filterWidth,
    shape.strideHeight,
    shape.strideWidth,
    MAX_POSITIONS,
  ]);
}
