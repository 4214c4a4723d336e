/**
 * Nearest-neighbour upsampling by exactly 2 (the diffusion U-Net's up
 * path) and its gradient, on the kernel pool's threads, 4 channels a lane:
 *
 *   y[n, 2i + a, 2j + b, c] = x[n, i, j, c]                 (a, b in {0, 1})
 *   dx[n, i, j, c] = sum over a, b of dy[n, 2i + a, 2j + b, c]
 *
 * tfjs-backend-wasm's kernels take ~6 ms (forward) and ~26 ms (gradient)
 * for a 64x14x14x64 image batch on one thread.
 *
 * @module
 */
import { type KernelPool, poolTask } from "./pool.ts";

/**
 * `upsample2x_row`: one input row of `width` pixels (`groups` x 4
 * channels) to the two output rows it fills, `outRowBytes` apart.
 * `upsample2x_grad_row`: one dx row of `width` pixels from the two dy rows
 * at `dy` and `dy + dyRowBytes`.
 */
export function resizeWat(): string {
  return `(func (export "upsample2x_row")
(param $x i32) (param $y i32) (param $width i32) (param $groups i32) (param $outRowBytes i32)
(local $c i32) (local $v v128) (local $pixel i32)
local.get $groups i32.const 16 i32.mul local.set $pixel
(loop $col
local.get $groups local.set $c
(loop $group
local.get $x v128.load local.set $v
local.get $y local.get $v v128.store
local.get $y local.get $pixel i32.add local.get $v v128.store
local.get $y local.get $outRowBytes i32.add local.get $v v128.store
local.get $y local.get $outRowBytes i32.add local.get $pixel i32.add local.get $v v128.store
local.get $x i32.const 16 i32.add local.set $x
local.get $y i32.const 16 i32.add local.set $y
local.get $c i32.const 1 i32.sub local.tee $c br_if $group)
local.get $y local.get $pixel i32.add local.set $y
local.get $width i32.const 1 i32.sub local.tee $width br_if $col))
(func (export "upsample2x_grad_row")
(param $dy i32) (param $dx i32) (param $width i32) (param $groups i32) (param $dyRowBytes i32)
(local $c i32) (local $pixel i32)
local.get $groups i32.const 16 i32.mul local.set $pixel
(loop $col
local.get $groups local.set $c
(loop $group
local.get $dx
local.get $dy v128.load
local.get $dy local.get $pixel i32.add v128.load f32x4.add
local.get $dy local.get $dyRowBytes i32.add v128.load f32x4.add
local.get $dy local.get $dyRowBytes i32.add local.get $pixel i32.add v128.load f32x4.add
v128.store
local.get $dx i32.const 16 i32.add local.set $dx
local.get $dy i32.const 16 i32.add local.set $dy
local.get $c i32.const 1 i32.sub local.tee $c br_if $group)
local.get $dy local.get $pixel i32.add local.set $dy
local.get $width i32.const 1 i32.sub local.tee $width br_if $col))`;
}

/**
 * One thread's share of an upsampling (`gradient` 0) or its gradient (1):
 * the input-sized rows (images x height) whose index is `part` modulo
 * `parts`. Runs in the pool's workers from its source text, so everything
 * it uses is inside it; `job` is laid out as {@link upsample2x} writes it.
 */
export const resizeTask = poolTask(
  ["gradient", "small", "large", "batch", "height", "width", "channels"],
  (kernels, job, part, parts) => {
    const { gradient, small, large, batch, height, width, channels } = job;
    // The export names of resizeWat(), spelt out: this runs alone.
    const kernel = (gradient ? kernels.upsample2x_grad_row : kernels
      .upsample2x_row) as (...args: number[]) => void;
    const smallRow = 4 * width * channels, largeRow = 2 * 2 * smallRow;
    for (let row = part; row < batch * height; row += parts) {
      kernel(
        gradient ? large + row * largeRow : small + row * smallRow,
        gradient ? small + row * smallRow : large + row * largeRow,
        width,
        channels / 4,
        largeRow / 2,
      );
    }
  },
);

/**
 * Nearest-neighbour 2x upsampling of NHWC float32 `small` [batch, height,
 * width, channels] into `large` [batch, 2 height, 2 width, channels], or
 * with `gradient` the sum of each 2x2 block of `large` into `small` (heap
 * byte addresses), on all the pool's threads; channels in 4s.
 */
export function upsample2x(
  pool: KernelPool,
  gradient: boolean,
  small: number,
  large: number,
  shape: readonly number[],
): void {
  const [batch, height, width, channels] = shape;
  if (channels % 4 !== 0) {
    throw new Error(`upsample2x takes channels in 4s, got ${channels}`);
  }
  pool.run(resizeTask, {
    gradient: gradient ? 1 : 0,
    small,
    large,
    batch,
    height,
    width,
    channels,
  });
}
