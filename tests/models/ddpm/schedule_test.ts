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

Deno.test("linearBetas() runs from 1e-4 to 0.02 in even steps for T = 1000", () => {
  const betas = linearBetas(1000);
  assert.equal(betas.length, 1000);
  near(betas[0], 1e-4, "beta_0");
  // 1e-4 + (0.02 - 1e-4) / 999
  near(betas[1], 1.1991991991991992e-4, "beta_1");
  near(betas[500], 1e-4 + 0.0199 * 500 / 999, "beta_500");
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
  const alphaBar1 = 0.9999 * (1 - 1.1991991991991992e-4);
  near(s.alphasCumprod[1], alphaBar1, "alphaBar_1");
  near(s.alphas[1], 1 - 1.1991991991991992e-4, "alpha_1");
  // betaTilde_1 = beta_1 (1 - alphaBar_0) / (1 - alphaBar_1)
  near(s.posteriorVariance[1], 5.4531876613021935e-05, "betaTilde_1");
  near(s.posteriorMeanCoefficient1[1], 0.5452914995102903, "c1_1");
  near(s.posteriorMeanCoefficient2[1], 0.4547084989905303, "c2_1");
  near(s.sqrtAlphasCumprod[1], Math.sqrt(alphaBar1), "sqrt alphaBar_1");
  near(
    s.sqrtOneMinusAlphasCumprod[1],
    Math.sqrt(1 - alphaBar1),
    "sqrt(1 - alphaBar_1)",
  );
  // Middle and end (float64 products of the betas, computed in Python).
  near(s.alphasCumprod[500], 0.07779665836502386, "alphaBar_500", 1e-7);
  near(s.posteriorVariance[500], 0.010051335778909593, "betaTilde_500", 1e-7);
  near(s.posteriorMeanCoefficient1[500], 0.003058057075629619, "c1_500", 1e-6);
  near(s.posteriorMeanCoefficient2[500], 0.9941043507567255, "c2_500", 1e-7);
  // x_T is almost pure noise: sqrt(alphaBar_999) = 0.00635.
  near(s.alphasCumprod[999], 4.0358297653756754e-05, "alphaBar_999", 1e-6);
  near(s.posteriorVariance[999], 0.01999998352656061, "betaTilde_999", 1e-7);
});

Deno.test("cosineBetas() follows alphaBar = f(t) / f(0) and caps betas at 0.999", () => {
  const f = (t: number) =>
    Math.cos((t / 1000 + 0.008) / 1.008 * Math.PI / 2) ** 2;
  const betas = cosineBetas(1000);
  near(betas[0], 4.128422482196914e-05, "beta_0", 1e-7);
  near(betas[1], 4.614175273665033e-05, "beta_1", 1e-7);
  near(betas[500], 0.003155691441585007, "beta_500", 1e-7);
  near(betas[999], 0.999, "beta_999 (capped)");
  const s = scheduleFromBetas(betas);
  // Uncapped steps: the product telescopes to f(t + 1) / f(0).
  for (const t of [0, 1, 250, 500, 900, 998]) {
    near(s.alphasCumprod[t], f(t + 1) / f(0), `alphaBar_${t}`, 1e-9);
  }
  near(s.alphasCumprod[500], 0.49228517244880304, "alphaBar_500", 1e-9);
  near(s.posteriorVariance[500], 0.0031460051254634824, "betaTilde_500", 1e-7);
  near(s.posteriorMeanCoefficient1[1], 0.5277814093344871, "c1_1", 1e-7);
  near(s.posteriorMeanCoefficient2[1], 0.47221859042675934, "c2_1", 1e-7);
  near(s.posteriorMeanCoefficient2[999], 0.03162269987413465, "c2_999", 1e-7);
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
