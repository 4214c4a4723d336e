/**
 * Shared test helpers: a seeded PRNG, running one computation on the wasm and
 * the cpu backend, and the tolerance check used throughout.
 *
 * Tolerance: every comparison is the max-norm relative error
 *
 *   err = max_i |actual_i - expected_i| / max_i |expected_i|
 *
 * (the cpu backend is "expected"), which must be <= `rtol` (1e-4 unless a
 * test says otherwise). When `expected` is all zeros the denominator is 1, so
 * the check becomes absolute. NaN or Infinity anywhere in `actual` where
 * `expected` is finite fails the check.
 *
 * @module
 */
import assert from "node:assert/strict";
import { tf } from "../backends/tf.ts";
import { Mulberry32 } from "../data/random.ts";

/** Small, fast, seedable PRNG (mulberry32); `next()` is uniform in [0, 1). */
export class Rng {
  readonly #generator: Mulberry32;
  constructor(seed: number) {
    this.#generator = new Mulberry32(seed);
  }

  next(): number {
    return this.#generator.next();
  }

  /** Whole number in [lo, hi], both ends included. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  /** `size` values uniform in [lo, hi). */
  uniform(size: number, lo = -1, hi = 1): Float32Array {
    const out = new Float32Array(size);
    for (let i = 0; i < size; i++) out[i] = lo + (hi - lo) * this.next();
    return out;
  }

  /** `size` whole numbers in [lo, hi]. */
  ints(size: number, lo: number, hi: number): Int32Array {
    const out = new Int32Array(size);
    for (let i = 0; i < size; i++) out[i] = this.int(lo, hi);
    return out;
  }
}

/** Product of a shape's dimensions. */
export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** sqrt(mean(v^2)) of `values`: the spread of weights drawn around 0. */
export function rootMeanSquare(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i] * values[i];
  return Math.sqrt(sum / values.length);
}

/** Turns off the cpu backend's one-time "you are running in Node.js" banner. */
export function quietCpuBackend(): void {
  const cpu = tf.findBackend("cpu") as unknown as { firstUse?: boolean };
  if (cpu) cpu.firstUse = false;
}

/** What a computation run on one backend gave back. */
export interface Run {
  values: Float32Array[];
  shapes: number[][];
}

/**
 * Runs `fn` (which must build its own tensors from plain arrays) on `backend`
 * inside `tf.tidy`, reads every output back, and frees it. On wasm it also
 * checks that the backend holds exactly as many buffers afterwards as before,
 * so a kernel that forgets an intermediate fails here.
 */
export async function runOn(
  backend: "wasm" | "cpu",
  fn: () => tf.Tensor | tf.Tensor[],
): Promise<Run> {
  await tf.setBackend(backend);
  const buffersBefore = tf.engine().backend.numDataIds();
  const tensorsBefore = tf.memory().numTensors;
  const outputs = tf.tidy(fn);
  const list = Array.isArray(outputs) ? outputs : [outputs];
  const run: Run = {
    values: list.map((t) => Float32Array.from(t.dataSync() as Float32Array)),
    shapes: list.map((t) => t.shape.slice()),
  };
  tf.dispose(list);
  assert.equal(
    tf.memory().numTensors,
    tensorsBefore,
    `${backend}: tensors leaked`,
  );
  assert.equal(
    tf.engine().backend.numDataIds(),
    buffersBefore,
    `${backend}: backend data buffers leaked (a kernel kept an intermediate)`,
  );
  return run;
}

/** Max-norm relative error, as described in the module doc. */
export function maxRelError(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
): number {
  assert.equal(actual.length, expected.length, "lengths differ");
  let diff = 0, scale = 0;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    if (Number.isNaN(d)) return Number.NaN;
    diff = Math.max(diff, d);
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return diff / (scale > 0 ? scale : 1);
}

/** Fails unless `actual` is within `rtol` of `expected` (max-norm relative). */
export function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  rtol: number,
  label: string,
): void {
  const err = maxRelError(actual, expected);
  if (!(err <= rtol)) {
    let worst = 0, worstDiff = -1;
    for (let i = 0; i < expected.length; i++) {
      const d = Math.abs(actual[i] - expected[i]);
      const key = Number.isNaN(d) ? Infinity : d;
      if (key > worstDiff) [worst, worstDiff] = [i, key];
    }
    assert.fail(
      `${label}: max-norm relative error ${err.toExponential(2)} > ${rtol} ` +
        `(worst at flat index ${worst}: got ${actual[worst]}, ` +
        `cpu ${expected[worst]})`,
    );
  }
}

/**
 * Runs `fn` on wasm and on cpu and checks every output agrees to `rtol`;
 * leaves wasm as the current backend. `labels` name the outputs.
 *
 * An output that is all zeros on cpu fails too: zeros against zeros pass
 * whatever the kernel does (an int32 cast of values in [-1, 1), a stand-in
 * for a gradient tfjs lacks), so such a comparison proves nothing.
 */
export async function assertBackendsAgree(
  fn: () => tf.Tensor | tf.Tensor[],
  labels: string[],
  rtol = 1e-4,
): Promise<void> {
  let wasm: Run, cpu: Run;
  try {
    wasm = await runOn("wasm", fn);
    cpu = await runOn("cpu", fn);
  } finally {
    await tf.setBackend("wasm");
  }
  assert.equal(wasm.values.length, labels.length, "one label per output");
  for (let i = 0; i < labels.length; i++) {
    assert.deepEqual(wasm.shapes[i], cpu.shapes[i], `${labels[i]}: shape`);
    assert.ok(
      cpu.values[i].some((value) => value !== 0),
      `${labels[i]}: all zeros on cpu, so the comparison could not fail`,
    );
    assertClose(wasm.values[i], cpu.values[i], rtol, labels[i]);
  }
}

/** Asserts genwasm registered its own `kernelName` for wasm (not tfjs's stock one). */
export function assertGenwasmKernel(
  configs: readonly tf.KernelConfig[],
  kernelName: string,
): void {
  const ours = configs.find((c) =>
    c.kernelName === kernelName && c.backendName === "wasm"
  );
  assert.ok(
    ours,
    `${kernelName} is not in wasmKernelConfigs (backends/wasm/register_kernels.ts)`,
  );
  assert.equal(
    tf.getKernel(kernelName, "wasm")?.kernelFunc,
    ours.kernelFunc,
    `the ${kernelName} kernel registered for wasm is not genwasm's`,
  );
}

/** Short text for a shape, e.g. "[2,7,9,3]". */
export function shapeText(shape: readonly number[]): string {
  return `[${shape.join(",")}]`;
}

/** Spatial geometry of one conv / pool test case (NHWC). */
export interface Geometry {
  batch: number;
  height: number;
  width: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  pad: "same" | "valid";
}

/**
 * `count` random geometries. The first 12 cover every combination of square
 * kernel 1/3/4, stride 1/2 and padding same/valid; the rest draw kernel and
 * stride per axis (rectangular). Height and width run from the kernel size to
 * kernel + 6, so "valid" always has an output and odd/even leftovers both
 * occur; batch runs 1..maxBatch (the first case 1, the second maxBatch).
 */
export function geometries(rng: Rng, count = 14, maxBatch = 8): Geometry[] {
  const out: Geometry[] = [];
  for (let i = 0; i < count; i++) {
    let kh: number, kw: number, sh: number, sw: number;
    let pad: "same" | "valid";
    if (i < 12) {
      kh = kw = [1, 3, 4][i % 3];
      sh = sw = [1, 2][i % 2];
      pad = (i >> 1) % 2 ? "valid" : "same";
    } else {
      kh = rng.pick([1, 3, 4]);
      kw = rng.pick([1, 3, 4]);
      sh = rng.int(1, 2);
      sw = rng.int(1, 2);
      pad = rng.pick(["same", "valid"] as const);
    }
    const batch = i === 0 ? 1 : i === 1 ? maxBatch : rng.int(1, maxBatch);
    const height = rng.int(kh, kh + 6);
    const width = rng.int(kw, kw + 6);
    out.push({ batch, height, width, kh, kw, sh, sw, pad });
  }
  return out;
}

/** e.g. "n2 7x9 k3x3 s2x1 same". */
export function geometryText(g: Geometry): string {
  return `n${g.batch} ${g.height}x${g.width} k${g.kh}x${g.kw} ` +
    `s${g.sh}x${g.sw} ${g.pad}`;
}
