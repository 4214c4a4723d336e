import assert from "node:assert/strict";
import { tf } from "../../backends/tf.ts";
import { initEngine } from "../../backends/engine.ts";
import { mulberry32 } from "../../data/random.ts";
import {
  Conv2D,
  Conv2DTranspose,
  Dense,
  namedVariables,
} from "../../models/layers.ts";

await initEngine({ threads: 2 });

Deno.test("Dense.apply() computes x W + b", () => {
  const dense = new Dense({
    inputSize: 3,
    outputSize: 2,
    random: mulberry32(0),
  });
  // Weights and bias set by hand (a bias of 0, its initial value, would
  // hide a layer that drops it); every number is exact in float32.
  tf.tidy(() => {
    dense.variables.kernel.assign(tf.tensor2d([[1, -2], [0.5, 3], [-1, 0.25]]));
    dense.variables.bias.assign(tf.tensor1d([0.75, -1.5]));
  });
  const output = tf.tidy(() =>
    dense.apply(tf.tensor2d([[1, 2, 3], [-1, 0, 2]])).arraySync()
  );
  // Row 1: 1 + 1 - 3 + 0.75 = -0.25 and -2 + 6 + 0.75 - 1.5 = 3.25.
  // Row 2: -1 - 2 + 0.75 = -2.25 and 2 + 0.5 - 1.5 = 1.
  assert.deepEqual(output, [[-0.25, 3.25], [-2.25, 1]]);
  dense.dispose();
});

Deno.test("Conv2D.apply() halves each side with strides 2 and same padding", () => {
  const conv = new Conv2D({
    inputChannels: 1,
    outputChannels: 16,
    kernelSize: 4,
    strides: 2,
    random: mulberry32(0),
  });
  const shape = tf.tidy(() => conv.apply(tf.zeros([2, 28, 28, 1])).shape);
  assert.deepEqual(shape, [2, 14, 14, 16]);
  conv.dispose();
});

Deno.test("Conv2DTranspose.apply() doubles each side with strides 2 and same padding", () => {
  const up = new Conv2DTranspose({
    inputChannels: 32,
    outputChannels: 16,
    kernelSize: 4,
    strides: 2,
    random: mulberry32(0),
  });
  const shape = tf.tidy(() => up.apply(tf.zeros([3, 7, 7, 32])).shape);
  assert.deepEqual(shape, [3, 14, 14, 16]);
  up.dispose();
});

Deno.test("Conv2DTranspose.outputSize() follows the padding", () => {
  const options = {
    inputChannels: 1,
    outputChannels: 1,
    kernelSize: 3,
    strides: 2,
    random: mulberry32(0),
  };
  const same = new Conv2DTranspose(options);
  const valid = new Conv2DTranspose({ ...options, padding: "valid" });
  assert.equal(same.outputSize(7), 14);
  assert.equal(valid.outputSize(7), 15);
  same.dispose();
  valid.dispose();
});

Deno.test("Conv2D() starts from the same weights for the same seed", () => {
  const options = { inputChannels: 3, outputChannels: 4, kernelSize: 3 };
  const first = new Conv2D({ ...options, random: mulberry32(5), init: "he" });
  const second = new Conv2D({ ...options, random: mulberry32(5), init: "he" });
  const third = new Conv2D({ ...options, random: mulberry32(6), init: "he" });
  const kernel = (conv: Conv2D) => [...conv.variables.kernel.dataSync()];
  assert.deepEqual(kernel(first), kernel(second));
  // Another seed, other random weights: no value to expect.
  assert.notDeepEqual(kernel(first), kernel(third));
  assert.ok(first.variables.bias.dataSync().every((value) => value === 0));
  for (const conv of [first, second, third]) conv.dispose();
});

Deno.test("Dense() rejects sizes that are not whole numbers >= 1", () => {
  assert.throws(
    () => new Dense({ inputSize: 0, outputSize: 2, random: mulberry32(0) }),
    /inputSize must be a whole number >= 1/,
  );
});

Deno.test("namedVariables() keys each variable by layer and name", () => {
  const random = mulberry32(0);
  const first = new Dense({ inputSize: 2, outputSize: 2, random });
  const second = new Dense({ inputSize: 2, outputSize: 1, random });
  const variables = namedVariables({ first, second });
  assert.deepEqual(Object.keys(variables), [
    "first/kernel",
    "first/bias",
    "second/kernel",
    "second/bias",
  ]);
  assert.equal(variables["second/kernel"], second.variables.kernel);
  first.dispose();
  second.dispose();
});

Deno.test("Layer.dispose() frees its variables", () => {
  const before = tf.memory().numTensors;
  const conv = new Conv2D({
    inputChannels: 2,
    outputChannels: 3,
    kernelSize: 3,
    random: mulberry32(0),
  });
  assert.equal(tf.memory().numTensors, before + 2);
  conv.dispose();
  assert.equal(tf.memory().numTensors, before);
});

/** Largest |a - b| over largest |b|. */
function relativeError(a: Float32Array, b: Float32Array): number {
  let worst = 0, scale = 0;
  for (let i = 0; i < b.length; i++) {
    worst = Math.max(worst, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return worst / scale;
}

for (const activation of ["linear", "relu"] as const) {
  Deno.test(`Conv2D.apply(x, "${activation}") equals conv2d + bias${activation === "relu" ? " -> ReLU" : ""}, values and gradients`, () => {
    const conv = new Conv2D({
      inputChannels: 3,
      outputChannels: 8,
      kernelSize: 3,
      strides: 2,
      random: mulberry32(3),
    });
    const { kernel, bias } = conv.variables;
    // A non-zero bias, so that a dropped or doubled bias shows.
    bias.assign(tf.linspace(-0.5, 0.5, 8));
    const input = tf.randomNormal([2, 9, 9, 3], 0, 1, "float32", 4);
    const unfused = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => {
      const y = tf.add(
        tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, "same"),
        b,
      );
      return activation === "relu" ? tf.relu(y) : y;
    };
    tf.tidy(() => {
      // Forward without gradients: tfjs fuses the ReLU too.
      const expected = unfused(input, kernel, bias);
      assert.ok(
        relativeError(
          conv.apply(input, activation).dataSync() as Float32Array,
          expected.dataSync() as Float32Array,
        ) < 1e-5,
      );
      const weights = tf.randomNormal(expected.shape, 0, 1, "float32", 5);
      const loss = (y: tf.Tensor) => tf.sum(tf.mul(y, weights)) as tf.Scalar;
      const fusedGrads = tf.grads((x: tf.Tensor) =>
        loss(conv.apply(x, activation))
      )([input]);
      const fusedWeightGrads = tf.variableGrads(
        () => loss(conv.apply(input, activation)),
        [kernel, bias],
      );
      const plainGrads = tf.grads((x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) =>
        loss(unfused(x, w, b))
      )([input, kernel, bias]);
      assert.ok(
        relativeError(
          fusedGrads[0].dataSync() as Float32Array,
          plainGrads[0].dataSync() as Float32Array,
        ) < 1e-5,
      );
      assert.ok(
        relativeError(
          fusedWeightGrads.grads[kernel.name].dataSync() as Float32Array,
          plainGrads[1].dataSync() as Float32Array,
        ) < 1e-5,
      );
      assert.ok(
        relativeError(
          fusedWeightGrads.grads[bias.name].dataSync() as Float32Array,
          plainGrads[2].dataSync() as Float32Array,
        ) < 1e-5,
      );
    });
    input.dispose();
    conv.dispose();
  });
}
