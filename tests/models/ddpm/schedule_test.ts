import assert from "node:assert/strict";
import {
  cosineBetas,
  linearBetas,
  noiseSchedule,
  scheduleFromBetas,
} from "../../../models/ddpm/schedule.ts";

/** |actual - expected| <= rtol * |expected| (or rtol when expected is 0). */
function near(actual: number, expected: number, label: string, rtol = 1e-9) {
  const scale = expected === 0 ? 1 : Math.abs(expected);
  assert.ok(
    Math.abs(actual - expected) <= rtol * scale,
    `${label}: got ${actual}, expected ${expected}`,
  );
}

/** Ho et al.'s linear beta_t for T = 1000: 1e-4 to 0.02 in 999 even steps. */
const linearBeta = (t: number) => 1e-4 + (0.02 - 1e-4) * t / 999;

/**
 * alphaBar_t = prod_{s <= t} (1 - beta_s), summed in logs (another route
 * than the code's running product).
 */
function alphaBarOf(beta: (s: number) => number, t: number): number {
  let logSum = 0;
  for (let s = 0; s <= t; s++) logSum += Math.log1p(-beta(s));
  return Math.exp(logSum);
}

/**
 * The posterior q(x_{t-1} | x_t, x_0) of Ho et al. eq. 7 at a step with
 * variance `beta` after `alphaBarPrevious` = alphaBar_{t-1}.
 */
function posterior(beta: number, alphaBarPrevious: number) {
  const alphaBar = alphaBarPrevious * (1 - beta);
  return {
    variance: beta * (1 - alphaBarPrevious) / (1 - alphaBar),
    c1: beta * Math.sqrt(alphaBarPrevious) / (1 - alphaBar),
    c2: (1 - alphaBarPrevious) * Math.sqrt(1 - beta) / (1 - alphaBar),
  };
}

Deno.test("linearBetas() runs from 1e-4 to 0.02 in even steps for T = 1000", () => {
  const betas = linearBetas(1000);
  assert.equal(betas.length, 1000);
  near(betas[0], 1e-4, "beta_0");
  near(betas[1], linearBeta(1), "beta_1");
  near(betas[500], linearBeta(500), "beta_500");
  near(betas[999], 0.02, "beta_999");
  // Other T: both ends scale by 1000 / T.
  const short = linearBetas(100);
  near(short[0], 1e-3, "T=100 beta_0");
  near(short[99], 0.2, "T=100 beta_99");
  // Below T = 50 the scaled end would pass 1: capped.
  const tiny = linearBetas(20);
  near(tiny[0], 5e-3, "T=20 beta_0");
  near(tiny[19], 0.999, "T=20 beta_19 (capped)");
});

Deno.test("noiseSchedule('linear') has the hand-computed products and posterior terms", () => {
  const s = noiseSchedule("linear", 1000);
  // t = 0: alphaBar = 1 - 1e-4; the posterior collapses onto x_0.
  near(s.alphasCumprod[0], 0.9999, "alphaBar_0");
  near(s.alphasCumprodPrevious[0], 1, "alphaBar_-1");
  near(s.posteriorVariance[0], 0, "betaTilde_0");
  near(s.posteriorMeanCoefficient1[0], 1, "c1_0", 1e-12);
  near(s.posteriorMeanCoefficient2[0], 0, "c2_0");
  // t = 1: alphaBar_1 = 0.9999 (1 - beta_1).
  const alphaBar1 = 0.9999 * (1 - linearBeta(1));
  near(s.alphasCumprod[1], alphaBar1, "alphaBar_1");
  near(s.alphas[1], 1 - linearBeta(1), "alpha_1");
  const at1 = posterior(linearBeta(1), 0.9999);
  near(s.posteriorVariance[1], at1.variance, "betaTilde_1");
  near(s.posteriorMeanCoefficient1[1], at1.c1, "c1_1");
  near(s.posteriorMeanCoefficient2[1], at1.c2, "c2_1");
  near(s.sqrtAlphasCumprod[1], Math.sqrt(alphaBar1), "sqrt alphaBar_1");
  near(
    s.sqrtOneMinusAlphasCumprod[1],
    Math.sqrt(1 - alphaBar1),
    "sqrt(1 - alphaBar_1)",
  );
  // Middle and end: products of 500 and 1000 factors (summed as logs here).
  const alphaBar500 = alphaBarOf(linearBeta, 500);
  near(s.alphasCumprod[500], alphaBar500, "alphaBar_500");
  const at500 = posterior(linearBeta(500), alphaBarOf(linearBeta, 499));
  near(s.posteriorVariance[500], at500.variance, "betaTilde_500");
  near(s.posteriorMeanCoefficient1[500], at500.c1, "c1_500");
  near(s.posteriorMeanCoefficient2[500], at500.c2, "c2_500");
  // x_T is almost pure noise: alphaBar_999 is about 4.04e-5.
  near(s.alphasCumprod[999], alphaBarOf(linearBeta, 999), "alphaBar_999");
  near(
    s.posteriorVariance[999],
    posterior(0.02, alphaBarOf(linearBeta, 998)).variance,
    "betaTilde_999",
  );
});

Deno.test("cosineBetas() follows alphaBar = f(t) / f(0) and caps betas at 0.999", () => {
  const f = (t: number) =>
    Math.cos((t / 1000 + 0.008) / 1.008 * Math.PI / 2) ** 2;
  const betas = cosineBetas(1000);
  for (const t of [0, 1, 500]) {
    near(betas[t], 1 - f(t + 1) / f(t), `beta_${t}`);
  }
  near(betas[999], 0.999, "beta_999 (capped)");
  const s = scheduleFromBetas(betas);
  // Uncapped steps: the product telescopes to f(t + 1) / f(0).
  const alphaBar = (t: number) => f(t + 1) / f(0);
  for (const t of [0, 1, 250, 500, 900, 998]) {
    near(s.alphasCumprod[t], alphaBar(t), `alphaBar_${t}`);
  }
  const at500 = posterior(betas[500], alphaBar(499));
  near(s.posteriorVariance[500], at500.variance, "betaTilde_500");
  const at1 = posterior(1 - f(2) / f(1), alphaBar(0));
  near(s.posteriorMeanCoefficient1[1], at1.c1, "c1_1");
  near(s.posteriorMeanCoefficient2[1], at1.c2, "c2_1");
  // The capped last step: alpha_999 = 0.001.
  near(
    s.posteriorMeanCoefficient2[999],
    posterior(0.999, alphaBar(998)).c2,
    "c2_999",
  );
});

Deno.test("scheduleFromBetas() gives a posterior mean that returns the noiseless x_{t-1}", () => {
  // With x_{t-1} = sqrt(alphaBar_{t-1}) x_0 and x_t = sqrt(alpha_t) x_{t-1}
  // (no noise), c1 x_0 + c2 x_t must be exactly x_{t-1}.
  const s = noiseSchedule("cosine", 50);
  for (const t of [1, 10, 30, 49]) {
    const x0 = 0.7;
    const previous = Math.sqrt(s.alphasCumprodPrevious[t]) * x0;
    const xt = Math.sqrt(s.alphas[t]) * previous;
    const mean = s.posteriorMeanCoefficient1[t] * x0 +
      s.posteriorMeanCoefficient2[t] * xt;
    near(mean, previous, `mean at t=${t}`, 1e-12);
  }
});

Deno.test("noiseSchedule() refuses unknown names and too few steps", () => {
  assert.throws(
    () => noiseSchedule("quadratic", 1000),
    /unknown beta schedule "quadratic"/,
  );
  assert.throws(
    () => noiseSchedule("linear", 1),
    /timesteps must be a whole number >= 2/,
  );
  assert.throws(
    () => scheduleFromBetas(Float64Array.of(0.1, 1)),
    /beta at step 1 is 1/,
  );
});
