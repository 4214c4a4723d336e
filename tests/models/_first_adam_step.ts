/**
 * What one Adam step on a training phase must do, exactly: bias-corrected
 * Adam's first update is -lr g / (|g| + epsilon) for every weight (m-hat = g
 * and v-hat = g^2 at step 1), and for a small rate the loss then falls by
 * the first-order amount, the sum of g * (weight change), i.e. about
 * lr * sum |g|. That ties the phase's loss to the gradient Adam received
 * (a stopped or misrouted gradient would not predict the fall) and shows
 * every variable of the group gets a gradient.
 */
import assert from "node:assert/strict";
import { tf } from "../../backends/tf.ts";
import type {
  StepContext,
  TrainingBatch,
  TrainingPhase,
} from "../../models/contract.ts";

/** Adam's epsilon in tfjs's default and in the trainer. */
const EPSILON = 1e-8;

/**
 * Takes one `tf.train.adam(rate)` step on `phase` over the group `group`
 * (variables by name) and checks the update and the loss's fall as above.
 *
 * @param tolerance Allowed gap between the loss's fall and its first-order
 * prediction, as a fraction of the prediction (the second-order term).
 * @returns The loss before and after the step.
 */
export function assertFirstAdamStep(
  phase: TrainingPhase,
  batch: TrainingBatch,
  context: StepContext,
  group: Map<string, tf.Variable>,
  { rate = 2e-5, tolerance = 0.05 } = {},
): { before: number; after: number } {
  const names = [...group.keys()], variables = [...group.values()];
  const lossNow = () => tf.tidy(() => phase.loss(batch, context).dataSync()[0]);
  const gradients = tf.tidy(() => {
    const { grads } = tf.variableGrads(
      () => phase.loss(batch, context),
      variables,
    );
    return variables.map((v) => grads[v.name]?.dataSync() ?? null);
  });
  const weights = variables.map((v) => Float64Array.from(v.dataSync()));
  const before = lossNow();
  const optimizer = tf.train.adam(rate, 0.9, 0.999, EPSILON);
  tf.tidy(() => {
    optimizer.minimize(() => phase.loss(batch, context), false, variables);
  });
  optimizer.dispose();
  const after = lossNow();
  let predicted = 0;
  variables.forEach((variable, k) => {
    const g = gradients[k];
    assert.ok(
      g !== null && g.some((value) => value !== 0),
      `${names[k]} gets a gradient`,
    );
    const now = variable.dataSync();
    for (let i = 0; i < g.length; i++) {
      const step = -rate * g[i] / (Math.abs(g[i]) + EPSILON);
      const moved = now[i] - weights[k][i];
      // float32 weights: each rounding costs up to an ulp of the weight.
      const slack = 1e-3 * rate + 2.5e-7 * Math.abs(weights[k][i]);
      assert.ok(
        Math.abs(moved - step) <= slack,
        `${names[k]}[${i}] moved ${moved}, Adam's first step ${step}`,
      );
      predicted += g[i] * step;
    }
  });
  assert.ok(
    Math.abs((after - before) - predicted) <= tolerance * Math.abs(predicted),
    `loss ${before} -> ${after}: fell ${before - after}, ` +
      `first-order prediction ${-predicted}`,
  );
  return { before, after };
}
