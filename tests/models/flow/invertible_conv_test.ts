import assert from "node:assert/strict";
import { tf } from "../../../backends/tf.ts";
import { initEngine } from "../../../backends/engine.ts";
import { mulberry32 } from "../../../data/random.ts";
import { SingularConvolutionError } from "../../../models/flow/channel_matrix.ts";
import {
  InvertibleConv,
  logAbsDet,
} from "../../../models/flow/invertible_conv.ts";
import { LuInvertibleConv } from "../../../models/flow/lu_invertible_conv.ts";
import { perturbVariables } from "./_helpers.ts";

await initEngine({ threads: 2 });

const label = "level 1 step 3";

Deno.test("logAbsDet() is log |det W| with gradient W^-T (checked by central differences)", () => {
  const w = [[1.5, -0.3, 0.2], [0.4, 0.9, -1.1], [-0.7, 0.5, 2.0]];
  const value = (matrix: number[][]) =>
    tf.tidy(() => logAbsDet(tf.tensor2d(matrix)).dataSync()[0]);
  // det by cofactors: 1.5 (1.8 + 0.55) + 0.3 (0.8 - 0.77) + 0.2 (0.2 + 0.63)
  const det = 1.5 * (0.9 * 2 - (-1.1) * 0.5) -
    (-0.3) * (0.4 * 2 - (-1.1) * (-0.7)) +
    0.2 * (0.4 * 0.5 - 0.9 * (-0.7));
  assert.ok(Math.abs(value(w) - Math.log(Math.abs(det))) < 1e-6);
  const gradient = tf.tidy(() =>
    tf.grad((m: tf.Tensor) => logAbsDet(m as tf.Tensor2D))(tf.tensor2d(w))
      .arraySync() as number[][]
  );
  const h = 1e-3;
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      const plus = w.map((row) => [...row]), minus = w.map((row) => [...row]);
      plus[i][j] += h;
      minus[i][j] -= h;
      const numeric = (value(plus) - value(minus)) / (2 * h);
      assert.ok(
        Math.abs(gradient[i][j] - numeric) < 2e-3,
        `(${i}, ${j}): ${gradient[i][j]} vs ${numeric}`,
      );
    }
  }
});

Deno.test("InvertibleConv starts as a rotation: log-determinant 0", () => {
  const conv = new InvertibleConv({
    channels: 8,
    random: mulberry32(1),
    label,
  });
  const logDet = tf.tidy(() =>
    conv.forward(tf.ones([2, 3, 3, 8])).logDet.arraySync()
  );
  for (const value of logDet) assert.ok(Math.abs(value) < 1e-5, `${value}`);
  conv.dispose();
});

Deno.test("LuInvertibleConv's cheap log-determinant equals the plain one for the same W", () => {
  const lu = new LuInvertibleConv({
    channels: 6,
    random: mulberry32(2),
    label,
  });
  perturbVariables(Object.values(lu.variables), mulberry32(3), 0.5);

  const plain = new InvertibleConv({
    channels: 6,
    random: mulberry32(0),
    label,
  });
  tf.tidy(() => plain.variables.kernel.assign(lu.weight()));
  const [luResult, plainResult] = tf.tidy(() => {
    const x = tf.randomNormal([2, 3, 5, 6], 0, 1, "float32", 4) as tf.Tensor4D;
    const a = lu.forward(x), b = plain.forward(x);
    return [
      [a.logDet.dataSync()[0], ...a.z.dataSync()],
      [b.logDet.dataSync()[0], ...b.z.dataSync()],
    ];
  });
  assert.ok(Math.abs(luResult[0]) > 1, "the perturbed W is no rotation");
  assert.ok(
    Math.abs(luResult[0] - plainResult[0]) < 1e-3,
    `${luResult[0]} vs ${plainResult[0]}`,
  );
  for (let i = 1; i < luResult.length; i++) {
    assert.ok(Math.abs(luResult[i] - plainResult[i]) < 1e-5);
  }
  lu.dispose();
  plain.dispose();
});

Deno.test("InvertibleConv.inverse() names the layer when W has become singular", () => {
  const conv = new InvertibleConv({
    channels: 3,
    random: mulberry32(1),
    label,
  });
  tf.tidy(() =>
    conv.variables.kernel.assign(tf.tensor2d([[1, 2, 3], [2, 4, 6], [0, 1, 1]]))
  );
  const message =
    "flow: level 1 step 3 1x1 convolution is singular (log|det| = -inf); the checkpoint cannot be inverted";
  assert.throws(
    () => tf.tidy(() => conv.inverse(tf.ones([1, 1, 1, 3]))),
    (error: Error) =>
      error instanceof SingularConvolutionError && error.message === message,
  );
  assert.throws(() => conv.assertInvertible(), SingularConvolutionError);
  // The forward pass still runs: its log-determinant is -Infinity, which the
  // trainer's NaN/Inf guard stops on.
  const logDet = tf.tidy(() =>
    conv.forward(tf.ones([1, 1, 1, 3])).logDet.dataSync()[0]
  );
  assert.equal(logDet, -Infinity);
  conv.dispose();
});

Deno.test("LuInvertibleConv names the layer when a diagonal entry underflows to zero", () => {
  const conv = new LuInvertibleConv({
    channels: 4,
    random: mulberry32(1),
    label: "step 2",
  });
  conv.assertInvertible();
  tf.tidy(() =>
    conv.variables.logScale.assign(tf.tensor1d([0, -Infinity, 0, 0]))
  );
  assert.throws(
    () => tf.tidy(() => conv.inverse(tf.ones([1, 1, 1, 4]))),
    /^SingularConvolutionError: flow: step 2 1x1 convolution is singular \(log\|det\| = -inf\)/,
  );
  assert.throws(() => conv.assertInvertible(), /step 2 1x1 convolution/);
  conv.dispose();
});
