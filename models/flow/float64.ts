/**
 * The flow's layers once more, in float64 and plain JavaScript, for exact
 * round trips. A trained affine-coupling flow amplifies float32 rounding:
 * each coupling's inverse multiplies a small error by 5-50x (the coupling
 * network's sensitivity to its input, and 1/scale), so the composed float32
 * inverse lands ~1e-3 away from the input, however carefully each block is
 * inverted (Behrmann et al. 2021, "Understanding and mitigating exploding
 * inverses in invertible neural networks"). In float64 the same map comes
 * back to ~1e-12. Slow (one core, no SIMD), so for checks and exact
 * encode/decode of a few images, not for training.
 *
 * Tensors are NHWC {@link Array4}s; weights are read from the float32
 * variables once, when a layer's `float64()` is called.
 *
 * @module
 */
import type { tf } from "@genwasm/backend/tf";

/** A (batch, height, width, channels) tensor of float64 numbers, row-major. */
export interface Array4 {
  data: Float64Array;
  shape: [number, number, number, number];
}

/** A flow layer's float64 twin: the same map and inverse, in float64. */
export interface Float64FlowLayer {
  forward(x: Array4): Array4;
  inverse(z: Array4): Array4;
}

/** A tensor's values as float64. */
export function float64Of(tensor: tf.Tensor): Float64Array {
  return Float64Array.from(tensor.dataSync());
}

/** An {@link Array4} of a 4-D tensor's values. */
export function array4Of(tensor: tf.Tensor4D): Array4 {
  return { data: float64Of(tensor), shape: [...tensor.shape] };
}

/** A new array of `shape` with every value `f(value, channel)` of `x`. */
export function mapValues(
  x: Array4,
  f: (value: number, channel: number) => number,
): Array4 {
  const channels = x.shape[3];
  return {
    data: x.data.map((value, i) => f(value, i % channels)),
    shape: [...x.shape],
  };
}

/** Channels [from, to) of `x`. */
export function sliceChannels(x: Array4, from: number, to: number): Array4 {
  const [n, h, w, c] = x.shape;
  const width = to - from;
  const data = new Float64Array(n * h * w * width);
  for (let p = 0; p < n * h * w; p++) {
    data.set(x.data.subarray(p * c + from, p * c + to), p * width);
  }
  return { data, shape: [n, h, w, width] };
}

/** `a` and `b` side by side along the channels. */
export function concatChannels(a: Array4, b: Array4): Array4 {
  const [n, h, w, ca] = a.shape;
  const cb = b.shape[3];
  const data = new Float64Array(n * h * w * (ca + cb));
  for (let p = 0; p < n * h * w; p++) {
    data.set(a.data.subarray(p * ca, (p + 1) * ca), p * (ca + cb));
    data.set(b.data.subarray(p * cb, (p + 1) * cb), p * (ca + cb) + ca);
  }
  return { data, shape: [n, h, w, ca + cb] };
}

/** out[..., j] = x[..., order[j]]. */
export function gatherChannels(x: Array4, order: ArrayLike<number>): Array4 {
  const c = x.shape[3];
  const data = new Float64Array(x.data.length);
  for (let p = 0; p < data.length; p += c) {
    for (let j = 0; j < c; j++) data[p + j] = x.data[p + order[j]];
  }
  return { data, shape: [...x.shape] };
}

/**
 * Stride-1 "same" convolution (odd kernel sides, zero padding, as tfjs
 * pads) with HWIO `kernel` of shape `[kh, kw, ci, co]` and optional bias.
 */
export function conv2dSame(
  x: Array4,
  kernel: Float64Array,
  [kh, kw, ci, co]: [number, number, number, number],
  bias?: Float64Array,
): Array4 {
  const [n, h, w, c] = x.shape;
  if (c !== ci) {
    throw new Error(`conv2dSame: ${c} channels in, kernel wants ${ci}`);
  }
  const data = new Float64Array(n * h * w * co);
  const top = (kh - 1) >> 1, left = (kw - 1) >> 1;
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < h; i++) {
      for (let j = 0; j < w; j++) {
        const out = ((b * h + i) * w + j) * co;
        if (bias) { for (let o = 0; o < co; o++) data[out + o] = bias[o]; }
        for (let di = 0; di < kh; di++) {
          const row = i + di - top;
          if (row < 0 || row >= h) continue;
          for (let dj = 0; dj < kw; dj++) {
            const col = j + dj - left;
            if (col < 0 || col >= w) continue;
            const input = ((b * h + row) * w + col) * ci;
            const taps = (di * kw + dj) * ci * co;
            for (let k = 0; k < ci; k++) {
              const value = x.data[input + k];
              if (value === 0) continue;
              const weights = taps + k * co;
              for (let o = 0; o < co; o++) {
                data[out + o] += value * kernel[weights + o];
              }
            }
          }
        }
      }
    }
  }
  return { data, shape: [n, h, w, co] };
}

/** out[..., j] = sum_i x[..., i] matrix[i, j] for a (c, c) matrix: a 1x1 convolution. */
export function applyMatrix(x: Array4, matrix: Float64Array): Array4 {
  const c = x.shape[3];
  return conv2dSame(x, matrix, [1, 1, c, c]);
}

/** Largest |a - b| over two arrays of one shape; Infinity if any is NaN. */
export function maxAbsDifference(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
): number {
  if (a.length !== b.length) {
    throw new Error(`maxAbsDifference: ${a.length} vs ${b.length} values`);
  }
  let largest = 0;
  for (let i = 0; i < a.length; i++) {
    largest = Math.max(largest, Math.abs(a[i] - b[i]));
  }
  return Number.isNaN(largest) ? Infinity : largest;
}
