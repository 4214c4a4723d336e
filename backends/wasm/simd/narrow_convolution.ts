/**
 * conv2d with few output channels (the flow's coupling outputs, 64 -> 4 or
 * 8, and the input gradients of its 2- or 4-channel first convolutions) as
 * hand-blocked WebAssembly SIMD:
 *
 *   y[n, oh, ow, co] = act(b[co] + sum_{kh, kw, ci} xp[n, oh*sh + kh, ow*sw + kw, ci] w[kh, kw, ci, co])
 *
 * over x zero-padded to xp. With so few output channels, XNNPACK's GEMM
 * leaves most of its 8-channel lanes empty (1.4-2.8 GMAC/s on one core
 * here); this kernel vectorises the sum over input channels instead (4 a
 * lane), so every lane does work whatever the output channel count. Each
 * microkernel call computes `positions` neighbouring output positions of
 * one row x `channels` (1-4) output channels: its accumulators stay in
 * registers through every tap and input channel and are summed across
 * lanes once at the end, where the bias and ReLU are applied too.
 *
 * Input channels must be a multiple of 4; the filter is repacked per call
 * (see {@link packNarrowFilter}).
 *
 * @module
 */
import { multiplyAdd } from "./wat.ts";
import { type KernelPool, poolTask } from "./pool.ts";
import type { PaddedConvShape } from "./shape.ts";

/** Output channels one microkernel call covers at most. */
export const MAX_CHANNELS = 4;

/**
 * Output positions per microkernel call for 1..4 channels (index = channels):
 * positions x channels accumulators, plus the positions' input vectors and
 * one filter vector, fit the 16 SIMD registers of x86-64.
 */
export const POSITIONS_FOR_CHANNELS = [0, 6, 4, 3, 3];

/** Export name of the microkernel for `positions` x `channels`. */
const kernelName = (positions: number, channels: number) =>
  `narrow_${positions}x${channels}`;

/**
 * One microkernel: y at `positions` output positions (`yStep` bytes apart)
 * x `channels` output channels, from `x` = &xp[n, oh*sh, ow*sw, 0]
 * (positions `xStep` bytes apart, rows of xp `xRow` bytes, `inVectors`
 * groups of 4 input channels a pixel), the packed filter block `w` and
 * `bias` = &b[co] (0: none).
 */
export function narrowMicrokernelWat(
  positions: number,
  channels: number,
  fused: boolean,
): string {
  const acc = (p: number, c: number) => `$acc${p}_${c}`;
  const lines = [
    `(func (export "${kernelName(positions, channels)}")`,
    `(param $x i32) (param $w i32) (param $y i32) (param $bias i32) (param $relu i32)`,
    `(param $inVectors i32) (param $filterHeight i32) (param $filterWidth i32)`,
    `(param $xRow i32) (param $xStep i32) (param $yStep i32)`,
    `(local $kh i32) (local $kw i32) (local $v i32) (local $tap i32) (local $sum f32)`,
  ];
  for (let p = 0; p < positions; p++) {
    lines.push(`(local $px${p} i32) (local $xv${p} v128)`);
    for (let c = 0; c < channels; c++) lines.push(`(local ${acc(p, c)} v128)`);
  }
  lines.push(
    `(local $wv v128)`,
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
  lines.push(`local.get $inVectors local.set $v`, `(loop $vectors`);
  for (let p = 0; p < positions; p++) {
    lines.push(
      `local.get $px${p} v128.load local.set $xv${p}`,
      `local.get $px${p} i32.const 16 i32.add local.set $px${p}`,
    );
  }
  for (let c = 0; c < channels; c++) {
    lines.push(`local.get $w v128.load offset=${16 * c} local.set $wv`);
    for (let p = 0; p < positions; p++) {
      lines.push(multiplyAdd(fused, `$xv${p}`, "$wv", acc(p, c)));
    }
  }
  lines.push(
    `local.get $w i32.const ${16 * channels} i32.add local.set $w`,
    `local.get $v i32.const 1 i32.sub local.tee $v br_if $vectors)`,
    // Next tap to the right: one pixel further, where this tap's channels end.
    `local.get $px0 local.set $tap`,
    `local.get $kw i32.const 1 i32.sub local.tee $kw br_if $cols)`,
    `local.get $x local.get $xRow i32.add local.set $x`,
    `local.get $kh i32.const 1 i32.sub local.tee $kh br_if $rows)`,
  );
  for (let p = 0; p < positions; p++) {
    for (let c = 0; c < channels; c++) {
      const a = acc(p, c);
      lines.push(
        `local.get ${a} f32x4.extract_lane 0 local.get ${a} f32x4.extract_lane 1 f32.add`,
        `local.get ${a} f32x4.extract_lane 2 local.get ${a} f32x4.extract_lane 3 f32.add`,
        `f32.add local.set $sum`,
        `(if (local.get $bias) (then local.get $sum local.get $bias f32.load offset=${
          4 * c
        } f32.add local.set $sum))`,
        `(if (local.get $relu) (then local.get $sum f32.const 0 f32.max local.set $sum))`,
        `local.get $y local.get $yStep i32.const ${p} i32.mul i32.add local.get $sum f32.store offset=${
          4 * c
        }`,
      );
    }
  }
  lines.push(`)`);
  return lines.join("\n");
}

/** Every positions x channels microkernel, as WAT functions. */
export function narrowConvolutionWat(fused: boolean): string {
  const kernels: string[] = [];
  for (let channels = 1; channels <= MAX_CHANNELS; channels++) {
    for (let p = 1; p <= POSITIONS_FOR_CHANNELS[channels]; p++) {
      kernels.push(narrowMicrokernelWat(p, channels, fused));
    }
  }
  return kernels.join("\n");
}

/**
 * The filter HWIO [kh, kw, ci, co] repacked for the microkernels: blocks
 * of up to 4 output channels, each [kh, kw, ci / 4, channel, 4 input
 * channels], one after another — the order a microkernel reads them in.
 */
export function packNarrowFilter(
  filter: Float32Array,
  taps: number,
  inChannels: number,
  outChannels: number,
  packed: Float32Array<ArrayBufferLike> = new Float32Array(filter.length),
): Float32Array<ArrayBufferLike> {
  let at = 0;
  for (let co0 = 0; co0 < outChannels; co0 += MAX_CHANNELS) {
    const channels = Math.min(MAX_CHANNELS, outChannels - co0);
    for (let tap = 0; tap < taps; tap++) {
      for (let ci0 = 0; ci0 < inChannels; ci0 += 4) {
        for (let c = 0; c < channels; c++) {
          for (let lane = 0; lane < 4; lane++) {
            packed[at++] =
              filter[(tap * inChannels + ci0 + lane) * outChannels + co0 + c];
          }
        }
      }
    }
  }
  return packed;
}

/**
 * One thread's share of a narrow convolution: the output rows (n, oh) whose
 * index is `part` modulo `parts`. Runs in the pool's workers from its
 * source text, so everything it uses is inside it; `job` is laid out as
 * {@link narrowConvolution} writes it.
 */
export const narrowConvolutionTask = poolTask(
  [
    "xp",
    "w",
    "bias",
    "y",
    "relu",
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
    "maxChannels",
    "most1",
    "most2",
    "most3",
    "most4",
  ],
  (kernels, job, part, parts) => {
    const {
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
      maxChannels,
      most1,
      most2,
      most3,
      most4,
    } = job;
    // POSITIONS_FOR_CHANNELS, from the job: this runs alone.
    const most = [0, most1, most2, most3, most4];
    const xRow = 4 * paddedWidth * inChannels;
    const xStep = 4 * strideWidth * inChannels;
    const yStep = 4 * outChannels;
    const blockBytes = 4 * filterHeight * filterWidth * inChannels;
    for (let row = part; row < batch * outHeight; row += parts) {
      const n = Math.floor(row / outHeight), oh = row % outHeight;
      const xRowStart = xp + n * paddedHeight * xRow + oh * strideHeight * xRow;
      const yRowStart = y + row * outWidth * yStep;
      for (let co = 0; co < outChannels; co += maxChannels) {
        const channels = Math.min(maxChannels, outChannels - co);
        for (let ow = 0; ow < outWidth; ow += most[channels]) {
          const positions = Math.min(most[channels], outWidth - ow);
          // The export names of kernelName(), spelt out, and no named inner
          // functions (bundlers wrap those in helpers the workers lack).
          (kernels[`narrow_${positions}x${channels}`] as (
            ...args: number[]
          ) => void)(
            xRowStart + ow * xStep,
            w + co * blockBytes,
            yRowStart + ow * yStep + 4 * co,
            bias ? bias + 4 * co : 0,
            relu,
            inChannels / 4,
            filterHeight,
            filterWidth,
            xRow,
            xStep,
            yStep,
          );
        }
      }
    }
  },
);

/**
 * y = act(conv(xp, w) + bias) with heap byte addresses (`w` packed by
 * {@link packNarrowFilter}, `bias` 0: none), on all the pool's threads;
 * input channels in 4s.
 */
export function narrowConvolution(
  pool: KernelPool,
  xp: number,
  packedFilter: number,
  bias: number,
  y: number,
  relu: boolean,
  shape: PaddedConvShape,
): void {
  if (shape.inChannels % 4 !== 0) {
    throw new Error(
      `narrowConvolution needs input channels in 4s, got ${shape.inChannels}`,
    );
  }
  pool.run(narrowConvolutionTask, {
    xp,
    w: packedFilter,
    bias,
    y,
    relu: relu ? 1 : 0,
    ...shape,
    maxChannels: MAX_CHANNELS,
    most1: POSITIONS_FOR_CHANNELS[1],
    most2: POSITIONS_FOR_CHANNELS[2],
    most3: POSITIONS_FOR_CHANNELS[3],
    most4: POSITIONS_FOR_CHANNELS[4],
  });
}
