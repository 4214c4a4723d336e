import assert from "node:assert/strict";
import { tf } from "../../../backends/tf.ts";
import { initEngine } from "../../../backends/engine.ts";
import { mulberry32 } from "../../../data/random.ts";
import {
  ResBlock,
  SelfAttention,
  sinusoidalFeatures,
} from "../../../models/ddpm/blocks.ts";
import { UNet } from "../../../models/ddpm/model.ts";
import { resolveDdpmConfig } from "../../../models/ddpm/presets.ts";
import { groupNorm } from "../../../models/group_norm.ts";
import { assertClose, Rng } from "../../_helpers.ts";
import { canonicalUnetParameters } from "./_unet_parameters.ts";

await initEngine({ threads: 2 });

/** A small, fast configuration: 8x8 images, 8/16 channels, attention at both levels. */
const SMALL = {
  imageSize: 8,
  baseWidth: 8,
  channelMultipliers: [1, 2],
  normGroups: 4,
  timesteps: 50,
  attentionResolutions: [8, 4],
};

function countParameters(unet: UNet): number {
  let count = 0;
  for (const variable of unet.variables().values()) count += variable.size;
  return count;
}

Deno.test("UNet() builds the canonical ddpm: 694561 parameters, 695969 conditional", () => {
  const unet = new UNet(resolveDdpmConfig("ddpm"), mulberry32(0));
  assert.equal(canonicalUnetParameters(), 694561);
  assert.equal(countParameters(unet), canonicalUnetParameters());
  const shapes = new Map(
    [...unet.variables()].map(([name, variable]) => [name, variable.shape]),
  );
  assert.equal(shapes.size, 96);
  for (
    const [name, shape] of [
      ["time/dense1/kernel", [32, 128]],
      ["time/dense2/kernel", [128, 128]],
      ["input/kernel", [3, 3, 1, 32]],
      ["down0/res/conv1/kernel", [3, 3, 32, 32]],
      ["down0/res/time/kernel", [128, 32]],
      ["down0/resample/kernel", [3, 3, 32, 32]],
      ["down1/res/skip/kernel", [1, 1, 32, 64]],
      ["down1/resample/kernel", [3, 3, 64, 64]],
      ["down2/res/conv2/kernel", [3, 3, 64, 64]],
      ["middle/res/norm1/scale", [64]],
      ["up2/res/norm1/scale", [128]],
      ["up2/res/conv1/kernel", [3, 3, 128, 64]],
      ["up2/res/skip/kernel", [1, 1, 128, 64]],
      ["up2/resample/kernel", [3, 3, 64, 64]],
      ["up1/res/conv1/kernel", [3, 3, 128, 64]],
      ["up0/res/conv1/kernel", [3, 3, 96, 32]],
      ["up0/res/skip/kernel", [1, 1, 96, 32]],
      ["output/norm/scale", [32]],
      ["output/conv/kernel", [3, 3, 32, 1]],
      ["output/conv/bias", [1]],
    ] as const
  ) {
    assert.deepEqual(shapes.get(name), shape, name);
  }
  // No skip convolution where the channels stay, no attention, no labels.
  assert.ok(!shapes.has("down0/res/skip/kernel"));
  assert.ok(!shapes.has("up0/resample/kernel"));
  assert.ok(![...shapes.keys()].some((name) => /attention|label/.test(name)));
  const out = tf.tidy(() =>
    unet.apply(tf.zeros([2, 28, 28, 1]), tf.tensor1d([0, 999], "int32")).shape
  );
  assert.deepEqual(out, [2, 28, 28, 1]);
  unet.dispose();

  const conditional = new UNet(
    resolveDdpmConfig("ddpm", { conditional: true }),
    mulberry32(0),
  );
  assert.equal(canonicalUnetParameters(true), 695969);
  assert.equal(countParameters(conditional), canonicalUnetParameters(true));
  assert.deepEqual(conditional.variables().get("label/table")!.shape, [
    11,
    128,
  ]);
  conditional.dispose();
});

Deno.test("UNet.apply() keeps the image shape and uses every parameter (attention, labels)", () => {
  const config = resolveDdpmConfig("ddpm", { ...SMALL, conditional: true });
  const unet = new UNet(config, mulberry32(1));
  const variables = [...unet.variables()];
  assert.ok(variables.some(([name]) => name === "down0/attention/qkv/kernel"));
  assert.ok(variables.some(([name]) => name === "middle/attention/qkv/kernel"));
  const x = new Rng(2).uniform(2 * 64, -1, 1);
  const tensorsBefore = tf.memory().numTensors;
  tf.tidy(() => {
    const { value, grads } = tf.variableGrads(() => {
      const out = unet.apply(
        tf.tensor4d(x, [2, 8, 8, 1]),
        tf.tensor1d([3, 40], "int32"),
        tf.tensor1d([4, 10], "int32"),
      );
      assert.deepEqual(out.shape, [2, 8, 8, 1]);
      return tf.sum(tf.square(out));
    }, variables.map(([, variable]) => variable));
    // Random weights: no value to expect; the gradients below are the check.
    assert.ok(Number.isFinite(value.dataSync()[0]));
    for (const [name, variable] of variables) {
      const grad = grads[variable.name];
      if (name === "label/table") {
        // Only the rows of labels 4 and 10 are used.
        const rows = tf.sum(tf.abs(grad), 1).dataSync();
        assert.deepEqual(
          [...rows].map((r, i) => r > 0 ? i : -1).filter((i) => i >= 0),
          [4, 10],
        );
        continue;
      }
      assert.ok(
        grad && tf.max(tf.abs(grad)).dataSync()[0] > 0,
        `no gradient reaches ${name}`,
      );
    }
  });
  assert.equal(tf.memory().numTensors, tensorsBefore);
  unet.dispose();
});

Deno.test("UNet.apply() of a conditional model depends on the label; 'no label' is the default", () => {
  const unet = new UNet(
    resolveDdpmConfig("ddpm", { ...SMALL, conditional: true, classes: 3 }),
    mulberry32(4),
  );
  assert.equal(unet.nullLabel, 3);
  tf.tidy(() => {
    const x = tf.randomNormal([1, 8, 8, 1], 0, 1, "float32", 5) as tf.Tensor4D;
    const t = tf.tensor1d([10], "int32");
    const run = (
      labels?: number[],
    ) => [
      ...unet.apply(x, t, labels && tf.tensor1d(labels, "int32")).dataSync(),
    ];
    // Labels matter (random weights: no value to expect for either).
    assert.notDeepEqual(run([0]), run([1]));
    assert.deepEqual(run(), run([3]));
  });
  unet.dispose();
  const unconditional = new UNet(
    resolveDdpmConfig("ddpm", SMALL),
    mulberry32(0),
  );
  tf.tidy(() => {
    assert.throws(
      () =>
        unconditional.apply(
          tf.zeros([1, 8, 8, 1]),
          tf.tensor1d([0], "int32"),
          tf.tensor1d([0], "int32"),
        ),
      /labels given to an unconditional U-Net/,
    );
  });
  unconditional.dispose();
});

Deno.test("sinusoidalFeatures() is [sin(t f_i), cos(t f_i)] with f_i = 10000^(-i / (h - 1))", () => {
  const features = sinusoidalFeatures(1000, 32);
  for (const t of [0, 1, 500, 999]) {
    for (const i of [0, 5, 15]) {
      const angle = t * 10000 ** (-i / 15);
      assert.ok(
        Math.abs(features[t * 32 + i] - Math.sin(angle)) < 1e-6,
        `sin t=${t} i=${i}`,
      );
      assert.ok(
        Math.abs(features[t * 32 + 16 + i] - Math.cos(angle)) < 1e-6,
        `cos t=${t} i=${i}`,
      );
    }
  }
  assert.throws(() => sinusoidalFeatures(10, 5), /even size >= 4/);
});

Deno.test("ResBlock.apply() is input + block(input), through a 1x1 conv when channels change", () => {
  for (const [inputChannels, outputChannels] of [[4, 4], [4, 8]]) {
    const block = new ResBlock({
      inputChannels,
      outputChannels,
      embeddingWidth: 6,
      groups: 2,
      random: mulberry32(7),
    });
    const x = new Rng(8).uniform(2 * 9 * inputChannels);
    tf.tidy(() => {
      const input = tf.tensor4d(x, [2, 3, 3, inputChannels]);
      const embedding = tf.randomNormal(
        [2, 6],
        0,
        1,
        "float32",
        9,
      ) as tf.Tensor2D;
      // Zero the second convolution: only the residual path is left.
      const { conv2, skip } = block.layers;
      conv2.variables.kernel.assign(tf.zerosLike(conv2.variables.kernel));
      const expected = skip ? skip.apply(input) : input;
      assertClose(
        block.apply(input, embedding).dataSync(),
        expected.dataSync(),
        1e-6,
        `${inputChannels} -> ${outputChannels}`,
      );
    });
    block.dispose();
  }
});

Deno.test("SelfAttention.apply() matches a plain-loop softmax(q k^T / sqrt(c)) v", () => {
  const channels = 4, positions = 6;
  const attention = new SelfAttention({
    channels,
    groups: 2,
    random: mulberry32(3),
  });
  const x = new Rng(6).uniform(positions * channels, -2, 2);
  const { qkv, output, norm } = attention.layers;
  const [wQkv, bQkv, wOut, bOut] = [
    qkv.variables.kernel,
    qkv.variables.bias,
    output.variables.kernel,
    output.variables.bias,
  ].map((v) => v.dataSync() as Float32Array);
  const normalized = tf.tidy(() =>
    groupNorm(
      tf.tensor4d(x, [1, 2, 3, channels]),
      2,
      norm.variables.scale as tf.Tensor1D,
      norm.variables.offset as tf.Tensor1D,
    ).dataSync() as Float32Array
  );
  // q, k, v: (positions, channels) each, from one (channels, 3 channels) projection.
  const project = (p: number, column: number) => {
    let sum = bQkv[column];
    for (let c = 0; c < channels; c++) {
      sum += normalized[p * channels + c] * wQkv[c * 3 * channels + column];
    }
    return sum;
  };
  const expected = new Float32Array(x.length);
  for (let p = 0; p < positions; p++) {
    const scores = Array.from({ length: positions }, (_, r) => {
      let dot = 0;
      for (let c = 0; c < channels; c++) {
        dot += project(p, c) * project(r, channels + c);
      }
      return dot / Math.sqrt(channels);
    });
    const top = Math.max(...scores);
    const weights = scores.map((s) => Math.exp(s - top));
    const total = weights.reduce((a, b) => a + b);
    const attended = Array.from(
      { length: channels },
      (_, c) =>
        weights.reduce(
          (sum, w, r) => sum + w / total * project(r, 2 * channels + c),
          0,
        ),
    );
    for (let o = 0; o < channels; o++) {
      let sum = bOut[o];
      for (let c = 0; c < channels; c++) {
        sum += attended[c] * wOut[c * channels + o];
      }
      expected[p * channels + o] = x[p * channels + o] + sum;
    }
  }
  const actual = tf.tidy(() =>
    attention.apply(tf.tensor4d(x, [1, 2, 3, channels]))
      .dataSync() as Float32Array
  );
  assertClose(actual, expected, 1e-5, "self-attention");
  attention.dispose();
});

Deno.test("UNet's init: torch draws every conv and dense kernel and bias from U(+-1/sqrt(fan in)); glorot keeps biases at zero", () => {
  for (const init of ["torch", "glorot"] as const) {
    const unet = new UNet(
      resolveDdpmConfig("ddpm-small", { attentionResolutions: [7], init }),
      mulberry32(3),
    );
    let layers = 0;
    const variables = unet.variables();
    for (const [name, variable] of variables) {
      if (!/(^|\/)(kernel|bias)$/.test(name) || name.includes("norm")) {
        continue;
      }
      const kernelName = name.replace(/bias$/, "kernel");
      const kernelShape = variables.get(kernelName)!.shape;
      // Fan in: every dimension of the kernel but the last (outputs).
      const fanIn = kernelShape.slice(0, -1).reduce((a, b) => a * b, 1);
      const values = variable.dataSync() as Float32Array;
      const largest = values.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      if (init === "torch") {
        assert.ok(largest <= 1 / Math.sqrt(fanIn), `${name}: ${largest}`);
        // Drawn, not zero: the largest of >= 8 uniform draws is over a fifth
        // of the bound except with probability 0.2^8.
        assert.ok(largest > 0.2 / Math.sqrt(fanIn), `${name}: ${largest}`);
      } else if (name.endsWith("bias")) {
        assert.equal(largest, 0, name);
      }
      layers++;
    }
    assert.ok(layers > 40, `${layers} kernels and biases`);
    unet.dispose();
  }
});

Deno.test("UNet's init: torch draws the label table N(0, 1) as nn.Embedding does; glorot within its bound", () => {
  for (const init of ["torch", "glorot"] as const) {
    const config = resolveDdpmConfig("ddpm-small", { conditional: true, init });
    const unet = new UNet(config, mulberry32(5));
    const table = unet.variables().get("label/table")!;
    const [rows, width] = table.shape;
    const values = table.dataSync() as Float32Array;
    const mean = values.reduce((sum, v) => sum + v, 0) / values.length;
    const deviation = Math.sqrt(
      values.reduce((sum, v) => sum + (v - mean) ** 2, 0) / values.length,
    );
    if (init === "torch") {
      // rows x width >= 1000 draws: the sample deviation is within 0.1 of 1.
      assert.ok(Math.abs(deviation - 1) < 0.1, `deviation ${deviation}`);
      assert.ok(Math.abs(mean) < 0.1, `mean ${mean}`);
    } else {
      const limit = Math.sqrt(6 / (rows + width));
      assert.ok(values.every((v) => Math.abs(v) <= limit));
      assert.ok(deviation < limit, `deviation ${deviation}`);
    }
    unet.dispose();
  }
});
