/**
 * Samplers that run the reverse process from noise to images, each a small
 * stateful object after diffusers' schedulers: `setTimesteps(n)` picks the
 * grid of n timesteps (evenly spaced, descending), and
 * `step(epsilon, t, x_t, noise)` takes x_t one grid step back. Any grid
 * size from 1 to T works for both. {@link denoise} runs the loop.
 *
 * Notation as in `schedule.ts`; a = alphaBar_t, a' = alphaBar at the
 * previous grid point (1 after the last step), z ~ N(0, I).
 *
 * - Ancestral (Ho et al. 2020, eq. 11, respaced as in Nichol & Dhariwal
 *   2021): with alpha = a / a' and beta = 1 - alpha,
 *   x' = (x_t - beta / sqrt(1 - a) eps) / sqrt(alpha) + sigma z, where
 *   sigma^2 is betaTilde = beta (1 - a') / (1 - a) ("posterior") or beta;
 *   no noise on the last step. On the full grid alpha and beta are the
 *   schedule's own.
 * - DDIM (Song et al. 2021, eq. 12): x_0 = (x_t - sqrt(1 - a) eps) / sqrt(a),
 *   sigma = eta sqrt((1 - a') / (1 - a)) sqrt(1 - a / a'),
 *   x' = sqrt(a') x_0 + sqrt(1 - a' - sigma^2) eps + sigma z; eta = 0 is
 *   deterministic, eta = 1 is ancestral sampling with betaTilde.
 *
 * Both clip the predicted x_0 to the data range [-1, 1] by default, as
 * diffusers' schedulers (`clip_sample`) and lucidrains' DDPM do: far from
 * the data, x_0 = (x_t - sqrt(1 - a) eps) / sqrt(a) divides by sqrt(a) ~
 * 0.006, so an undertrained network's small noise errors become pixels of
 * +-50 and, with guidance, saturated images. The ancestral step then takes
 * the posterior mean from the clipped x_0,
 * mean = sqrt(a') beta / (1 - a) x_0 + sqrt(alpha) (1 - a') / (1 - a) x_t,
 * and DDIM the noise that goes with the clipped x_0,
 * (x_t - sqrt(a) x_0) / sqrt(1 - a) (as lucidrains' DDIM does); both equal
 * the unclipped steps whenever nothing was clipped.
 *
 * @module
 */
import { tf } from "@genwasm/backend/tf";
import { Mulberry32 } from "@genwasm/data/random";
import { originalFromEpsilon } from "./process.ts";
import type { NoiseSchedule } from "./schedule.ts";
import type { ProgressCallback } from "../contract.ts";

/** What one reverse step gives. */
export interface SamplerStep {
  /** The sample at the previous grid point (x_0 after the last step). */
  previousSample: tf.Tensor4D;
  /** x_0 as predicted at this step. */
  predictedOriginal: tf.Tensor4D;
}

/** A reverse-process sampler. */
export interface Sampler {
  /** The grid, descending; empty until {@link Sampler.setTimesteps}. */
  readonly timesteps: readonly number[];
  /** Chooses a grid of `count` timesteps (1 .. T). */
  setTimesteps(count: number): void;
  /** Whether the step from `t` adds fresh noise (then `step` needs `noise`). */
  needsNoise(t: number): boolean;
  /**
   * One step back from grid point `t`.
   *
   * @param epsilon (batch, h, w, c) the predicted noise at x_t.
   * @param t A grid timestep.
   * @param sample x_t.
   * @param noise z, same shape, when {@link Sampler.needsNoise}.
   */
  step(
    epsilon: tf.Tensor4D,
    t: number,
    sample: tf.Tensor4D,
    noise?: tf.Tensor4D,
  ): SamplerStep;
}

/**
 * `count` evenly spaced timesteps of 0 .. timesteps - 1, descending:
 * floor(k T / count) for k = count - 1 .. 0 (DDIM's "uniform" grid; every
 * step when count = T).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { samplingTimesteps } from "./sampler.ts";
 * assert.deepEqual(samplingTimesteps(1000, 4), [750, 500, 250, 0]);
 * ```
 */
export function samplingTimesteps(timesteps: number, count: number): number[] {
  if (!Number.isInteger(count) || count < 1 || count > timesteps) {
    throw new Error(
      `sampler steps must be a whole number in 1..${timesteps}, got ${count}`,
    );
  }
  const grid: number[] = [];
  for (let k = count - 1; k >= 0; k--) {
    grid.push(Math.floor(k * timesteps / count));
  }
  return grid;
}

/** Options both samplers take. */
export interface ClipOption {
  /** Clip the predicted x_0 to [-1, 1] (see the module note); default true. */
  clipSample?: boolean;
}

/** The grid and its bookkeeping, shared by both samplers. */
abstract class GridSampler implements Sampler {
  timesteps: readonly number[] = [];
  #previous = new Map<number, number>();
  /** Whether the predicted x_0 is clipped to [-1, 1]. */
  readonly clipSample: boolean;

  constructor(
    readonly schedule: NoiseSchedule,
    { clipSample = true }: ClipOption = {},
  ) {
    this.clipSample = clipSample;
  }

  setTimesteps(count: number): void {
    this.timesteps = samplingTimesteps(this.schedule.timesteps, count);
    this.#previous = new Map(
      this.timesteps.map((t, k) => [t, this.timesteps[k + 1] ?? -1]),
    );
  }

  /** alphaBar at `t` and at the grid point after it (1 past the end). */
  protected alphaBars(t: number): [number, number] {
    if (this.timesteps.length === 0) {
      throw new Error("call setTimesteps(count) before step()");
    }
    const previous = this.#previous.get(t);
    if (previous === undefined) {
      throw new Error(`timestep ${t} is not on the sampler's grid`);
    }
    const { alphasCumprod } = this.schedule;
    return [alphasCumprod[t], previous >= 0 ? alphasCumprod[previous] : 1];
  }

  /** Standard deviation of the noise the step from `t` adds. */
  protected abstract sigma(t: number): number;

  needsNoise(t: number): boolean {
    return this.sigma(t) > 0;
  }

  abstract step(
    epsilon: tf.Tensor4D,
    t: number,
    sample: tf.Tensor4D,
    noise?: tf.Tensor4D,
  ): SamplerStep;

  /** x_0 predicted from x_t and eps, clipped when {@link clipSample}. */
  protected predictOriginal(
    epsilon: tf.Tensor4D,
    sample: tf.Tensor4D,
    t: number,
  ): tf.Tensor4D {
    const x0 = originalFromEpsilon(this.schedule, epsilon, sample, t);
    return this.clipSample ? tf.clipByValue(x0, -1, 1) : x0;
  }

  /** mean + sigma z, checking that z came when needed. */
  protected addNoise(
    mean: tf.Tensor4D,
    sigma: number,
    noise: tf.Tensor4D | undefined,
  ): tf.Tensor4D {
    if (sigma === 0) return mean;
    if (!noise) throw new Error("this step adds noise: pass `noise`");
    return tf.add(mean, tf.mul(noise, sigma));
  }
}

/**
 * Ancestral DDPM sampling, x_{t-1} ~ p(x_{t-1} | x_t), on any grid.
 *
 * @example
 * ```ts
 * import { AncestralSampler } from "./sampler.ts";
 * import { noiseSchedule } from "./schedule.ts";
 * import { tf } from "../../backends/tf.ts";
 * const schedule = noiseSchedule("linear", 1000);
 * const sampler = new AncestralSampler(schedule, { clipSample: false });
 * sampler.setTimesteps(1000);
 * tf.tidy(() => {
 *   const x = tf.ones([1, 2, 2, 1]) as tf.Tensor4D;
 *   const { previousSample } = sampler.step(tf.zeros([1, 2, 2, 1]), 0, x);
 *   previousSample.print(); // x_0 = x / sqrt(alpha_0) = 1.00005 (1 when clipped, the default)
 * });
 * ```
 */
export class AncestralSampler extends GridSampler {
  /** "posterior": sigma^2 = betaTilde; "beta": sigma^2 = beta. */
  readonly variance: "posterior" | "beta";

  constructor(
    schedule: NoiseSchedule,
    { variance = "posterior", ...clip }:
      & { variance?: "posterior" | "beta" }
      & ClipOption = {},
  ) {
    super(schedule, clip);
    if (variance !== "posterior" && variance !== "beta") {
      throw new Error(`variance must be posterior or beta, got "${variance}"`);
    }
    this.variance = variance;
  }

  protected sigma(t: number): number {
    const [a, previous] = this.alphaBars(t);
    if (previous === 1) return 0; // the last step adds no noise
    const beta = 1 - a / previous;
    return Math.sqrt(
      this.variance === "beta" ? beta : beta * (1 - previous) / (1 - a),
    );
  }

  step(
    epsilon: tf.Tensor4D,
    t: number,
    sample: tf.Tensor4D,
    noise?: tf.Tensor4D,
  ): SamplerStep {
    const [a, previous] = this.alphaBars(t);
    const alpha = a / previous, beta = 1 - alpha;
    const sigma = this.sigma(t);
    return tf.tidy(() => {
      const x0 = this.predictOriginal(epsilon, sample, t);
      // 1. The mean of p(x' | x_t): (x_t - beta / sqrt(1 - a) eps) / sqrt(alpha),
      // or from the clipped x_0, the posterior mean c1 x_0 + c2 x_t.
      const mean = this.clipSample
        ? tf.add(
          tf.mul(x0, Math.sqrt(previous) * beta / (1 - a)),
          tf.mul(sample, Math.sqrt(alpha) * (1 - previous) / (1 - a)),
        ) as tf.Tensor4D
        : tf.div(
          tf.sub(sample, tf.mul(epsilon, beta / Math.sqrt(1 - a))),
          Math.sqrt(alpha),
        ) as tf.Tensor4D;
      // 2. Plus sigma z (not after the last step).
      return {
        previousSample: this.addNoise(mean, sigma, noise),
        predictedOriginal: x0,
      };
    });
  }
}

/**
 * DDIM sampling with noise scale `eta` (0: deterministic), on any grid.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DdimSampler } from "./sampler.ts";
 * import { noiseSchedule } from "./schedule.ts";
 * const sampler = new DdimSampler(noiseSchedule("linear", 1000), { eta: 0 });
 * sampler.setTimesteps(50);
 * assert.equal(sampler.timesteps[0], 980);
 * assert.equal(sampler.needsNoise(980), false); // eta 0: deterministic
 * ```
 */
export class DdimSampler extends GridSampler {
  readonly eta: number;

  constructor(
    schedule: NoiseSchedule,
    { eta = 0, ...clip }: { eta?: number } & ClipOption = {},
  ) {
    super(schedule, clip);
    if (!(eta >= 0 && eta <= 1)) {
      throw new Error(`eta must be a number from 0 to 1, got ${eta}`);
    }
    this.eta = eta;
  }

  protected sigma(t: number): number {
    const [a, previous] = this.alphaBars(t);
    return this.eta * Math.sqrt((1 - previous) / (1 - a)) *
      Math.sqrt(1 - a / previous);
  }

  step(
    epsilon: tf.Tensor4D,
    t: number,
    sample: tf.Tensor4D,
    noise?: tf.Tensor4D,
  ): SamplerStep {
    const [a, previous] = this.alphaBars(t);
    const sigma = this.sigma(t);
    return tf.tidy(() => {
      // 1. Predicted x_0 from x_t and eps (clipped unless asked not to);
      // a clipped x_0 gets the eps that goes with it,
      // (x_t - sqrt(a) x_0) / sqrt(1 - a), so eta = 1 stays ancestral.
      const x0 = this.predictOriginal(epsilon, sample, t);
      const noise0 = this.clipSample
        ? tf.div(tf.sub(sample, tf.mul(x0, Math.sqrt(a))), Math.sqrt(1 - a))
        : epsilon;
      // 2. Direction pointing to x_t: sqrt(1 - a' - sigma^2) eps.
      const direction = tf.mul(
        noise0,
        Math.sqrt(Math.max(0, 1 - previous - sigma * sigma)),
      );
      // 3. x' = sqrt(a') x_0 + direction + sigma z.
      const mean = tf.add(tf.mul(x0, Math.sqrt(previous)), direction);
      return {
        previousSample: this.addNoise(mean as tf.Tensor4D, sigma, noise),
        predictedOriginal: x0,
      };
    });
  }
}

/** Sampler names, as `sample --sampler` takes them. */
export const SAMPLER_NAMES = ["ddpm", "ddim"] as const;
/** One of {@link SAMPLER_NAMES}. */
export type SamplerName = typeof SAMPLER_NAMES[number];

/** Options of {@link createSampler}. */
export interface SamplerOptions extends ClipOption {
  /** Grid size; default T for "ddpm", 50 (at most T) for "ddim". */
  steps?: number;
  /** DDIM's noise scale; default 0. "ddim" only. */
  eta?: number;
  /** Ancestral step variance; default "posterior". "ddpm" only. */
  variance?: "posterior" | "beta";
}

/** Grid size of DDIM when none is asked for. */
export const DEFAULT_DDIM_STEPS = 50;

/**
 * A sampler by name, with its grid set.
 *
 * @throws Error for an unknown name, `eta` given to "ddpm", or a grid size
 * outside 1..T.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createSampler } from "./sampler.ts";
 * import { noiseSchedule } from "./schedule.ts";
 * const sampler = createSampler("ddim", noiseSchedule("linear", 1000), { steps: 10 });
 * assert.equal(sampler.timesteps.length, 10);
 * ```
 */
export function createSampler(
  name: string,
  schedule: NoiseSchedule,
  { steps, eta, variance, clipSample }: SamplerOptions = {},
): Sampler {
  let sampler: Sampler;
  if (name === "ddim") {
    sampler = new DdimSampler(schedule, { eta, clipSample });
  } else if (name === "ddpm") {
    if (eta !== undefined) {
      throw new Error("eta applies to the ddim sampler, not ddpm");
    }
    sampler = new AncestralSampler(schedule, { variance, clipSample });
  } else {
    throw new Error(`unknown sampler "${name}": use ddpm or ddim`);
  }
  const all = schedule.timesteps;
  sampler.setTimesteps(
    steps ?? (name === "ddim" ? Math.min(DEFAULT_DDIM_STEPS, all) : all),
  );
  return sampler;
}

/** Predicted noise for x_t at one timestep of the whole batch. */
export type EpsilonPredictor = (x: tf.Tensor4D, t: number) => tf.Tensor4D;

/** Options of {@link denoise}. */
export interface DenoiseOptions {
  /** Seed of the starting noise and of every step's noise. */
  seed: number;
  /** x_T to start from instead of noise drawn from `seed` (not disposed). */
  initial?: tf.Tensor4D;
  /**
   * Keep the sample after these numbers of steps (0: the starting noise,
   * the grid size: the result), e.g. for a picture of the chain.
   */
  record?: readonly number[];
  /** Told of each step taken (e.g. to draw a progress bar); default none. */
  progress?: ProgressCallback;
}

/** What {@link denoise} gives. */
export interface Denoised {
  /** x_0, unclipped. */
  sample: tf.Tensor4D;
  /** The recorded samples by number of steps taken. */
  recorded: Map<number, tf.Tensor4D>;
}

/**
 * Runs `sampler` over its grid from x_T ~ N(0, I) of `shape`: each step
 * predicts the noise and steps back, in its own `tf.tidy`. The starting
 * noise and each noisy step's z come from seeds of `seed`, so the same seed
 * gives the same images.
 *
 * @param sampler A sampler with its grid set.
 * @param predict The (guided) noise prediction.
 * @param shape (count, height, width, channels) of the images.
 * @param options Seed, steps to record, progress callback.
 * @returns The final sample and the recorded ones.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createSampler, denoise } from "./sampler.ts";
 * import { noiseSchedule } from "./schedule.ts";
 * import { tf } from "../../backends/tf.ts";
 * const sampler = createSampler("ddim", noiseSchedule("linear", 1000), { steps: 5 });
 * // A "network" that always predicts zero noise.
 * const { sample } = denoise(sampler, (x) => tf.zerosLike(x), [2, 4, 4, 1], { seed: 1 });
 * assert.deepEqual(sample.shape, [2, 4, 4, 1]);
 * sample.dispose();
 * ```
 */
export function denoise(
  sampler: Sampler,
  predict: EpsilonPredictor,
  shape: [number, number, number, number],
  { seed, initial, record = [], progress }: DenoiseOptions,
): Denoised {
  const grid = sampler.timesteps;
  if (grid.length === 0) {
    throw new Error("call setTimesteps(count) before denoise()");
  }
  if (initial && initial.shape.join() !== shape.join()) {
    throw new Error(
      `initial sample has shape [${initial.shape}], not [${shape}]`,
    );
  }
  const seeds = new Mulberry32(seed);
  const recorded = new Map<number, tf.Tensor4D>();
  const startSeed = seeds.nextSeed();
  let x = initial
    ? tf.clone(initial)
    : tf.randomNormal(shape, 0, 1, "float32", startSeed) as tf.Tensor4D;
  for (let k = 0; k <= grid.length; k++) {
    if (record.includes(k)) recorded.set(k, x);
    if (k === grid.length) break;
    const t = grid[k];
    const noiseSeed = seeds.nextSeed();
    const next = tf.tidy(() => {
      const noise = sampler.needsNoise(t)
        ? tf.randomNormal(shape, 0, 1, "float32", noiseSeed) as tf.Tensor4D
        : undefined;
      return sampler.step(predict(x, t), t, x, noise).previousSample;
    });
    if (!recorded.has(k)) x.dispose();
    x = next;
    progress?.(k + 1, grid.length);
  }
  return { sample: x, recorded };
}

/**
 * `columns` evenly spaced step counts from 0 (noise) to `steps` (the
 * result), for {@link DenoiseOptions.record}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { chainSteps } from "./sampler.ts";
 * assert.deepEqual(chainSteps(50, 6), [0, 10, 20, 30, 40, 50]);
 * ```
 */
export function chainSteps(steps: number, columns: number): number[] {
  if (!Number.isInteger(columns) || columns < 2) {
    throw new Error(`a chain needs at least 2 columns, got ${columns}`);
  }
  return Array.from(
    { length: columns },
    (_, k) => Math.round(k * steps / (columns - 1)),
  );
}
