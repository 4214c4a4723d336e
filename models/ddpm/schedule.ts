/**
 * Noise schedules of a diffusion model as plain tables, one entry per
 * timestep t = 0 .. T - 1 (t = 0 is the first, least noisy step; Ho et al.
 * number it 1). Everything here is float64 arithmetic on JavaScript arrays;
 * no tensors.
 *
 * Notation (Ho et al. 2020, "Denoising Diffusion Probabilistic Models"):
 *
 * | symbol          | field                       | meaning                             |
 * | --------------- | --------------------------- | ----------------------------------- |
 * | beta_t          | betas                       | variance added at step t            |
 * | alpha_t         | alphas                      | 1 - beta_t                          |
 * | alphaBar_t      | alphasCumprod               | prod_{s <= t} alpha_s               |
 * | alphaBar_{t-1}  | alphasCumprodPrevious       | with alphaBar_{-1} = 1              |
 * | betaTilde_t     | posteriorVariance           | variance of q(x_{t-1} | x_t, x_0)   |
 * | mu~ coefficients| posteriorMeanCoefficient1/2 | mean = c1 x_0 + c2 x_t              |
 *
 * The forward process: q(x_t | x_0) = N(sqrt(alphaBar_t) x_0, (1 - alphaBar_t) I).
 *
 * @module
 */

/** A beta schedule: T variances, each in (0, 1). */
export type BetaSchedule = (timesteps: number) => Float64Array;

/** Cap on every beta, against the singularity of a step to pure noise. */
const MAX_BETA = 0.999;

/**
 * Ho et al. 2020: betas linear from 1e-4 to 0.02 for T = 1000. For other T
 * both ends scale by 1000 / T (Nichol & Dhariwal 2021; as in lucidrains'
 * `linear_beta_schedule`), so the total noise stays about the same; below
 * T = 50 the last betas would reach 1, so they are capped at 0.999.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { linearBetas } from "./schedule.ts";
 * const betas = linearBetas(1000);
 * assert.deepEqual([betas[0], betas[999]], [0.0001, 0.02]);
 * ```
 */
export function linearBetas(timesteps: number): Float64Array {
  const scale = 1000 / timesteps;
  const first = scale * 1e-4, last = scale * 0.02;
  const betas = new Float64Array(timesteps);
  for (let t = 0; t < timesteps; t++) {
    betas[t] = Math.min(
      first + (last - first) * t / (timesteps - 1),
      MAX_BETA,
    );
  }
  return betas;
}

/** Offset s of the cosine schedule, so that beta_0 is not vanishingly small. */
const COSINE_OFFSET = 0.008;

/**
 * Nichol & Dhariwal 2021 ("Improved DDPM"): alphaBar follows
 * f(t) = cos((t / T + s) / (1 + s) * pi / 2)^2 / f(0) with s = 0.008, and
 * beta_t = min(1 - alphaBar_t / alphaBar_{t-1}, 0.999). Index t here is
 * their t + 1.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { cosineBetas } from "./schedule.ts";
 * assert.equal(cosineBetas(1000)[999], 0.999); // capped
 * ```
 */
export function cosineBetas(timesteps: number): Float64Array {
  const f = (t: number) =>
    Math.cos(
      (t / timesteps + COSINE_OFFSET) / (1 + COSINE_OFFSET) * Math.PI / 2,
    ) **
      2;
  const betas = new Float64Array(timesteps);
  for (let t = 0; t < timesteps; t++) {
    betas[t] = Math.min(1 - f(t + 1) / f(t), MAX_BETA);
  }
  return betas;
}

/** Beta schedules by name. */
export const BETA_SCHEDULES: Readonly<
  Record<"linear" | "cosine", BetaSchedule>
> = {
  linear: linearBetas,
  cosine: cosineBetas,
};

/** Every table a sampler or the loss needs, each of length T. */
export interface NoiseSchedule {
  /** T, the number of diffusion steps. */
  readonly timesteps: number;
  readonly betas: Float64Array;
  readonly alphas: Float64Array;
  readonly alphasCumprod: Float64Array;
  /** alphaBar_{t-1}, with 1 at t = 0. */
  readonly alphasCumprodPrevious: Float64Array;
  /** sqrt(alphaBar_t): the signal's share in q(x_t | x_0). */
  readonly sqrtAlphasCumprod: Float64Array;
  /** sqrt(1 - alphaBar_t): the noise's share in q(x_t | x_0). */
  readonly sqrtOneMinusAlphasCumprod: Float64Array;
  /** betaTilde_t = beta_t (1 - alphaBar_{t-1}) / (1 - alphaBar_t); 0 at t = 0. */
  readonly posteriorVariance: Float64Array;
  /** beta_t sqrt(alphaBar_{t-1}) / (1 - alphaBar_t), the weight of x_0. */
  readonly posteriorMeanCoefficient1: Float64Array;
  /** (1 - alphaBar_{t-1}) sqrt(alpha_t) / (1 - alphaBar_t), the weight of x_t. */
  readonly posteriorMeanCoefficient2: Float64Array;
}

/**
 * All the tables of a schedule, from its betas (Ho et al. eq. 4, 6, 7).
 *
 * @param betas T variances in (0, 1).
 * @returns The schedule.
 * @throws Error if a beta is outside (0, 1).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { linearBetas, scheduleFromBetas } from "./schedule.ts";
 * const schedule = scheduleFromBetas(linearBetas(1000));
 * assert.ok(schedule.alphasCumprod[999] < 5e-5); // about 4e-5: x_T is almost pure noise
 * ```
 */
export function scheduleFromBetas(betas: Float64Array): NoiseSchedule {
  const count = betas.length;
  const table = () => new Float64Array(count);
  const alphas = table(), alphasCumprod = table(), previous = table();
  const sqrtAlphasCumprod = table(), sqrtOneMinusAlphasCumprod = table();
  const posteriorVariance = table();
  const coefficient1 = table(), coefficient2 = table();
  let product = 1;
  for (let t = 0; t < count; t++) {
    const beta = betas[t];
    if (!(beta > 0 && beta < 1)) {
      throw new Error(`beta at step ${t} is ${beta}, not in (0, 1)`);
    }
    alphas[t] = 1 - beta;
    previous[t] = product;
    product *= alphas[t];
    alphasCumprod[t] = product;
    sqrtAlphasCumprod[t] = Math.sqrt(product);
    sqrtOneMinusAlphasCumprod[t] = Math.sqrt(1 - product);
    posteriorVariance[t] = beta * (1 - previous[t]) / (1 - product);
    coefficient1[t] = beta * Math.sqrt(previous[t]) / (1 - product);
    coefficient2[t] = (1 - previous[t]) * Math.sqrt(alphas[t]) /
      (1 - product);
  }
  return {
    timesteps: count,
    betas: Float64Array.from(betas),
    alphas,
    alphasCumprod,
    alphasCumprodPrevious: previous,
    sqrtAlphasCumprod,
    sqrtOneMinusAlphasCumprod,
    posteriorVariance,
    posteriorMeanCoefficient1: coefficient1,
    posteriorMeanCoefficient2: coefficient2,
  };
}

/**
 * The schedule `name` with `timesteps` steps.
 *
 * @param name "linear" or "cosine".
 * @param timesteps T, at least 2.
 * @throws Error for an unknown name.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { noiseSchedule } from "./schedule.ts";
 * assert.equal(noiseSchedule("cosine", 1000).timesteps, 1000);
 * ```
 */
export function noiseSchedule(name: string, timesteps: number): NoiseSchedule {
  if (!Object.hasOwn(BETA_SCHEDULES, name)) {
    throw new Error(
      `unknown beta schedule "${name}": use ${
        Object.keys(BETA_SCHEDULES).join(" or ")
      }`,
    );
  }
  if (!Number.isInteger(timesteps) || timesteps < 2) {
    throw new Error(`timesteps must be a whole number >= 2, got ${timesteps}`);
  }
  return scheduleFromBetas(
    BETA_SCHEDULES[name as keyof typeof BETA_SCHEDULES](timesteps),
  );
}
