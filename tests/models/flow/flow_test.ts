import assert from "node:assert/strict";
import { tf } from "../../../backends/tf.ts";
import { initEngine } from "../../../backends/engine.ts";
import { mulberry32 } from "../../../data/random.ts";
import type { TrainableModel } from "../../../models/contract.ts";
import { createFlow } from "../../../models/flow/flow.ts";
import {
  FLOW_PRESETS,
  resolveFlowConfig,
} from "../../../models/flow/presets.ts";
import { assertEveryKeyOverrides } from "../_overrides.ts";

await initEngine({ threads: 2 });

Deno.test("createFlow() builds every preset at its documented size", () => {
  const counts = Object.fromEntries(
    Object.keys(FLOW_PRESETS).map((name) => {
      const flow = createFlow(name);
      const count = flow.parameterCount();
      flow.dispose();
      return [name, count];
    }),
  );
  // Per step at c channels with coupling width w: ActNorm 2c, the 1x1
  // convolution c^2 (as an LU factorisation: lower and upper c^2 each, and
  // c log-scales), and the coupling network Conv3x3(c/2 -> w) +
  // Conv1x1(w -> w) + Conv3x3(w -> c), with biases. Two levels: 4 channels
  // (14 x 14 x 4 after the squeeze), then 8.
  const step = (c: number, w: number, lu = false) =>
    2 * c + (lu ? 2 * c * c + c : c * c) +
    (9 * (c / 2) * w + w) + (w * w + w) + (9 * w * c + c);
  const flow = (steps: number, w: number, lu = false) =>
    steps * step(4, w, lu) + steps * step(8, w, lu);
  assert.deepEqual(counts, {
    flow: flow(4, 64),
    "flow-small": flow(2, 32),
    "flow-large": flow(8, 128, true),
  });
});

Deno.test("createFlow('flow') matches the canonical spec's settings", () => {
  const flow = createFlow("flow");
  assert.deepEqual(flow.config, {
    imageSize: 28,
    channels: 1,
    levels: 2,
    stepsPerLevel: 4,
    couplingWidth: 64,
    coupling: "affine",
    permutation: "conv",
    logitAlpha: 0.05,
  });
  assert.equal(flow.logit.alpha, 0.05);
  assert.equal(flow.dims, 784);
  flow.dispose();
});

Deno.test("createFlow() is a TrainableModel: one group, one phase, buffers", () => {
  const flow: TrainableModel = createFlow("flow-small");
  assert.equal(flow.preset, "flow-small");
  assert.deepEqual(Object.keys(flow.groups), ["model"]);
  assert.deepEqual(flow.phases.map((phase) => phase.name), ["loss"]);
  assert.equal(flow.pixelRange, "unit");
  assert.ok(!("learningRate" in flow.config), "a training option");
  assert.equal(flow.buffers!.size, 4);
  const names = [...flow.groups.model.keys(), ...flow.buffers!.keys()];
  assert.equal(new Set(names).size, names.length, "names are unique");
  assert.ok(JSON.parse(JSON.stringify(flow.config)), "config is plain JSON");
  flow.dispose();
});

Deno.test("createFlow() with the LU convolution or shuffles keeps their fixed parts as buffers", () => {
  const lu = createFlow({ preset: "flow-small", permutation: "conv-lu" });
  assert.ok(lu.buffers.has("level1.step2.permutation.permutation"));
  assert.ok(lu.buffers.has("level2.step1.permutation.sign"));
  assert.ok(lu.groups.model.has("level1.step1.permutation.lower"));
  lu.dispose();
  const shuffle = createFlow({ preset: "flow-small", permutation: "shuffle" });
  assert.deepEqual(
    shuffle.buffers.get("level1.step1.permutation.order")!.dtype,
    "int32",
  );
  shuffle.dispose();
});

Deno.test("createFlow() rebuilds from { preset, ...config } with the same weights for the same seed", () => {
  const original = createFlow(
    { preset: "flow-small", coupling: "additive" },
    mulberry32(2),
  );
  const rebuilt = createFlow(
    { preset: original.preset, ...original.config },
    mulberry32(2),
  );
  assert.deepEqual(rebuilt.config, original.config);
  for (const [name, variable] of original.groups.model) {
    assert.deepEqual(
      rebuilt.groups.model.get(name)!.dataSync(),
      variable.dataSync(),
      name,
    );
  }
  original.dispose();
  rebuilt.dispose();
});

Deno.test("initialize() sets every ActNorm's flag, so a resumed run's buffers say so", () => {
  const flow = createFlow("flow-small");
  const flags = () => [...flow.buffers.values()].map((v) => v.dataSync()[0]);
  assert.deepEqual(flags(), [0, 0, 0, 0]);
  const images = tf.randomUniform(
    [4, 28, 28, 1],
    0,
    1,
    "float32",
    1,
  ) as tf.Tensor4D;
  const batch = { images, labels: tf.zeros([4], "int32") as tf.Tensor1D };
  tf.tidy(() => flow.initialize(batch, { seed: () => 3, step: 0 }));
  assert.deepEqual(flags(), [1, 1, 1, 1]);
  assert.ok(
    flow.groups.model.get("level1.step1.actnorm.logScale")!.dataSync().some((
      v,
    ) => v !== 0),
  );
  tf.dispose([images, batch.labels]);
  flow.dispose();
});

Deno.test("resolveFlowConfig() names an unknown preset, key, mistyped or out-of-range value", () => {
  assert.throws(() => resolveFlowConfig("glow"), /unknown flow preset "glow"/);
  assert.throws(
    () => resolveFlowConfig("flow", { depth: 3 }),
    /unknown flow config key "depth"/,
  );
  assert.throws(
    () => resolveFlowConfig("flow", { levels: "2" }),
    /flow config key "levels" must be a number/,
  );
  assert.throws(
    () => resolveFlowConfig("flow", { levels: 3 }),
    /"imageSize" must be a multiple of 8, got 28/,
  );
  assert.throws(
    () => resolveFlowConfig("flow", { coupling: "spline" }),
    /"coupling" must be affine, additive; got "spline"/,
  );
  assert.throws(
    () => resolveFlowConfig("flow", { permutation: "none" }),
    /"permutation" must be conv, conv-lu, reverse, shuffle; got "none"/,
  );
  assert.throws(
    () => resolveFlowConfig("flow", { logitAlpha: 0.5 }),
    /"logitAlpha" must be in \(0, 0.5\)/,
  );
  assert.equal(
    resolveFlowConfig("flow", { imageSize: 32, levels: 3 }).levels,
    3,
  );
});

Deno.test("resolveFlowConfig() applies an override of every key", () => {
  assertEveryKeyOverrides(resolveFlowConfig, "flow", FLOW_PRESETS.flow, {
    imageSize: 32,
    channels: 3,
    levels: 3,
    stepsPerLevel: 2,
    couplingWidth: 16,
    coupling: "additive",
    permutation: "shuffle",
    logitAlpha: 0.01,
  });
});

Deno.test("Flow.dispose() frees every variable and buffer", () => {
  const before = tf.memory().numTensors;
  const flow = createFlow({ preset: "flow-small", permutation: "conv-lu" });
  assert.ok(tf.memory().numTensors > before);
  flow.dispose();
  assert.equal(tf.memory().numTensors, before);
});
