import assert from "node:assert/strict";
import { tf } from "../../../backends/tf.ts";
import { initEngine } from "../../../backends/engine.ts";
import { guidedEpsilon } from "../../../models/ddpm/guidance.ts";
import { assertClose, Rng } from "../../_helpers.ts";

await initEngine({ threads: 2 });

const SHAPE: [number, number, number, number] = [3, 2, 2, 1];
const X = new Rng(4).uniform(12);
const LABELS = [2, 7, 0];
const NULL_LABEL = 10;

/** Stub network: eps = x * (1 + label / 10), so each label gives its own prediction. */
function stubPredictions() {
  const batches: number[][] = [];
  const predict = (x: tf.Tensor4D, _t: number, labels: tf.Tensor1D) => {
    batches.push([...labels.dataSync()]);
    const factor = tf.add(1, tf.div(tf.cast(labels, "float32"), 10));
    return tf.mul(x, tf.reshape(factor, [-1, 1, 1, 1])) as tf.Tensor4D;
  };
  return { predict, batches };
}

/** The stub's prediction for every image with `label(i)`. */
function expectedFor(label: (image: number) => number): number[] {
  return [...X].map((x, i) => x * (1 + label(Math.floor(i / 4)) / 10));
}

function guided(scale: number) {
  const { predict, batches } = stubPredictions();
  const values = tf.tidy(() =>
    guidedEpsilon(
      predict,
      tf.tensor4d(X, SHAPE),
      500,
      tf.tensor1d(LABELS, "int32"),
      NULL_LABEL,
      scale,
    ).dataSync() as Float32Array
  );
  return { values, batches };
}

Deno.test("guidedEpsilon() with scale 0 is the unconditional prediction, from one pass", () => {
  const { values, batches } = guided(0);
  assertClose(values, expectedFor(() => NULL_LABEL), 1e-6, "w = 0");
  assert.deepEqual(batches, [[NULL_LABEL, NULL_LABEL, NULL_LABEL]]);
});

Deno.test("guidedEpsilon() with scale 1 is the conditional prediction, from one pass", () => {
  const { values, batches } = guided(1);
  assertClose(values, expectedFor((i) => LABELS[i]), 1e-6, "w = 1");
  assert.deepEqual(batches, [LABELS]);
});

Deno.test("guidedEpsilon() is eps_u + w (eps_c - eps_u) from one batched forward pass", () => {
  const { values, batches } = guided(3);
  const conditional = expectedFor((i) => LABELS[i]);
  const unconditional = expectedFor(() => NULL_LABEL);
  assertClose(
    values,
    unconditional.map((u, i) => u + 3 * (conditional[i] - u)),
    1e-6,
    "w = 3",
  );
  // One call of the network on the batch twice: labels, then "no label".
  assert.deepEqual(batches, [[...LABELS, NULL_LABEL, NULL_LABEL, NULL_LABEL]]);
  assert.throws(() => guided(-1), /guidance scale must be a number >= 0/);
});
