import assert from "node:assert/strict";
import { tf } from "../../../backends/tf.ts";
import { initEngine } from "../../../backends/engine.ts";
import { mulberry32 } from "../../../data/random.ts";
import { Coupling } from "../../../models/flow/coupling.ts";
import { CouplingNetwork } from "../../../models/flow/coupling_network.ts";

await initEngine({ threads: 2 });

const options = {
  channels: 4,
  hiddenChannels: 16,
  kernelSizes: [3, 1, 3] as const,
};

Deno.test("CouplingNetwork has the canonical layers: Conv3x3(c/2 -> 64), Conv1x1(64 -> 64), Conv3x3(64 -> c), last zero", () => {
  const network = new CouplingNetwork({
    inputChannels: 2,
    hiddenChannels: 64,
    outputChannels: 4,
    kernelSizes: [3, 1, 3],
    random: mulberry32(0),
  });
  const shapes = Object.fromEntries(
    Object.entries(network.variables).map(([name, v]) => [name, v.shape]),
  );
  assert.deepEqual(shapes, {
    "conv1.kernel": [3, 3, 2, 64],
    "conv1.bias": [64],
    "conv2.kernel": [1, 1, 64, 64],
    "conv2.bias": [64],
    "conv3.kernel": [3, 3, 64, 4],
    "conv3.bias": [4],
  });
  const { conv1, conv3 } = network.layers;
  assert.ok(conv1.variables.kernel.dataSync().some((v) => v !== 0));
  assert.ok(conv3.variables.kernel.dataSync().every((v) => v === 0));
  assert.ok(conv3.variables.bias.dataSync().every((v) => v === 0));
  network.dispose();
});

Deno.test("Coupling (affine) starts with scale sigmoid(2) on the active half: z_b = 0.8808 x_b", () => {
  const coupling = new Coupling({
    ...options,
    kind: "affine",
    random: mulberry32(1),
  });
  const [x, z, logDet] = tf.tidy(() => {
    const x = tf.randomNormal([2, 3, 3, 4], 0, 1, "float32", 2) as tf.Tensor4D;
    const result = coupling.forward(x);
    return [x.arraySync(), result.z.arraySync(), result.logDet.arraySync()];
  });
  const scale = 1 / (1 + Math.exp(-2));
  for (let b = 0; b < 2; b++) {
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        for (let c = 0; c < 4; c++) {
          const expected = c < 2 ? x[b][i][j][c] : scale * x[b][i][j][c];
          assert.ok(Math.abs(z[b][i][j][c] - expected) < 1e-6);
        }
      }
    }
    // 3 x 3 pixels x 2 active channels, each log sigmoid(2).
    assert.ok(Math.abs(logDet[b] - 18 * Math.log(scale)) < 1e-4);
  }
  coupling.dispose();
});

Deno.test("Coupling (additive) starts as the identity and keeps volume (log-determinant 0)", () => {
  const coupling = new Coupling({
    ...options,
    kind: "additive",
    random: mulberry32(1),
  });
  assert.deepEqual(coupling.network.layers.conv3.variables.kernel.shape, [
    3,
    3,
    16,
    2,
  ]);
  const [x, z, logDet] = tf.tidy(() => {
    const x = tf.randomNormal([2, 3, 3, 4], 0, 1, "float32", 3) as tf.Tensor4D;
    const result = coupling.forward(x);
    return [x.dataSync(), result.z.dataSync(), result.logDet.arraySync()];
  });
  assert.deepEqual(z, x);
  assert.deepEqual(logDet, [0, 0]);
  coupling.dispose();
});

Deno.test("Coupling leaves the passive half alone whatever the network's weights", () => {
  const coupling = new Coupling({
    ...options,
    kind: "affine",
    random: mulberry32(4),
  });
  tf.tidy(() => {
    const { kernel } = coupling.network.layers.conv3.variables;
    kernel.assign(tf.randomNormal(kernel.shape, 0, 0.5, "float32", 5));
  });
  const [x, z] = tf.tidy(() => {
    const x = tf.randomNormal([1, 4, 4, 4], 0, 1, "float32", 6) as tf.Tensor4D;
    return [
      tf.slice(x, [0, 0, 0, 0], [1, 4, 4, 2]).dataSync(),
      tf.slice(coupling.forward(x).z, [0, 0, 0, 0], [1, 4, 4, 2]).dataSync(),
    ];
  });
  assert.deepEqual(z, x);
  coupling.dispose();
});

Deno.test("Coupling refuses one channel and an unknown kind", () => {
  assert.throws(
    () =>
      new Coupling({
        ...options,
        channels: 1,
        kind: "affine",
        random: mulberry32(0),
      }),
    /at least 2 channels, got 1/,
  );
  assert.throws(
    () =>
      new Coupling({
        ...options,
        kind: "spline" as never,
        random: mulberry32(0),
      }),
    /unknown coupling "spline": use affine or additive/,
  );
});
