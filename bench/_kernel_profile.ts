/**
 * Where a training step's time goes, kernel by kernel: the measuring half
 * of `deno task bench:steps --profile` (one process per thread count, as
 * for the step timing).
 *
 * `tf.profile` records every kernel a step runs with its input and output
 * shapes and its time (tfjs-backend-wasm times a kernel as the wall time
 * of its function, synchronously, so the figure is the kernel's work plus
 * the few tfjs lines that wrap its outputs). It also records op scopes and
 * custom-gradient wrappers ("fusedConv2d__op", "unnamed scope") around
 * kernels it records as well; only names registered as wasm kernels are
 * kept, so nothing is counted twice.
 *
 * FLOPs are counted from the shapes for the convolutions and matrix
 * products, a multiply-add as 2 (bias, activation and other epilogues are
 * not counted). Everything else is memory-bound and gets no figure.
 *
 * @module
 */
import { tf } from "../backends/tf.ts";
import { median, parameterCount, prepareSteps } from "./_step_timing.ts";

/** One kernel call as `tf.profile` records it (the fields used here). */
export interface KernelRecord {
  name: string;
  /** Shapes of the inputs; null for an absent optional input (a bias). */
  inputShapes: (number[] | null)[];
  outputShapes: (number[] | null)[];
  kernelTimeMs: number;
}

/** Elements of a shape. */
function size(shape: readonly number[]): number {
  return shape.reduce((product, dimension) => product * dimension, 1);
}

/** Multiply-adds per output element of a convolution with filter `[kh, kw, ci, ...]`. */
function taps(filter: readonly number[]): number {
  return filter[0] * filter[1] * filter[2];
}

/**
 * FLOPs of one call of kernel `name` from its shapes (NHWC, HWIO filters),
 * or undefined where none is defined. Every convolution counts as its
 * forward conv, 2 * N * OH * OW * Co * KH * KW * Ci: the input gradient
 * reads dy (the forward output) and the filter, the filter gradient reads
 * dy and writes the filter. A matrix product [.., M, K] x [.., K, N] counts
 * 2 * batch * M * N * K, K read from A whichever way it is transposed.
 */
export function kernelFlops(
  name: string,
  inputShapes: readonly (readonly number[] | null)[],
  outputShapes: readonly (readonly number[] | null)[],
): number | undefined {
  const [first, second] = inputShapes;
  const output = outputShapes[0];
  switch (name) {
    case "Conv2D":
    case "FusedConv2D":
      return second && output ? 2 * size(output) * taps(second) : undefined;
    case "Conv2DBackpropInput":
      return first && second ? 2 * size(first) * taps(second) : undefined;
    case "Conv2DBackpropFilter":
      return second && output ? 2 * size(second) * taps(output) : undefined;
    case "DepthwiseConv2dNative":
    case "FusedDepthwiseConv2D":
      // Each output channel reads one input channel: KH * KW multiply-adds.
      return second && output
        ? 2 * size(output) * second[0] * second[1]
        : undefined;
    case "DepthwiseConv2dNativeBackpropInput":
      return first && second
        ? 2 * size(first) * second[0] * second[1]
        : undefined;
    case "DepthwiseConv2dNativeBackpropFilter":
      return second && output
        ? 2 * size(second) * output[0] * output[1]
        : undefined;
    case "BatchMatMul":
    case "_FusedMatMul": {
      if (!first || !output || output.length < 2) return undefined;
      const m = output[output.length - 2];
      // A is [.., M, K] or [.., K, M]: its last two dimensions multiply to M * K.
      const depth = first[first.length - 1] * first[first.length - 2] / m;
      return 2 * size(output) * depth;
    }
    default:
      return undefined;
  }
}

/** Whether `name` is a kernel registered for the wasm backend. */
export function isWasmKernel(name: string): boolean {
  return tf.getKernel(name, "wasm") !== undefined;
}

/**
 * The records of real kernels: op scopes and custom-gradient wrappers
 * (names `isKernel` does not know) dropped, since their time includes the
 * kernels inside them, which are recorded too.
 */
export function realKernels(
  records: readonly KernelRecord[],
  isKernel: (name: string) => boolean = isWasmKernel,
): KernelRecord[] {
  return records.filter((record) => isKernel(record.name));
}

/** One kernel name's share of a step. */
export interface KernelStat {
  name: string;
  msPerStep: number;
  callsPerStep: number;
  /** Where {@link kernelFlops} counts this kernel. */
  gflopPerStep?: number;
  /** GFLOP per step over ms per step. */
  gflops?: number;
}

/** One kernel at one set of shapes (a layer, or several alike). */
export interface ShapeStat {
  kernel: string;
  /** "64x28x28x64, 3x3x64x64" (absent optional inputs left out). */
  inputs: string;
  output: string;
  callsPerStep: number;
  msPerCall: number;
  msPerStep: number;
  gflopPerCall: number;
  gflops: number;
}

/** Per-step means over several profiled steps. */
export interface StepProfile {
  /** Profiled steps the means are over. */
  profiledSteps: number;
  /** Sum of every real kernel's time, ms per step. */
  kernelMs: number;
  /** Counted FLOPs per step, GFLOP. */
  gflop: number;
  /** By time, longest first. */
  kernels: KernelStat[];
  /** Counted kernels by shape, by time per step, longest first. */
  shapes: ShapeStat[];
}

/** "64x28x28x64" for a shape; "scalar" for []. */
export function formatShape(shape: readonly number[]): string {
  return shape.length ? shape.join("x") : "scalar";
}

interface Totals {
  ms: number;
  calls: number;
  flops: number;
}

/** Adds one call to a running total, creating it the first time. */
function add<K>(map: Map<K, Totals>, key: K, ms: number, flops: number): void {
  const totals = map.get(key) ?? { ms: 0, calls: 0, flops: 0 };
  totals.ms += ms;
  totals.calls += 1;
  totals.flops += flops;
  map.set(key, totals);
}

/**
 * Means per step of `profiles` (each the real kernel records of one step):
 * time and calls per kernel name, FLOPs where counted, and the counted
 * kernels by shape.
 */
export function aggregateProfiles(
  profiles: readonly (readonly KernelRecord[])[],
): StepProfile {
  const steps = profiles.length;
  if (steps === 0) throw new Error("no profiled steps to aggregate");
  const byName = new Map<string, Totals>();
  const byShape = new Map<string, Totals>();
  const counted = new Set<string>();
  const shapeKeys = new Map<string, [string, string, string]>();
  for (const record of profiles.flat()) {
    const flops = kernelFlops(
      record.name,
      record.inputShapes,
      record.outputShapes,
    );
    add(byName, record.name, record.kernelTimeMs, flops ?? 0);
    if (flops === undefined) continue;
    counted.add(record.name);
    const inputs = record.inputShapes.flatMap((shape) =>
      shape ? [formatShape(shape)] : []
    ).join(", ");
    const output = formatShape(record.outputShapes[0] ?? []);
    const key = `${record.name} ${inputs} -> ${output}`;
    shapeKeys.set(key, [record.name, inputs, output]);
    add(byShape, key, record.kernelTimeMs, flops);
  }
  const kernels = [...byName].map(([name, totals]): KernelStat => ({
    name,
    msPerStep: totals.ms / steps,
    callsPerStep: totals.calls / steps,
    ...(counted.has(name)
      ? {
        gflopPerStep: totals.flops / steps / 1e9,
        gflops: totals.flops / totals.ms / 1e6,
      }
      : {}),
  }));
  const shapes = [...byShape].map(([key, totals]): ShapeStat => {
    const [kernel, inputs, output] = shapeKeys.get(key)!;
    return {
      kernel,
      inputs,
      output,
      callsPerStep: totals.calls / steps,
      msPerCall: totals.ms / totals.calls,
      msPerStep: totals.ms / steps,
      gflopPerCall: totals.flops / totals.calls / 1e9,
      gflops: totals.flops / totals.ms / 1e6,
    };
  });
  const sum = (stats: KernelStat[], pick: (stat: KernelStat) => number) =>
    stats.reduce((total, stat) => total + pick(stat), 0);
  return {
    profiledSteps: steps,
    kernelMs: sum(kernels, (stat) => stat.msPerStep),
    gflop: sum(kernels, (stat) => stat.gflopPerStep ?? 0),
    kernels: kernels.sort((a, b) => b.msPerStep - a.msPerStep),
    shapes: shapes.sort((a, b) => b.msPerStep - a.msPerStep),
  };
}

/** How many steps of each kind {@link profileModel} runs. */
export interface ProfileCounts {
  /** Untimed steps first (engine warm-up, Adam's state, V8's tiers). */
  warmup: number;
  /** Unprofiled steps, timed: the wall time. */
  timed: number;
  /** Steps under `tf.profile`: the kernel times. */
  profiled: number;
}

/**
 * Which of `timed + profiled` steps are profiled: spread evenly among the
 * timed ones, so that both kinds see the same stretch of a noisy machine.
 */
export function interleave(timed: number, profiled: number): boolean[] {
  const total = timed + profiled;
  let placed = 0;
  return Array.from({ length: total }, (_, i) => {
    const due = Math.floor((i + 1) * profiled / total) > placed;
    if (due) placed++;
    return due;
  });
}

/** A model's profile at one thread count. */
export interface ModelProfile extends StepProfile {
  model: string;
  threads: number;
  parameters: number;
  /** Median wall time of the unprofiled steps, ms. */
  wallMs: number;
  /** Every unprofiled step, ms. */
  stepsMs: number[];
  /**
   * Mean wall time of the profiled steps (the profiler's own cost shows): a
   * mean, as `kernelMs` is, so that their difference is the mean time
   * outside kernels of the same steps and never negative.
   */
  profiledWallMs: number;
}

/** The real kernel records of one step run under `tf.profile`. */
async function profileStep(run: () => void): Promise<KernelRecord[]> {
  const info = await tf.profile(run);
  return realKernels(info.kernels.map((kernel) => ({
    name: kernel.name,
    inputShapes: kernel.inputShapes,
    outputShapes: kernel.outputShapes,
    kernelTimeMs: kernel.kernelTimeMs as number,
  })));
}

/**
 * Profiles `preset`'s training step at batch `batchSize` on the running
 * engine: `counts.warmup` steps, then `counts.timed` timed steps with
 * `counts.profiled` profiled ones spread among them.
 *
 * @example
 * ```ts
 * import { profileModel } from "./_kernel_profile.ts";
 * import { initEngine } from "../backends/engine.ts";
 * await initEngine({ threads: 2 });
 * // bench:steps --profile runs vae with { warmup: 5, timed: 10, profiled: 5 }, batch 64.
 * const profile = await profileModel("vae-small", { warmup: 1, timed: 2, profiled: 1 }, 2, 8);
 * console.log(profile.wallMs - profile.kernelMs, "ms outside kernels");
 * ```
 */
export async function profileModel(
  preset: string,
  counts: ProfileCounts,
  threads: number,
  batchSize = 64,
): Promise<ModelProfile> {
  const bench = prepareSteps(preset, batchSize);
  try {
    let step = 0;
    for (; step < counts.warmup; step++) bench.step(step);
    const stepsMs: number[] = [];
    const profiledMs: number[] = [];
    const records: KernelRecord[][] = [];
    for (const profiled of interleave(counts.timed, counts.profiled)) {
      const index = step++;
      const started = performance.now();
      if (profiled) records.push(await profileStep(() => bench.step(index)));
      else bench.step(index);
      (profiled ? profiledMs : stepsMs).push(performance.now() - started);
    }
    return {
      model: preset,
      threads,
      parameters: parameterCount(bench),
      wallMs: median(stepsMs),
      stepsMs,
      profiledWallMs: profiledMs.reduce((sum, ms) => sum + ms, 0) /
        profiledMs.length,
      ...aggregateProfiles(records),
    };
  } finally {
    bench.dispose();
  }
}
