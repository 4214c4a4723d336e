import assert from "node:assert/strict";
import { tf } from "../../../backends/tf.ts";
import { initEngine } from "../../../backends/engine.ts";
import {
  coefficientAt,
  epsilonFromPrediction,
  originalFromEpsilon,
  qSample,
  trainingTarget,
} from "../../../models/ddpm/process.ts";
import { noiseSchedule } from "../../../models/ddpm/schedule.ts";
import { assertClose, Rng } from "../../_helpers.ts";

await initEngine({ threads: 2 });

const schedule = noiseSchedule("linear", 1000);
const SHAPE: [number, number, number, number] = [3, 4, 5, 2];
const PER_IMAGE = 4 * 5 * 2;
const TIMESTEPS = [0, 417, 999];

function inputs(seed: number) {
  const rng = new Rng(seed);
  return {
    x0: rng.uniform(3 * PER_IMAGE, -1, 1),
    noise: rng.uniform(3 * PER_IMAGE, -2, 2),
  };
}

Deno.test("qSample() is sqrt(alphaBar_t) x_0 + sqrt(1 - alphaBar_t) eps per image", () => {
  const { x0, noise } = inputs(1);
  const actual = tf.tidy(() =>
    qSample(
      schedule,
      tf.tensor4d(x0, SHAPE),
      tf.tensor1d(TIMESTEPS, "int32"),
      tf.tensor4d(noise, SHAPE),
    ).dataSync() as Float32Array
  );
  const expected = x0.map((value, i) => {
    const t = TIMESTEPS[Math.floor(i / PER_IMAGE)];
    const alphaBar = schedule.alphasCumprod[t];
    return Math.sqrt(alphaBar) * value + Math.sqrt(1 - alphaBar) * noise[i];
  });
  assertClose(actual, expected, 1e-6, "qSample");
  // One number for the whole batch works the same way.
  const single = tf.tidy(() =>
    qSample(schedule, tf.tensor4d(x0, SHAPE), 417, tf.tensor4d(noise, SHAPE))
      .dataSync() as Float32Array
  );
  const alphaBar = schedule.alphasCumprod[417];
  assertClose(
    single,
    x0.map((v, i) =>
      Math.sqrt(alphaBar) * v + Math.sqrt(1 - alphaBar) * noise[i]
    ),
    1e-6,
    "qSample at one t",
  );
});

Deno.test("trainingTarget() gives eps, x_0 and v = sqrt(alphaBar) eps - sqrt(1 - alphaBar) x_0", () => {
  const { x0, noise } = inputs(2);
  tf.tidy(() => {
    const t = tf.tensor1d(TIMESTEPS, "int32");
    const x0Tensor = tf.tensor4d(x0, SHAPE),
      noiseTensor = tf.tensor4d(noise, SHAPE);
    assertClose(
      trainingTarget("epsilon", schedule, x0Tensor, noiseTensor, t).dataSync(),
      noise,
      0,
      "epsilon target",
    );
    assertClose(
      trainingTarget("x0", schedule, x0Tensor, noiseTensor, t).dataSync(),
      x0,
      0,
      "x0 target",
    );
    const expected = x0.map((value, i) => {
      const alphaBar =
        schedule.alphasCumprod[TIMESTEPS[Math.floor(i / PER_IMAGE)]];
      return Math.sqrt(alphaBar) * noise[i] - Math.sqrt(1 - alphaBar) * value;
    });
    assertClose(
      trainingTarget("v", schedule, x0Tensor, noiseTensor, t).dataSync(),
      expected,
      1e-6,
      "v target",
    );
  });
});

Deno.test("epsilonFromPrediction() turns each target back into the noise", () => {
  const { x0, noise } = inputs(3);
  // Mid-range timesteps: at t = 0 the x_0 form divides by sqrt(1e-4) and
  // float32 rounding is amplified 100x, so it gets a looser bound below.
  for (
    const [timesteps, rtol] of [[[100, 500, 900], 1e-5], [
      [0, 1, 2],
      2e-3,
    ]] as const
  ) {
    tf.tidy(() => {
      const t = tf.tensor1d([...timesteps], "int32");
      const x0Tensor = tf.tensor4d(x0, SHAPE),
        noiseTensor = tf.tensor4d(noise, SHAPE);
      const xt = qSample(schedule, x0Tensor, t, noiseTensor);
      for (const target of ["epsilon", "x0", "v"] as const) {
        const output = trainingTarget(
          target,
          schedule,
          x0Tensor,
          noiseTensor,
          t,
        );
        assertClose(
          epsilonFromPrediction(target, schedule, output, xt, t).dataSync(),
          noise,
          rtol,
          `${target} -> epsilon at t ${timesteps}`,
        );
      }
      assertClose(
        originalFromEpsilon(schedule, noiseTensor, xt, t).dataSync(),
        x0,
        1e-4,
        `x_0 from epsilon at t ${timesteps}`,
      );
    });
  }
});

Deno.test("coefficientAt() gives a scalar for one step and (batch, 1, 1, 1) for a tensor", () => {
  const table = Float64Array.of(0.5, 0.25, 0.125);
  tf.tidy(() => {
    const one = coefficientAt(table, 2);
    assert.deepEqual(one.shape, []);
    assert.equal(one.dataSync()[0], 0.125);
    const many = coefficientAt(table, tf.tensor1d([1, 0, 2], "int32"));
    assert.deepEqual(many.shape, [3, 1, 1, 1]);
    assert.deepEqual([...many.dataSync()], [0.25, 0.5, 0.125]);
  });
  assert.throws(() => coefficientAt(table, 3), /timestep 3 is outside 0..2/);
});
