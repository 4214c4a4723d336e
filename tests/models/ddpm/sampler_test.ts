import assert from "node:assert/strict";
import { tf } from "../../../backends/tf.ts";
import { initEngine } from "../../../backends/engine.ts";
import {
  AncestralSampler,
  chainSteps,
  createSampler,
  DdimSampler,
  denoise,
  samplingTimesteps,
} from "../../../models/ddpm/sampler.ts";
import { noiseSchedule } from "../../../models/ddpm/schedule.ts";
import { assertClose, Rng } from "../../_helpers.ts";

await initEngine({ threads: 2 });

const schedule = noiseSchedule("linear", 1000);
const SHAPE: [number, number, number, number] = [2, 3, 3, 1];
const rng = new Rng(17);
const X = rng.uniform(18, -1.5, 1.5);
const EPS = rng.uniform(18, -1, 1);
const Z = rng.uniform(18, -2, 2);

/** Runs one sampler step on X, EPS (and Z) and reads the result back. */
function stepValues(
  sampler: AncestralSampler | DdimSampler,
  t: number,
  withNoise: boolean,
): { previous: Float32Array; original: Float32Array } {
  return tf.tidy(() => {
    const { previousSample, predictedOriginal } = sampler.step(
      tf.tensor4d(EPS, SHAPE),
      t,
      tf.tensor4d(X, SHAPE),
      withNoise ? tf.tensor4d(Z, SHAPE) : undefined,
    );
    return {
      previous: previousSample.dataSync() as Float32Array,
      original: predictedOriginal.dataSync() as Float32Array,
    };
  });
}

/** A stub network: eps = 0.3 x + 0.01 t (only needs to be a fixed function). */
const stub = (x: tf.Tensor4D, t: number) =>
  tf.add(tf.mul(x, 0.3), 0.01 * t / 1000) as tf.Tensor4D;

Deno.test("samplingTimesteps() spaces the grid evenly, descending, ending at 0", () => {
  assert.deepEqual(samplingTimesteps(1000, 4), [750, 500, 250, 0]);
  assert.deepEqual(samplingTimesteps(10, 3), [6, 3, 0]);
  assert.deepEqual(samplingTimesteps(5, 5), [4, 3, 2, 1, 0]);
  assert.throws(() => samplingTimesteps(1000, 1001), /in 1..1000/);
  assert.throws(() => samplingTimesteps(1000, 0), /in 1..1000/);
});

Deno.test("AncestralSampler.step() is 1/sqrt(alpha_t) (x_t - beta_t/sqrt(1 - alphaBar_t) eps) + sigma_t z", () => {
  for (const variance of ["posterior", "beta"] as const) {
    const sampler = new AncestralSampler(schedule, {
      variance,
      clipSample: false,
    });
    sampler.setTimesteps(1000);
    for (const t of [500, 1, 999]) {
      const alpha = schedule.alphas[t], beta = schedule.betas[t];
      const alphaBar = schedule.alphasCumprod[t];
      const sigma = Math.sqrt(
        variance === "beta" ? beta : schedule.posteriorVariance[t],
      );
      assert.ok(sampler.needsNoise(t));
      const { previous, original } = stepValues(sampler, t, true);
      const expected = X.map((x, i) =>
        (x - beta / Math.sqrt(1 - alphaBar) * EPS[i]) / Math.sqrt(alpha) +
        sigma * Z[i]
      );
      assertClose(previous, expected, 1e-5, `${variance} step at t=${t}`);
      assertClose(
        original,
        X.map((x, i) =>
          (x - Math.sqrt(1 - alphaBar) * EPS[i]) / Math.sqrt(alphaBar)
        ),
        1e-5,
        `predicted x_0 at t=${t}`,
      );
    }
    // The last step adds no noise and lands on the predicted x_0.
    assert.equal(sampler.needsNoise(0), false);
    const last = stepValues(sampler, 0, false);
    assertClose(last.previous, last.original, 1e-6, "last step");
  }
});

Deno.test("AncestralSampler.step() on the full grid is the posterior mean c1 x_0 + c2 x_t plus noise", () => {
  const sampler = new AncestralSampler(schedule);
  sampler.setTimesteps(1000);
  const t = 250;
  const { previous, original } = stepValues(sampler, t, true);
  const expected = X.map((x, i) =>
    schedule.posteriorMeanCoefficient1[t] * original[i] +
    schedule.posteriorMeanCoefficient2[t] * x +
    Math.sqrt(schedule.posteriorVariance[t]) * Z[i]
  );
  assertClose(previous, expected, 1e-5, "posterior form");
});

Deno.test("DdimSampler.step() matches Song et al.'s eq. 12 for eta 0 and 0.5", () => {
  for (const eta of [0, 0.5]) {
    const sampler = new DdimSampler(schedule, { eta, clipSample: false });
    sampler.setTimesteps(10); // 900, 800, ..., 0
    const t = 600, previousT = 500;
    const a = schedule.alphasCumprod[t],
      aPrevious = schedule.alphasCumprod[previousT];
    const sigma = eta * Math.sqrt((1 - aPrevious) / (1 - a)) *
      Math.sqrt(1 - a / aPrevious);
    assert.equal(sampler.needsNoise(t), eta > 0);
    const { previous } = stepValues(sampler, t, eta > 0);
    const expected = X.map((x, i) => {
      const x0 = (x - Math.sqrt(1 - a) * EPS[i]) / Math.sqrt(a);
      return Math.sqrt(aPrevious) * x0 +
        Math.sqrt(1 - aPrevious - sigma * sigma) * EPS[i] + sigma * Z[i];
    });
    assertClose(previous, expected, 1e-5, `DDIM eta ${eta}`);
  }
});

Deno.test("DdimSampler with eta 1 takes the same step as ancestral sampling with betaTilde", () => {
  for (const clipSample of [false, true]) {
    const ddim = new DdimSampler(schedule, { eta: 1, clipSample });
    const ancestral = new AncestralSampler(schedule, { clipSample });
    ddim.setTimesteps(20);
    ancestral.setTimesteps(20);
    for (const t of [950, 500, 50]) {
      assertClose(
        stepValues(ddim, t, true).previous,
        stepValues(ancestral, t, true).previous,
        1e-5,
        `t=${t}, clipSample ${clipSample}`,
      );
    }
  }
});

Deno.test("samplers clip the predicted x_0 to [-1, 1] by default and step from the clipped x_0", () => {
  const t = 600, previousT = 500;
  const a = schedule.alphasCumprod[t];
  const aPrevious = schedule.alphasCumprod[previousT];
  const x0 = X.map((x, i) => (x - Math.sqrt(1 - a) * EPS[i]) / Math.sqrt(a));
  const clipped = x0.map((v) => Math.min(1, Math.max(-1, v)));
  // The inputs reach both sides of the range, and some stay inside.
  assert.ok(x0.some((v) => v > 1) && x0.some((v) => v < -1));
  assert.ok(x0.some((v) => Math.abs(v) < 1));

  const ddim = new DdimSampler(schedule);
  ddim.setTimesteps(10); // 900, 800, ..., 0
  const ddimStep = stepValues(ddim, t, false);
  assertClose(ddimStep.original, clipped, 1e-5, "DDIM's x_0");
  assertClose(
    ddimStep.previous,
    X.map((x, i) => {
      const noise = (x - Math.sqrt(a) * clipped[i]) / Math.sqrt(1 - a);
      return Math.sqrt(aPrevious) * clipped[i] +
        Math.sqrt(1 - aPrevious) * noise;
    }),
    1e-5,
    "DDIM step from the clipped x_0",
  );

  const ancestral = new AncestralSampler(schedule);
  ancestral.setTimesteps(1000);
  const ancestralStep = stepValues(ancestral, t, true);
  assertClose(ancestralStep.original, clipped, 1e-5, "ancestral x_0");
  assertClose(
    ancestralStep.previous,
    X.map((x, i) =>
      schedule.posteriorMeanCoefficient1[t] * clipped[i] +
      schedule.posteriorMeanCoefficient2[t] * x +
      Math.sqrt(schedule.posteriorVariance[t]) * Z[i]
    ),
    1e-5,
    "ancestral step from the clipped x_0",
  );
  // Where no x_0 leaves the range, clipping changes nothing.
  const inside = new AncestralSampler(schedule, { clipSample: false });
  inside.setTimesteps(1000);
  const scaled = (values: Float32Array) => values.map((v) => v * 0.01);
  const small = (sampler: AncestralSampler) =>
    tf.tidy(() =>
      sampler.step(
        tf.tensor4d(scaled(EPS), SHAPE),
        10,
        tf.tensor4d(scaled(X), SHAPE),
        tf.tensor4d(Z, SHAPE),
      ).previousSample.dataSync() as Float32Array
    );
  assertClose(small(ancestral), small(inside), 1e-6, "nothing clipped");
});

Deno.test("denoise() with DDIM eta 0 is deterministic: other seeds give the same images", () => {
  const start = tf.tensor4d(rng.uniform(18, -2, 2), SHAPE);
  const run = (eta: number, seed: number) => {
    const sampler = createSampler("ddim", schedule, { steps: 8, eta });
    const { sample } = denoise(sampler, stub, SHAPE, { seed, initial: start });
    const values = sample.dataSync() as Float32Array;
    sample.dispose();
    return values;
  };
  const before = tf.memory().numTensors;
  assert.deepEqual(run(0, 1), run(0, 2));
  // With eta > 0 the seed matters, so the check above can fail.
  assert.notDeepEqual(run(0.5, 1), run(0.5, 2));
  assert.equal(tf.memory().numTensors, before, "denoise() leaks no tensors");
  start.dispose();
});

Deno.test("denoise() takes the sampler's steps in order and records the chain", () => {
  const sampler = createSampler("ddpm", schedule, { steps: 5 });
  const seen: number[] = [];
  const predict = (x: tf.Tensor4D, t: number) => {
    seen.push(t);
    return stub(x, t);
  };
  const reported: string[] = [];
  tf.tidy(() => {
    const { sample, recorded } = denoise(sampler, predict, SHAPE, {
      seed: 3,
      record: [0, 2, 5],
      progress: (done, total) => reported.push(`${done}/${total}`),
    });
    assert.deepEqual(seen, [800, 600, 400, 200, 0]);
    // Progress reaches the caller after each step, as a callback.
    assert.deepEqual(reported, ["1/5", "2/5", "3/5", "4/5", "5/5"]);
    assert.deepEqual([...recorded.keys()], [0, 2, 5]);
    assert.equal(recorded.get(5), sample);
    // The same seed draws the same starting noise.
    const again = denoise(sampler, stub, SHAPE, { seed: 3, record: [0] });
    assert.deepEqual(
      [...again.recorded.get(0)!.dataSync()],
      [...recorded.get(0)!.dataSync()],
    );
    assert.deepEqual([...again.sample.dataSync()], [...sample.dataSync()]);
  });
});

Deno.test("samplers refuse steps off their grid, missing noise, and use before setTimesteps", () => {
  const sampler = new DdimSampler(schedule, { eta: 1 });
  tf.tidy(() => {
    const x = tf.zeros(SHAPE) as tf.Tensor4D;
    assert.throws(() => sampler.step(x, 0, x), /call setTimesteps/);
    sampler.setTimesteps(10);
    assert.throws(
      () => sampler.step(x, 901, x),
      /901 is not on the sampler's grid/,
    );
    assert.throws(() => sampler.step(x, 900, x), /pass `noise`/);
  });
  assert.throws(
    () => createSampler("ddpm", schedule, { eta: 0.5 }),
    /eta applies to the ddim sampler/,
  );
  assert.throws(
    () => createSampler("plms", schedule),
    /unknown sampler "plms"/,
  );
  assert.throws(() => new DdimSampler(schedule, { eta: 2 }), /eta must be/);
  assert.equal(createSampler("ddpm", schedule).timesteps.length, 1000);
  assert.equal(createSampler("ddim", schedule).timesteps.length, 50);
});

Deno.test("chainSteps() spreads the columns evenly from the noise to the result", () => {
  assert.deepEqual(chainSteps(50, 6), [0, 10, 20, 30, 40, 50]);
  assert.deepEqual(chainSteps(7, 8), [0, 1, 2, 3, 4, 5, 6, 7]);
  assert.deepEqual(chainSteps(10, 3), [0, 5, 10]);
  assert.throws(() => chainSteps(10, 1), /at least 2 columns/);
});

// Data x_0 ~ N(mu, s^2) (not confined to [-1, 1], so unclipped samplers):
// x_t ~ N(sqrt(a) mu, v_t) with v_t = a s^2 + 1 - a,
// so the optimal predictor is E[eps | x_t] = sqrt(1 - a) (x_t - sqrt(a) mu) / v_t.
const MU = 0.3, S = 0.5, COUNT = 4000;
const SMALL_SCHEDULE = noiseSchedule("linear", 100);
const variance = (a: number) => a * S * S + 1 - a;
const oracle = (x: tf.Tensor4D, t: number) => {
  const a = SMALL_SCHEDULE.alphasCumprod[t];
  return tf.mul(
    tf.sub(x, Math.sqrt(a) * MU),
    Math.sqrt(1 - a) / variance(a),
  ) as tf.Tensor4D;
};

/** Mean and standard deviation of COUNT samples drawn with the oracle. */
function drawMoments(
  sampler: ReturnType<typeof createSampler>,
): [number, number] {
  const values = tf.tidy(() => [
    ...denoise(sampler, oracle, [COUNT, 1, 1, 1], { seed: 9 }).sample
      .dataSync(),
  ]);
  const mean = values.reduce((sum, v) => sum + v, 0) / COUNT;
  const deviation = Math.sqrt(
    values.reduce((sum, v) => sum + (v - mean) ** 2, 0) / COUNT,
  );
  return [mean, deviation];
}

/**
 * Mean and deviation of the samples the chain should give: with the oracle
 * every step is affine in x_t plus independent noise,
 * x' = c_x x_t + c_eps E[eps | x_t] + sigma z, so the moments propagate in
 * closed form from x_T ~ N(0, 1).
 */
function predictedMoments(
  grid: readonly number[],
  coefficients: (a: number, previous: number) => [number, number, number],
): [number, number] {
  const ab = SMALL_SCHEDULE.alphasCumprod;
  let mean = 0, spread = 1;
  grid.forEach((t, k) => {
    const a = ab[t], previous = k + 1 < grid.length ? ab[grid[k + 1]] : 1;
    const [cx, ce, sigma] = coefficients(a, previous);
    const slope = Math.sqrt(1 - a) / variance(a); // E[eps | x] = slope (x - sqrt(a) mu)
    mean = cx * mean + ce * slope * (mean - Math.sqrt(a) * MU);
    spread = Math.sqrt((cx + ce * slope) ** 2 * spread ** 2 + sigma ** 2);
  });
  return [mean, spread];
}

const ddimCoefficients = (eta: number) => (a: number, previous: number) => {
  const sigma = eta * Math.sqrt((1 - previous) / (1 - a)) *
    Math.sqrt(1 - a / previous);
  return [
    Math.sqrt(previous / a),
    Math.sqrt(1 - previous - sigma ** 2) -
    Math.sqrt(previous) * Math.sqrt(1 - a) / Math.sqrt(a),
    sigma,
  ] as [number, number, number];
};
const ancestralCoefficients =
  (kind: "posterior" | "beta") => (a: number, previous: number) => {
    const alpha = a / previous, beta = 1 - alpha;
    const variance = previous === 1
      ? 0
      : kind === "beta"
      ? beta
      : beta * (1 - previous) / (1 - a);
    return [
      1 / Math.sqrt(alpha),
      -beta / Math.sqrt(1 - a) / Math.sqrt(alpha),
      Math.sqrt(variance),
    ] as [number, number, number];
  };

Deno.test("denoise() with the exact noise prediction for Gaussian data gives the predicted moments", () => {
  const cases = [
    [
      "ddpm posterior",
      createSampler("ddpm", SMALL_SCHEDULE, { clipSample: false }),
      ancestralCoefficients("posterior"),
    ],
    [
      "ddpm beta",
      createSampler("ddpm", SMALL_SCHEDULE, {
        variance: "beta",
        clipSample: false,
      }),
      ancestralCoefficients("beta"),
    ],
    [
      "ddim eta 0",
      createSampler("ddim", SMALL_SCHEDULE, { steps: 25, clipSample: false }),
      ddimCoefficients(0),
    ],
    [
      "ddim eta 1",
      createSampler("ddim", SMALL_SCHEDULE, {
        steps: 50,
        eta: 1,
        clipSample: false,
      }),
      ddimCoefficients(1),
    ],
  ] as const;
  const spreads: number[] = [];
  for (const [name, sampler, coefficients] of cases) {
    const [expectedMean, expectedSpread] = predictedMoments(
      sampler.timesteps,
      coefficients,
    );
    const [mean, deviation] = drawMoments(sampler);
    const label =
      `${name}: mean ${mean} vs ${expectedMean}, sd ${deviation} vs ${expectedSpread}`;
    // Four standard errors of the sample mean and deviation.
    assert.ok(
      Math.abs(mean - expectedMean) < 4 * expectedSpread / Math.sqrt(COUNT),
      label,
    );
    assert.ok(
      Math.abs(deviation - expectedSpread) <
        4 * expectedSpread / Math.sqrt(2 * COUNT),
      label,
    );
    // Every sampler lands near the data's N(0.3, 0.5^2); coarse grids under-disperse.
    assert.ok(
      Math.abs(expectedMean - MU) < 0.01 && Math.abs(expectedSpread - S) < 0.1,
      label,
    );
    spreads.push(expectedSpread);
  }
  // Ancestral with beta adds more noise than with betaTilde.
  assert.ok(spreads[1] > spreads[0]);
});
