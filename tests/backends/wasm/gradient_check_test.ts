/**
 * End-to-end gradient check of a tiny conv net on wasm:
 *
 *   x [2,6,6,3] -> conv2d 3x3 s2 same (+bias) -> tanh
 *     -> conv2dTranspose 4x4 s2 same (+bias) -> sum of squares
 *
 * (307 parameters). Its gradients run through Conv2DBackpropInput,
 * Conv2DBackpropFilter and the tfjs gradient machinery. Two checks:
 * wasm gradients equal cpu gradients to 1e-4 (max-norm relative), and a
 * handful of coordinates per parameter agree with central differences.
 */
import assert from "node:assert/strict";
import { tf } from "../../../backends/tf.ts";
import { initEngine } from "../../../backends/engine.ts";
import {
  assertBackendsAgree,
  quietCpuBackend,
  Rng,
  sizeOf,
} from "../../_helpers.ts";

await initEngine({ threads: 2 });
quietCpuBackend();

const X_SHAPE: [number, number, number, number] = [2, 6, 6, 3];
const PARAM_SHAPES: Record<string, number[]> = {
  w1: [3, 3, 3, 4], // conv2d: HWIO
  b1: [4],
  w2: [4, 4, 3, 4], // conv2dTranspose: [KH, KW, out 3, in 4]
  b2: [3],
};
const NAMES = Object.keys(PARAM_SHAPES);

const rng = new Rng(1234);
const xData = rng.uniform(sizeOf(X_SHAPE));
const initial: Record<string, Float32Array> = {};
for (const name of NAMES) {
  initial[name] = rng.uniform(sizeOf(PARAM_SHAPES[name]), -0.4, 0.4);
}

/** The net's output y for parameters `p` (tensors on the current backend). */
function forward(x: tf.Tensor4D, p: Record<string, tf.Tensor>): tf.Tensor {
  const h = tf.tanh(
    tf.add(tf.conv2d(x, p.w1 as tf.Tensor4D, 2, "same"), p.b1),
  ) as tf.Tensor4D;
  return tf.add(
    tf.conv2dTranspose(h, p.w2 as tf.Tensor4D, X_SHAPE, 2, "same"),
    p.b2,
  );
}

function paramTensors(
  values: Record<string, Float32Array>,
): Record<string, tf.Tensor> {
  return Object.fromEntries(
    NAMES.map((name) => [name, tf.tensor(values[name], PARAM_SHAPES[name])]),
  );
}

/** Sum of squares of the net's output on wasm, accumulated in float64. */
function lossFloat64(values: Record<string, Float32Array>): number {
  const y = tf.tidy(() =>
    forward(tf.tensor4d(xData, X_SHAPE), paramTensors(values))
  );
  const data = y.dataSync();
  y.dispose();
  let sum = 0;
  for (const v of data) sum += v * v;
  return sum;
}

const count = NAMES.reduce((n, name) => n + sizeOf(PARAM_SHAPES[name]), 0);

Deno.test(`conv net gradients (${count} parameters) on wasm match the cpu backend`, async () => {
  await assertBackendsAgree(() => {
    const x = tf.tensor4d(xData, X_SHAPE);
    const params = NAMES.map((name) =>
      tf.tensor(initial[name], PARAM_SHAPES[name])
    );
    return tf.grads((...p: tf.Tensor[]) =>
      tf.sum(tf.square(forward(
        x,
        Object.fromEntries(NAMES.map((name, i) => [name, p[i]])),
      )))
    )(params);
  }, NAMES.map((name) => `d loss / d ${name}`));
});

Deno.test("conv net gradients on wasm agree with central differences", () => {
  // Analytic gradients from tf.variableGrads on wasm.
  const variables = Object.fromEntries(
    NAMES.map((name) => [
      name,
      tf.variable(tf.tensor(initial[name], PARAM_SHAPES[name]), true, name),
    ]),
  );
  const x = tf.tensor4d(xData, X_SHAPE);
  const { value, grads } = tf.variableGrads(() =>
    tf.sum(tf.square(forward(x, variables)))
  );
  const analytic: Record<string, Float32Array> = {};
  for (const name of NAMES) {
    analytic[name] = grads[name].dataSync() as Float32Array;
  }
  const lossAtStart = value.dataSync()[0];
  tf.dispose([value, x, ...Object.values(grads), ...Object.values(variables)]);
  assert.ok(
    Math.abs(lossAtStart - lossFloat64(initial)) <= 1e-5 * lossAtStart,
    "tf loss and float64 loss differ",
  );

  // Central differences, step 1e-2, loss summed in float64 from the
  // float32 outputs; the step actually taken is the float32 difference.
  const eps = 1e-2;
  const pick = new Rng(77);
  const report: string[] = [];
  let worst = 0;
  for (const name of NAMES) {
    const g = analytic[name];
    const scale = Math.max(...g.map(Math.abs));
    assert.ok(scale > 0, `d loss / d ${name} is all zeros`);
    const coordinates = new Set<number>([
      g.indexOf(g.reduce((a, b) => (Math.abs(b) > Math.abs(a) ? b : a))),
    ]);
    while (coordinates.size < Math.min(5, g.length)) {
      coordinates.add(pick.int(0, g.length - 1));
    }
    for (const i of coordinates) {
      const plus = { ...initial, [name]: initial[name].slice() };
      const minus = { ...initial, [name]: initial[name].slice() };
      plus[name][i] += eps;
      minus[name][i] -= eps;
      const step = plus[name][i] - minus[name][i];
      const fd = (lossFloat64(plus) - lossFloat64(minus)) / step;
      // Relative to the coordinate, with a floor of 5% of the largest
      // gradient of that parameter (tiny coordinates are noise-dominated).
      const err = Math.abs(fd - g[i]) / Math.max(Math.abs(g[i]), 0.05 * scale);
      worst = Math.max(worst, err);
      report.push(
        `${name}[${i}]: analytic ${g[i].toFixed(5)} fd ${fd.toFixed(5)} ` +
          `err ${err.toExponential(1)}`,
      );
    }
  }
  // Observed worst is ~2e-4 (truncation error of the step); 5e-3 leaves room
  // while still catching a wrong sign, scale, flip or missing term.
  assert.ok(
    worst <= 5e-3,
    `finite differences disagree (worst ${worst.toExponential(2)}):\n  ${
      report.join("\n  ")
    }`,
  );
});
