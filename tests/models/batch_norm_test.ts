import assert from "node:assert/strict";
import { tf } from "../../backends/tf.ts";
import { initEngine } from "../../backends/engine.ts";
import { BatchNorm } from "../../models/batch_norm.ts";
import { assertBackendsAgree, assertClose, Rng } from "../_helpers.ts";

await initEngine({ threads: 2 });

const EPSILON = 1e-5;

/** Columns of a (rows, features) table: plain-TS mean and biased variance. */
function columnMoments(
  rows: number[][],
): { mean: number[]; variance: number[] } {
  const n = rows.length;
  const mean = rows[0].map((_, j) => rows.reduce((s, r) => s + r[j], 0) / n);
  const variance = mean.map((m, j) =>
    rows.reduce((s, r) => s + (r[j] - m) ** 2, 0) / n
  );
  return { mean, variance };
}

/** gamma (x - mean) / sqrt(variance + eps) + beta, row by row. */
function normalizeRows(
  rows: number[][],
  mean: number[],
  variance: number[],
  gamma: number[],
  beta: number[],
): number[] {
  return rows.flatMap((row) =>
    row.map((x, j) =>
      gamma[j] * (x - mean[j]) / Math.sqrt(variance[j] + EPSILON) + beta[j]
    )
  );
}

Deno.test("BatchNorm.apply('train') normalises each feature with the batch's mean and biased variance", () => {
  const norm = new BatchNorm({ features: 2 });
  norm.variables.gamma.assign(tf.tensor1d([2, 0.5]));
  norm.variables.beta.assign(tf.tensor1d([1, -1]));
  const rows = [[1, 10], [2, 20], [3, 30], [4, 40]];
  // By hand: mean (2.5, 25), biased variance (1.25, 125); the first row's
  // first feature is 2 * (1 - 2.5) / sqrt(1.25 + 1e-5) + 1 = -1.683271.
  const output = tf.tidy(() =>
    norm.apply(tf.tensor2d(rows), "train").dataSync()
  );
  assert.ok(Math.abs(output[0] - -1.683271) < 1e-5);
  const expected = normalizeRows(
    rows,
    [2.5, 25],
    [1.25, 125],
    [2, 0.5],
    [1, -1],
  );
  assertClose(output, expected, 1e-5, "train-mode output");
  norm.dispose();
});

Deno.test("BatchNorm.apply('train') moves the running statistics by the momentum, with the unbiased variance", () => {
  const norm = new BatchNorm({ features: 2, momentum: 0.1 });
  const rows = [[1, 10], [2, 20], [3, 30], [4, 40]];
  tf.tidy(() => {
    norm.apply(tf.tensor2d(rows), "train");
  });
  // mean (2.5, 25); unbiased variance 4/3 * (1.25, 125) = (5/3, 500/3).
  assertClose(
    norm.buffers.runningMean.dataSync(),
    [0.9 * 0 + 0.1 * 2.5, 0.9 * 0 + 0.1 * 25],
    1e-6,
    "running mean after one batch",
  );
  assertClose(
    norm.buffers.runningVariance.dataSync(),
    [0.9 * 1 + 0.1 * 5 / 3, 0.9 * 1 + 0.1 * 500 / 3],
    1e-6,
    "running variance after one batch",
  );
  tf.tidy(() => {
    norm.apply(tf.tensor2d(rows), "train");
  });
  assertClose(
    norm.buffers.runningMean.dataSync(),
    [0.9 * 0.25 + 0.1 * 2.5, 0.9 * 2.5 + 0.1 * 25],
    1e-6,
    "running mean after two batches",
  );
  norm.dispose();
});

Deno.test("BatchNorm.apply('inference') uses the running statistics and updates nothing", () => {
  const norm = new BatchNorm({ features: 3 });
  norm.buffers.runningMean.assign(tf.tensor1d([1, -2, 0.5]));
  norm.buffers.runningVariance.assign(tf.tensor1d([4, 0.25, 1]));
  norm.variables.gamma.assign(tf.tensor1d([1, 2, 3]));
  const rows = [[3, -2, 0.5], [1, -1, 2.5]];
  const output = tf.tidy(() =>
    norm.apply(tf.tensor2d(rows), "inference").dataSync()
  );
  const expected = normalizeRows(
    rows,
    [1, -2, 0.5],
    [4, 0.25, 1],
    [1, 2, 3],
    [0, 0, 0],
  );
  assertClose(output, expected, 1e-5, "inference-mode output");
  assertClose(
    norm.buffers.runningMean.dataSync(),
    [1, -2, 0.5],
    0,
    "running mean",
  );
  norm.dispose();
});

Deno.test("BatchNorm.apply() on NHWC maps takes statistics per channel over batch, height and width", () => {
  const rng = new Rng(3);
  const shape = [2, 3, 2, 4];
  const values = rng.uniform(2 * 3 * 2 * 4, -2, 3);
  const rows: number[][] = [];
  for (let i = 0; i < values.length; i += 4) {
    rows.push([...values.subarray(i, i + 4)]);
  }
  const { mean, variance } = columnMoments(rows);
  const norm = new BatchNorm({ features: 4 });
  const output = tf.tidy(() => {
    const result = norm.apply(tf.tensor4d(values, shape as never), "train");
    assert.deepEqual(result.shape, shape);
    return result.dataSync();
  });
  assertClose(
    output,
    normalizeRows(rows, mean, variance, [1, 1, 1, 1], [0, 0, 0, 0]),
    1e-5,
    "per-channel output",
  );
  assertClose(
    norm.buffers.runningMean.dataSync(),
    mean.map((m) => 0.1 * m),
    1e-5,
    "per-channel running mean",
  );
  norm.dispose();
});

Deno.test("BatchNorm.apply({ referenceRows }) normalises every row with the first rows' statistics and updates nothing", () => {
  const norm = new BatchNorm({ features: 2 });
  const reference = [[1, 4], [3, 8]];
  const others = [[5, 0], [-1, 6], [2, 2]];
  const { mean, variance } = columnMoments(reference);
  const output = tf.tidy(() =>
    norm.apply(tf.tensor2d([...reference, ...others]), { referenceRows: 2 })
      .dataSync()
  );
  assertClose(
    output,
    normalizeRows(
      [...reference, ...others],
      mean,
      variance,
      [1, 1],
      [0, 0],
    ),
    1e-5,
    "reference-statistics output",
  );
  assertClose(norm.buffers.runningMean.dataSync(), [0, 0], 0, "running mean");
  assertClose(
    norm.buffers.runningVariance.dataSync(),
    [1, 1],
    0,
    "running variance",
  );
  assert.throws(
    () => tf.tidy(() => norm.apply(tf.zeros([2, 2]), { referenceRows: 3 })),
    /referenceRows/,
  );
  norm.dispose();
});

Deno.test("BatchNorm.apply('train') has input gradients that match finite differences", () => {
  const rng = new Rng(5);
  const values = rng.uniform(5 * 3, -1, 1);
  const weights = rng.uniform(5 * 3, -1, 1);
  const norm = new BatchNorm({ features: 3 });
  norm.variables.gamma.assign(tf.tensor1d([1.5, 0.7, -1]));
  // A loss that is not invariant to the normalisation: sum(w * y^3).
  const loss = (x: tf.Tensor) =>
    tf.sum(
      tf.mul(tf.pow(norm.apply(x, "train"), 3), tf.tensor2d(weights, [5, 3])),
    );
  const gradient = tf.tidy(() =>
    tf.grad(loss)(tf.tensor2d(values, [5, 3])).dataSync()
  );
  const step = 1e-2;
  const numeric = Array.from(values, (_, i) => {
    const at = (delta: number) => {
      const shifted = Float32Array.from(values);
      shifted[i] += delta;
      return tf.tidy(() => loss(tf.tensor2d(shifted, [5, 3])).dataSync()[0]);
    };
    return (at(step) - at(-step)) / (2 * step);
  });
  assertClose(gradient, numeric, 2e-2, "d loss / d input");
  norm.dispose();
});

Deno.test("BatchNorm keeps gamma and beta trainable and its buffers not; dispose frees all four", () => {
  const before = tf.memory().numTensors;
  const norm = new BatchNorm({ features: 5 });
  assert.equal(norm.variables.gamma.trainable, true);
  assert.equal(norm.variables.beta.trainable, true);
  assert.equal(norm.buffers.runningMean.trainable, false);
  assert.equal(norm.buffers.runningVariance.trainable, false);
  assert.deepEqual([...norm.variables.gamma.dataSync()], [1, 1, 1, 1, 1]);
  assert.deepEqual([...norm.buffers.runningVariance.dataSync()], [
    1,
    1,
    1,
    1,
    1,
  ]);
  assert.throws(
    () => tf.tidy(() => norm.apply(tf.zeros([2, 4]), "train")),
    /5 features/,
  );
  norm.dispose();
  assert.equal(tf.memory().numTensors, before);
  assert.throws(() => new BatchNorm({ features: 0 }), /features/);
  assert.throws(() => new BatchNorm({ features: 2, momentum: 0 }), /momentum/);
});

Deno.test("BatchNorm.apply('train') on wasm (genwasm's fused kernels) matches the cpu backend's op-by-op version: output, running statistics and every gradient", async () => {
  const rng = new Rng(17);
  // NHWC maps (statistics over 2 x 5 x 3 rows) and a dense batch.
  const cases: [number[], number, number][] = [
    [[2, 5, 3, 8], -2, 3],
    [[7, 12], -1, 1],
  ];
  for (const [shape, low, high] of cases) {
    const size = shape.reduce((a, b) => a * b);
    const features = shape.at(-1)!;
    const x = rng.uniform(size, low, high), weights = rng.uniform(size);
    const gamma = rng.uniform(features, 0.5, 1.5);
    const beta = rng.uniform(features);
    await assertBackendsAgree(
      () => {
        const norm = new BatchNorm({ features });
        norm.variables.gamma.assign(tf.tensor1d(gamma));
        norm.variables.beta.assign(tf.tensor1d(beta));
        // A loss whose gradient does not vanish through the normalisation.
        const loss = (input: tf.Tensor) =>
          tf.sum(
            tf.mul(
              tf.square(norm.apply(input, "train")),
              tf.tensor(weights, shape),
            ),
          );
        const input = tf.tensor(x, shape);
        const y = norm.apply(input, "train");
        const { value, grads } = tf.variableGrads(
          () => loss(input) as tf.Scalar,
          [norm.variables.gamma, norm.variables.beta],
        );
        const dx = tf.grad(loss)(input);
        const outputs = [
          y,
          value,
          dx,
          grads[norm.variables.gamma.name],
          grads[norm.variables.beta.name],
          norm.buffers.runningMean.clone(),
          norm.buffers.runningVariance.clone(),
        ];
        norm.dispose();
        return outputs;
      },
      [
        `${shape}: y`,
        `${shape}: loss`,
        "d/dx",
        "d/dgamma",
        "d/dbeta",
        "running mean",
        "running variance",
      ],
      2e-4,
    );
  }
});

Deno.test("BatchNorm.apply('train') on wasm leaks no tensors, with or without a gradient tape", () => {
  const norm = new BatchNorm({ features: 4 });
  const x = tf.randomNormal([3, 2, 2, 4]);
  const before = tf.memory().numTensors;
  tf.tidy(() => {
    norm.apply(x, "train");
  });
  tf.dispose(tf.grad((input) => norm.apply(input, "train"))(x));
  assert.equal(tf.memory().numTensors, before);
  tf.dispose(x);
  norm.dispose();
});

Deno.test("BatchNorm.apply('train') keeps its precision for a large mean and a small spread", () => {
  const rng = new Rng(21);
  const values = rng.uniform(40 * 3, 99.99, 100.01);
  const rows = Array.from(
    { length: 40 },
    (_, i) => Array.from(values.subarray(3 * i, 3 * i + 3)),
  );
  const { mean, variance } = columnMoments(rows);
  const norm = new BatchNorm({ features: 3 });
  const actual = tf.tidy(() =>
    norm.apply(tf.tensor2d(values, [40, 3]), "train").dataSync()
  );
  assertClose(
    actual,
    normalizeRows(rows, mean, variance, [1, 1, 1], [0, 0, 0]),
    2e-3,
    "mean 100, spread 0.01",
  );
  norm.dispose();
});
