/**
 * Every invertible block of models/flow, through one table: the inverse
 * undoes the forward map to 1e-4, and the log-determinant the block
 * reports equals log |det| of its Jacobian computed the brute-force way
 * (autodiff, one row per output, then elimination in float64) on a
 * 1 x 2 x 2 x 4 input. Weights are perturbed away from their
 * initialisation so no block is tested at a trivial point.
 */
import assert from "node:assert/strict";
import { tf } from "../../../backends/tf.ts";
import { initEngine } from "../../../backends/engine.ts";
import { mulberry32, type Random } from "../../../data/random.ts";
import { ActNorm } from "../../../models/flow/actnorm.ts";
import { ChannelPermutation } from "../../../models/flow/channel_permutation.ts";
import { Coupling } from "../../../models/flow/coupling.ts";
import type { FlowLayer } from "../../../models/flow/flow_layer.ts";
import { createFlowStep } from "../../../models/flow/flow_step.ts";
import { InvertibleConv } from "../../../models/flow/invertible_conv.ts";
import { LogitTransform } from "../../../models/flow/logit.ts";
import { LuInvertibleConv } from "../../../models/flow/lu_invertible_conv.ts";
import { FlowSequence } from "../../../models/flow/sequence.ts";
import { Squeeze } from "../../../models/flow/squeeze.ts";
import { array4Of } from "../../../models/flow/float64.ts";
import {
  bruteForceLogDet,
  maxAbsDifference,
  perturbVariables,
} from "./_helpers.ts";

await initEngine({ threads: 2 });

/** A block and the input range it is defined on. */
interface Case {
  name: string;
  make: (random: Random) => FlowLayer;
  /** Inputs are uniform in [low, high]; default [-2, 2]. */
  range?: [number, number];
  /** Channels of the input; default 4. */
  channels?: number;
}

const DEFAULT_RANGE: [number, number] = [-2, 2];

const conv = { channels: 4, label: "test" };
const network = { hiddenChannels: 8, kernelSizes: [3, 1, 3] as const };
const CASES: Case[] = [
  { name: "ActNorm", make: () => new ActNorm(4) },
  {
    name: "InvertibleConv",
    make: (random) => new InvertibleConv({ ...conv, random }),
  },
  {
    name: "LuInvertibleConv",
    make: (random) => new LuInvertibleConv({ ...conv, random }),
  },
  {
    name: "ChannelPermutation reverse",
    make: (random) => new ChannelPermutation(4, "reverse", random),
  },
  {
    name: "ChannelPermutation shuffle",
    make: (random) => new ChannelPermutation(4, "shuffle", random),
  },
  {
    name: "Coupling affine",
    make: (random) =>
      new Coupling({ channels: 4, kind: "affine", random, ...network }),
  },
  {
    name: "Coupling additive",
    make: (random) =>
      new Coupling({ channels: 4, kind: "additive", random, ...network }),
  },
  {
    name: "Coupling affine, odd channels (passive 1, active 2)",
    make: (random) =>
      new Coupling({ channels: 3, kind: "affine", random, ...network }),
    channels: 3,
  },
  {
    name: "LogitTransform",
    make: () => new LogitTransform(0.05),
    range: [0.01, 0.99],
  },
  { name: "Squeeze", make: () => new Squeeze() },
  {
    name: "flow step (ActNorm, 1x1 conv, affine coupling)",
    make: (random) =>
      createFlowStep({
        ...network,
        channels: 4,
        coupling: "affine",
        permutation: "conv",
        random,
        label: "test",
      }),
  },
  {
    name: "FlowSequence of squeeze and LU step",
    make: (random) =>
      new FlowSequence({
        squeeze: new Squeeze(),
        step: createFlowStep({
          ...network,
          channels: 16,
          coupling: "affine",
          permutation: "conv-lu",
          random,
          label: "test",
        }),
      }),
  },
];

function input(
  shape: [number, number, number, number],
  random: Random,
  [low, high]: [number, number],
): tf.Tensor4D {
  const values = Float32Array.from(
    { length: shape.reduce((a, b) => a * b) },
    () => low + (high - low) * random(),
  );
  return tf.tensor4d(values, shape);
}

for (const { name, make, range = DEFAULT_RANGE, channels = 4 } of CASES) {
  Deno.test(`${name}: inverse(forward(x)) = x to 1e-4`, () => {
    const random = mulberry32(11);
    const layer = make(random);
    perturbVariables(Object.values(layer.variables), random, 0.3);
    const [x, restored] = tf.tidy(() => {
      const x = input([3, 4, 4, channels], random, range);
      return [x.dataSync(), layer.inverse(layer.forward(x).z).dataSync()];
    });
    const error = maxAbsDifference(restored, x);
    assert.ok(error <= 1e-4, `max |x - x'| = ${error}`);
    layer.dispose();
  });

  Deno.test(`${name}: log-determinant equals the brute-force Jacobian's`, () => {
    const random = mulberry32(12);
    const layer = make(random);
    perturbVariables(Object.values(layer.variables), random, 0.3);
    const x = input([1, 2, 2, channels], random, range);
    const reported = tf.tidy(() => layer.forward(x).logDet.dataSync()[0]);
    const expected = bruteForceLogDet((v) => layer.forward(v).z, x);
    assert.ok(
      Math.abs(reported - expected) <= 1e-4 * Math.max(1, Math.abs(expected)),
      `reported ${reported}, brute force ${expected}`,
    );
    x.dispose();
    layer.dispose();
  });
}

for (const { name, make, range = DEFAULT_RANGE, channels = 4 } of CASES) {
  Deno.test(`${name}: the float64 twin maps as the block does and inverts to 1e-10`, () => {
    const random = mulberry32(14);
    const layer = make(random);
    perturbVariables(Object.values(layer.variables), random, 0.3);
    const x = input([2, 4, 4, channels], random, range);
    const expected = tf.tidy(() => layer.forward(x).z.dataSync());
    const twin = layer.float64();
    const z = twin.forward(array4Of(x));
    const scale = Math.max(1, ...Array.from(expected, Math.abs));
    const mismatch = maxAbsDifference(z.data, expected);
    assert.ok(mismatch <= 1e-5 * scale, `float64 vs float32: ${mismatch}`);
    const error = maxAbsDifference(twin.inverse(z).data, x.dataSync());
    assert.ok(error <= 1e-10, `max |x - x'| in float64 = ${error}`);
    x.dispose();
    layer.dispose();
  });
}

Deno.test("every block returns one log-determinant per example and leaks nothing", () => {
  for (const { name, make, range = DEFAULT_RANGE, channels = 4 } of CASES) {
    const random = mulberry32(13);
    const layer = make(random);
    const x = input([5, 2, 2, channels], random, range);
    const before = tf.memory().numTensors;
    const { z, logDet } = layer.forward(x);
    const back = layer.inverse(z);
    assert.deepEqual(logDet.shape, [5], name);
    assert.equal(tf.memory().numTensors, before + 3, `${name} leaked`);
    tf.dispose([x, z, logDet, back]);
    layer.dispose();
  }
});
