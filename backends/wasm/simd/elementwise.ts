/**
 * Elementwise kernels that tfjs-backend-wasm runs as scalar loops on one
 * thread (LeakyRelu; Greater and Select through its generic broadcasting
 * loop, which builds index vectors per element): ~5 ms each for a
 * 64x14x14x64 activation, a tenth of a GAN training step across the six
 * LeakyReLU layers and their gradients. Here they are 4 lanes at a time on
 * the kernel pool's threads, each thread on a contiguous share.
 *
 * @module
 */
import { type KernelPool, poolTask } from "./pool.ts";

/** Elements a share is a multiple of: 16 (the byte masks go 16 at a time). */
const CHUNK = 16;

/**
 * `leaky_relu`: y = max(x, alpha x) (LeakyReLU for 0 <= alpha <= 1) over
 * `count` floats, `count` in 4s. `greater_scalar`: out[i] = x[i] > s as
 * bytes 0/1, `count` in 16s. `select`: out = cond ? a : b with byte
 * conditions, `count` in 4s.
 */
export function elementwiseWat(): string {
  return `(func (export "leaky_relu")
(param $x i32) (param $y i32) (param $count i32) (param $alpha f32)
(local $a v128) (local $v v128)
local.get $alpha f32x4.splat local.set $a
(block $done (loop $next
local.get $count i32.eqz br_if $done
local.get $y
local.get $x v128.load local.tee $v local.get $v local.get $a f32x4.mul f32x4.max
v128.store
local.get $x i32.const 16 i32.add local.set $x
local.get $y i32.const 16 i32.add local.set $y
local.get $count i32.const 4 i32.sub local.set $count
br $next)))
(func (export "greater_scalar")
(param $x i32) (param $out i32) (param $count i32) (param $s f32)
(local $sv v128)
local.get $s f32x4.splat local.set $sv
(block $done (loop $next
local.get $count i32.eqz br_if $done
local.get $out
local.get $x v128.load local.get $sv f32x4.gt
local.get $x v128.load offset=16 local.get $sv f32x4.gt
i16x8.narrow_i32x4_s
local.get $x v128.load offset=32 local.get $sv f32x4.gt
local.get $x v128.load offset=48 local.get $sv f32x4.gt
i16x8.narrow_i32x4_s
i8x16.narrow_i16x8_s
v128.const i8x16 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 v128.and
v128.store
local.get $x i32.const 64 i32.add local.set $x
local.get $out i32.const 16 i32.add local.set $out
local.get $count i32.const 16 i32.sub local.set $count
br $next)))
(func (export "select")
(param $cond i32) (param $a i32) (param $b i32) (param $out i32) (param $count i32)
(block $done (loop $next
local.get $count i32.eqz br_if $done
local.get $out
local.get $a v128.load
local.get $b v128.load
local.get $cond v128.load32_zero i16x8.extend_low_i8x16_u i32x4.extend_low_i16x8_u
v128.const i32x4 0 0 0 0 i32x4.ne
v128.bitselect
v128.store
local.get $cond i32.const 4 i32.add local.set $cond
local.get $a i32.const 16 i32.add local.set $a
local.get $b i32.const 16 i32.add local.set $b
local.get $out i32.const 16 i32.add local.set $out
local.get $count i32.const 4 i32.sub local.set $count
br $next)))`;
}

/** Which elementwise kernel a job runs (the task reads the numbers). */
export const Elementwise = {
  LeakyRelu: 0,
  GreaterScalar: 1,
  Select: 2,
} as const;

/**
 * One thread's share of an elementwise job: a contiguous range of whole
 * chunks of 16 elements (the last share takes the rest), so no two threads
 * write the same bytes. Runs in the pool's workers from its source text,
 * so everything it uses is inside it; `job` is laid out as
 * {@link runElementwise} writes it: [kind, count, a float's bits, then the
 * addresses].
 */
export const elementwiseTask = poolTask(
  ["kind", "count", "bits", "p0", "p1", "p2", "p3"],
  (kernels, job, part, parts) => {
    const { kind, count, bits, p0, p1, p2, p3 } = job;
    const scalar = new Float32Array(new Int32Array([bits]).buffer)[0];
    const chunks = count / 16;
    const first = 16 * Math.floor(chunks * part / parts);
    const last = part === parts - 1
      ? count
      : 16 * Math.floor(chunks * (part + 1) / parts);
    const n = last - first;
    if (n <= 0) return;
    // The export names of elementwiseWat(), spelt out: this runs alone.
    if (kind === 0) {
      (kernels.leaky_relu as (...args: number[]) => void)(
        p0 + 4 * first,
        p1 + 4 * first,
        n,
        scalar,
      );
    } else if (kind === 1) {
      (kernels.greater_scalar as (...args: number[]) => void)(
        p0 + 4 * first,
        p1 + first,
        n,
        scalar,
      );
    } else {
      (kernels.select as (...args: number[]) => void)(
        p0 + first,
        p1 + 4 * first,
        p2 + 4 * first,
        p3 + 4 * first,
        n,
      );
    }
  },
);

/**
 * Runs elementwise kernel `kind` over `count` elements (a multiple of 16)
 * with heap byte addresses `pointers` (LeakyRelu: x, y; GreaterScalar: x,
 * out; Select: cond, a, b, out) and float `scalar` (alpha, or the value
 * compared with), on all the pool's threads.
 */
export function runElementwise(
  pool: KernelPool,
  kind: (typeof Elementwise)[keyof typeof Elementwise],
  count: number,
  scalar: number,
  pointers: number[],
): void {
  if (count % CHUNK !== 0) {
    throw new Error(
      `elementwise kernels take elements in ${CHUNK}s, got ${count}`,
    );
  }
  const bits = new Int32Array(new Float32Array([scalar]).buffer)[0];
  const [p0, p1, p2 = 0, p3 = 0] = pointers;
  pool.run(elementwiseTask, { kind, count, bits, p0, p1, p2, p3 });
}

/** Whether {@link runElementwise} takes `count` elements. */
export function elementwiseFits(count: number): boolean {
  return count > 0 && count % CHUNK === 0;
}
