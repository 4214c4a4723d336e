import assert from "node:assert/strict";
import { tf } from "../../../backends/tf.ts";
import { initEngine } from "../../../backends/engine.ts";
import { mulberry32 } from "../../../data/random.ts";
import { toyPoints } from "../../../data/toy_points.ts";
import { createFlow2d, evaluatePointNll } from "../../../models/flow/flow2d.ts";
import {
  densityGrid,
  densityPicture,
  gridPoints,
  plotRadius,
  scatterPicture,
} from "../../../models/flow/flow2d_pictures.ts";
import {
  FLOW2D_PRESETS,
  resolveFlow2dConfig,
} from "../../../models/flow/flow2d_presets.ts";
import { assertEveryKeyOverrides } from "../_overrides.ts";
import { maxAbsDifference, perturbVariables } from "./_helpers.ts";

await initEngine({ threads: 2 });

/**
 * A flow2d whose weights are moved away from their start by U(-scale,
 * scale), so its density is no Gaussian (much more and its tails reach
 * past any grid).
 */
function warpedFlow(
  permutation: "reverse" | "conv-lu" = "reverse",
  scale = 0.2,
) {
  const flow = createFlow2d({
    preset: "flow2d",
    steps: 4,
    hiddenWidth: 16,
    permutation,
  });
  perturbVariables(flow.groups.model.values(), mulberry32(9), scale);
  return flow;
}

Deno.test("createFlow2d('flow2d'): 8 RealNVP steps with 1 -> 64 -> 64 -> 2 MLPs, swapping coordinates", () => {
  const flow = createFlow2d("flow2d");
  assert.deepEqual(flow.config, resolveFlow2dConfig("flow2d"));
  assert.equal(flow.pixelRange, "raw");
  // Per step: ActNorm (scale and offset of 2 coordinates) + the MLP's
  // Dense(1 -> 64), Dense(64 -> 64), Dense(64 -> 2), weights + biases.
  assert.equal(
    flow.parameterCount(),
    8 * (2 * 2 + (1 * 64 + 64) + (64 * 64 + 64) + (64 * 2 + 2)),
  );
  assert.deepEqual(
    flow.groups.model.get("step1.coupling.network.conv1.kernel")!.shape,
    [1, 1, 1, 64],
  );
  flow.dispose();
});

Deno.test("the 2-D flow's density integrates to 1 over the plane", () => {
  for (
    const [permutation, scale] of [["reverse", 0.2], ["conv-lu", 0.1]] as const
  ) {
    const flow = warpedFlow(permutation, scale);
    const radius = 10, size = 200;
    const logP = densityGrid((points) => flow.logDensity(points), radius, size);
    const area = (2 * radius / size) ** 2;
    let mass = 0;
    for (const value of logP) mass += Math.exp(value) * area;
    assert.ok(Math.abs(mass - 1) < 2e-3, `${permutation}: mass ${mass}`);
    flow.dispose();
  }
});

Deno.test("the 2-D flow's samples invert to their latents, and are seeded", () => {
  const flow = warpedFlow();
  const [z, restored, again, other] = tf.tidy(() => {
    const z = tf.randomNormal(
      [500, 1, 1, 2],
      0,
      1,
      "float32",
      4,
    ) as tf.Tensor4D;
    const x = flow.network.inverse(z);
    return [
      z.dataSync(),
      flow.network.forward(x).z.dataSync(),
      flow.samplePoints(10, 3).dataSync(),
      flow.samplePoints(10, 4).dataSync(),
    ];
  });
  assert.ok(maxAbsDifference(restored, z) < 1e-4);
  assert.deepEqual(tf.tidy(() => flow.samplePoints(10, 3).dataSync()), again);
  // Another seed, other draws: random points have no value to expect.
  assert.notDeepEqual(again, other);
  flow.dispose();
});

Deno.test("evaluatePointNll() is the mean -log p, in chunks", () => {
  const flow = warpedFlow();
  const { points } = toyPoints("moons", 5000, 1);
  const set = {
    images: points,
    labels: new Uint8Array(5000),
    shape: [5000, 1, 1, 2] as [number, number, number, number],
  };
  const direct = tf.tidy(() =>
    -tf.mean(flow.logDensity(tf.tensor4d(points, [5000, 1, 1, 2])))
      .dataSync()[0]
  );
  assert.ok(Math.abs(evaluatePointNll(flow, set) - direct) < 1e-4);
  flow.dispose();
});

Deno.test("densityPicture() is one RGB image in [0, 1], light where the density is high", () => {
  const gaussian = (points: tf.Tensor4D) =>
    tf.mul(-0.5, tf.sum(tf.square(points), [1, 2, 3])) as tf.Tensor1D;
  const picture = densityPicture(gaussian, new Float32Array(0), {
    size: 32,
    radius: 3,
  });
  assert.deepEqual(picture.shape, [1, 32, 32, 3]);
  const pixels = picture.dataSync() as Float32Array;
  assert.ok(pixels.every((v) => v >= 0 && v <= 1));
  const brightness = (row: number, column: number) =>
    pixels.slice(3 * (row * 32 + column), 3 * (row * 32 + column) + 3)
      .reduce((a, b) => a + b);
  assert.ok(brightness(16, 16) > brightness(0, 0) + 1);
  picture.dispose();
});

Deno.test("scatterPicture() puts a point at (x, y) in column x, row -y", () => {
  // radius 1, size 4: cells are 0.5 wide; (0.75, 0.75) is row 0, column 3.
  const picture = scatterPicture(new Float32Array([0.75, 0.75]), {
    size: 4,
    radius: 1,
  });
  const pixels = picture.dataSync();
  for (let i = 0; i < 16; i++) {
    const white = pixels[3 * i] === 1 && pixels[3 * i + 2] === 1;
    assert.equal(white, i !== 3, `pixel ${i}`);
  }
  picture.dispose();
  assert.deepEqual(
    Array.from(gridPoints(1, 2)),
    [-0.5, 0.5, 0.5, 0.5, -0.5, -0.5, 0.5, -0.5],
  );
  assert.equal(plotRadius(new Float32Array([1, 0, 0, -2])), 2.5);
});

Deno.test("resolveFlow2dConfig() applies an override of every key", () => {
  assertEveryKeyOverrides(
    resolveFlow2dConfig,
    "flow2d",
    FLOW2D_PRESETS.flow2d,
    { steps: 4, hiddenWidth: 16, coupling: "additive", permutation: "conv" },
  );
});

Deno.test("resolveFlow2dConfig() is strict", () => {
  assert.throws(
    () => resolveFlow2dConfig("flow2d", { layers: 3 }),
    /unknown flow2d config key "layers"/,
  );
  assert.throws(
    () => resolveFlow2dConfig("flow2d", { steps: 0 }),
    /"steps" must be a whole number >= 1/,
  );
  assert.throws(
    () => resolveFlow2dConfig("flow2d", { permutation: "none" }),
    /flow2d config key "permutation" must be conv, conv-lu, reverse, shuffle/,
  );
});
