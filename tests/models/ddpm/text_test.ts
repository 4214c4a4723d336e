/**
 * The text-conditioned diffusion model: its config block, the prompt
 * vector added to the time embedding, prompt dropout in the loss, and
 * guided sampling from prompts with the empty prompt as the unconditional
 * branch.
 */
import assert from "node:assert/strict";
import { tf } from "../../../backends/tf.ts";
import { initEngine } from "../../../backends/engine.ts";
import { mulberry32 } from "../../../data/random.ts";
import { createDdpm } from "../../../models/ddpm/diffusion.ts";
import { ddpmFamily } from "../../../models/ddpm/family.ts";
import { guideWith } from "../../../models/ddpm/guidance.ts";
import {
  diffusionLoss,
  dropLabels,
  dropPrompts,
  evaluateNoiseLoss,
  uniformTimesteps,
} from "../../../models/ddpm/objective.ts";
import {
  defaultTextConfig,
  resolveDdpmConfig,
} from "../../../models/ddpm/presets.ts";
import { qSample, trainingTarget } from "../../../models/ddpm/process.ts";
import { Rng, rootMeanSquare } from "../../_helpers.ts";
import { idsOf, vocabulary } from "./_prompt_ids.ts";

await initEngine({ threads: 2 });

/** A small, fast text model: 8x8 images, 8/16 channels, T = 50, a 1-block encoder. */
const SMALL = {
  imageSize: 8,
  baseWidth: 8,
  channelMultipliers: [1, 2],
  normGroups: 4,
  timesteps: 50,
};
/** The pooled path alone (cross-attention: cross_attention_test.ts). */
const TEXT = { width: 16, heads: 2, layers: 1, injection: "pooled" as const };

Deno.test("resolveDdpmConfig() takes a text block apart from the preset's keys, strictly", () => {
  const config = resolveDdpmConfig("ddpm", { text: { layers: 1 } });
  assert.deepEqual(config.text, {
    ...defaultTextConfig(),
    layers: 1,
    crossResolutions: [7], // "both" by default, at the lowest resolution
  });
  assert.equal(config.text!.vocabulary.length, vocabulary.size);
  assert.deepEqual(config.text!.vocabulary, vocabulary.toJson().tokens);
  assert.equal(resolveDdpmConfig("ddpm").text, undefined);
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ conditional: true, text: {} }, /class labels .* or on text, not both/],
    [{ text: true }, /"text" must be an object/],
    [{ text: { depth: 2 } }, /unknown ddpm text config key "depth"/],
    [
      { text: { injecton: "both" } },
      /key "injecton": use vocabulary, .*, injection, crossResolutions$/,
    ],
    [{ text: { width: "16" } }, /"width" must be a number/],
    [{ text: { heads: 5 } }, /width 64 does not split into 5 heads/],
    [
      { text: { vocabulary: ["a", "b"] } },
      /"tokens": \["<pad>", \.\.\.words\]/,
    ],
    [{ text: { dataset: "cifar" } }, /"dataset" must be mnist or fashion/],
    [{ text: { heldOut: [{ value: "thick", label: 12 }] } }, /label 12/],
    [
      { text: { heldOut: [{ value: "huge", label: 1 }] } },
      /"huge" is no attribute class/,
    ],
  ];
  for (const [overrides, message] of bad) {
    assert.throws(() => resolveDdpmConfig("ddpm", overrides), message);
  }
});

Deno.test("UNet of a text model: encoder variables under text/, output follows the prompt, no prompt is the empty one", () => {
  const plain = createDdpm(SMALL, mulberry32(1));
  const ddpm = createDdpm({ ...SMALL, text: TEXT }, mulberry32(1));
  const names = [...ddpm.groups.model.keys()];
  assert.ok(names.includes("text/tokens/table"));
  assert.ok(names.includes("text/block0/attention/qkv/kernel"));
  assert.ok(names.includes("text/null/vector"));
  assert.deepEqual(
    ddpm.groups.model.get("text/output/kernel")!.shape,
    [16, 32], // encoder width -> the U-Net's embedding width, 4 x 8
  );
  const encoder = names.filter((name) => name.startsWith("text/"));
  let extra = 0;
  for (const name of encoder) extra += ddpm.groups.model.get(name)!.size;
  assert.equal(ddpm.parameterCount(), plain.parameterCount() + extra);
  tf.tidy(() => {
    const x = tf.tensor4d(new Rng(2).uniform(3 * 64), [3, 8, 8, 1]);
    const t = tf.tensor1d([3, 20, 49], "int32");
    const run = (prompts?: string[]) =>
      ddpm.unet.apply(x, t, prompts && idsOf(prompts)).arraySync();
    const a = run(["a thick 7", "a thin 1", "seven"]);
    const b = run(["a thick 7", "a thin 3", "seven"]);
    assert.deepEqual(a[0], b[0]);
    assert.notDeepEqual(a[1], b[1]); // each image follows its own prompt
    assert.deepEqual(run(), run(["", "", ""]));
    assert.notDeepEqual(run()[0], a[0]);
    // Sampling hands the U-Net prompt vectors encoded once: the same output.
    const ids = idsOf(["a thick 7", "a thin 1", "seven"]);
    const encoding = ddpm.unet.encodePrompts(ids);
    assert.deepEqual(encoding.pooled!.shape, [3, 32]);
    assert.equal(encoding.pooled!.dtype, "float32");
    assert.equal(encoding.tokens, undefined); // pooled only: no token head
    assert.deepEqual(ddpm.unet.apply(x, t, encoding).arraySync(), a);
    assert.throws(
      () => ddpm.unet.apply(x, t, tf.tensor1d([1, 2, 3], "int32")),
      /text U-Net takes \(batch, tokens\) int32 prompt ids or their encoding, got int32 shape \[3\]/,
    );
  });
  plain.dispose();
  ddpm.dispose();
});

Deno.test("a text U-Net's encoder follows the U-Net's init: N(0, 1) token rows under torch", () => {
  const bounds = { torch: [0.9, 1.1], glorot: [0, 0.2] } as const;
  for (const [init, [low, high]] of Object.entries(bounds)) {
    const ddpm = createDdpm(
      { ...SMALL, text: TEXT, init: init as keyof typeof bounds },
      mulberry32(4),
    );
    const table = ddpm.groups.model.get("text/tokens/table")!;
    const found = rootMeanSquare(table.dataSync());
    assert.ok(found > low && found < high, `${init}: token table rms ${found}`);
    ddpm.dispose();
  }
});

Deno.test("dropPrompts() empties the prompts dropLabels() would drop, and only those", () => {
  const count = 400;
  const prompts = Int32Array.from(
    { length: count * 3 },
    (_, i) => 1 + (i % 7),
  );
  tf.tidy(() => {
    const dropped = dropPrompts(
      tf.tensor2d(prompts, [count, 3], "int32"),
      0.3,
      42,
    ).arraySync();
    const labels = dropLabels(
      tf.tensor1d(new Int32Array(count), "int32"),
      0.3,
      10,
      42,
    ).arraySync();
    let empty = 0;
    dropped.forEach((row, i) => {
      if (labels[i] === 10) {
        assert.deepEqual(row, [0, 0, 0]);
        empty++;
      } else {
        assert.deepEqual(row, [...prompts.subarray(3 * i, 3 * i + 3)]);
      }
    });
    assert.ok(empty > 80 && empty < 160, `dropped ${empty} of ${count}`);
  });
});

Deno.test("diffusionLoss() of a text model is the MSE with the seeded share of prompts emptied, and trains the encoder", () => {
  const ddpm = createDdpm(
    { ...SMALL, labelDropout: 0.5, text: TEXT },
    mulberry32(2),
  );
  const seeds = { timesteps: 11, noise: 12, labels: 13 };
  tf.tidy(() => {
    const images = tf.tensor4d(new Rng(3).uniform(4 * 64), [4, 8, 8, 1]);
    const ids = idsOf(["a thick 7", "one", "a small 2", "a thin 3"]);
    const loss = diffusionLoss(ddpm, images, ids, seeds).dataSync()[0];
    const t = uniformTimesteps(4, 50, seeds.timesteps);
    const noise = tf.randomNormal(
      [4, 8, 8, 1],
      0,
      1,
      "float32",
      seeds.noise,
    ) as tf.Tensor4D;
    const shown = dropPrompts(ids, 0.5, seeds.labels);
    const dropped = shown.arraySync().filter((row) => row.every((id) => !id));
    assert.ok(dropped.length > 0 && dropped.length < 4, "seed drops some");
    const output = ddpm.unet.apply(
      qSample(ddpm.schedule, images, t, noise),
      t,
      shown,
    );
    const target = trainingTarget("epsilon", ddpm.schedule, images, noise, t);
    const expected = tf.mean(tf.squaredDifference(output, target))
      .dataSync()[0];
    assert.ok(Math.abs(loss - expected) < 1e-6, `${loss} vs ${expected}`);
    // The loss reaches the encoder: its token table and null vector.
    const variables = ["text/tokens/table", "text/null/vector"].map((name) =>
      ddpm.groups.model.get(name)!
    );
    const { grads } = tf.variableGrads(
      () => diffusionLoss(ddpm, images, ids, seeds),
      variables,
    );
    for (const variable of variables) {
      const gradient = grads[variable.name].dataSync();
      assert.ok(gradient.some((g) => g !== 0), `${variable.name} gets none`);
    }
  });
  // The test loss captions each image; it is repeatable.
  const set = {
    images: new Rng(4).uniform(6 * 64),
    labels: Uint8Array.of(0, 1, 2, 3, 4, 5),
    shape: [6, 8, 8, 1] as [number, number, number, number],
  };
  const first = evaluateNoiseLoss(ddpm, set, { batchSize: 4 });
  assert.equal(evaluateNoiseLoss(ddpm, set, { batchSize: 4 }), first);
  assert.ok(Number.isFinite(first));
  ddpm.dispose();
});

Deno.test("guideWith() on prompts is eps(empty) + w (eps(prompt) - eps(empty)) from one pass", () => {
  const calls: number[][][] = [];
  // A stub: the noise is x times (1 + the prompt's first id).
  const predict = (x: tf.Tensor4D, _t: number, ids: tf.Tensor) => {
    calls.push((ids as tf.Tensor2D).arraySync());
    const first = tf.cast(tf.slice(ids, [0, 0], [-1, 1]), "float32");
    return tf.mul(
      x,
      tf.reshape(tf.add(first, 1), [-1, 1, 1, 1]),
    ) as tf.Tensor4D;
  };
  const guided = tf.tidy(() => {
    const ids = tf.tensor2d([[4, 2], [9, 0]], [2, 2], "int32");
    return guideWith(
      predict,
      tf.ones([2, 1, 1, 1]),
      7,
      ids,
      tf.zerosLike(ids),
      3,
    )
      .arraySync();
  });
  // Empty prompt: 1; prompts: 5 and 10.
  assert.deepEqual(guided.flat(3), [1 + 3 * (5 - 1), 1 + 3 * (10 - 1)]);
  assert.deepEqual(calls, [[[4, 2], [9, 0], [0, 0], [0, 0]]]);
});

Deno.test("Ddpm.sample() guides towards prompts; the empty prompt is unconditional; unknown words are refused", () => {
  const ddpm = createDdpm({ ...SMALL, text: TEXT }, mulberry32(3));
  const draw = (options: object) =>
    tf.tidy(() =>
      Array.from(
        ddpm.sample({ count: 2, seed: 5, steps: 3, ...options }).dataSync(),
      )
    );
  const unconditional = draw({});
  assert.deepEqual(draw({ prompts: ["", ""] }), unconditional);
  assert.deepEqual(
    draw({ prompts: ["a thick 7", "one"], guidance: 0 }),
    unconditional,
  );
  const prompted = draw({ prompts: ["a thick 7", "one"] });
  assert.notDeepEqual(prompted, unconditional);
  // The prompts' vectors, encoded once per run, go with the run.
  const tensors = tf.memory().numTensors;
  ddpm.sample({ count: 2, seed: 5, steps: 3, prompts: ["a thick 7", "one"] })
    .dispose();
  assert.equal(tf.memory().numTensors, tensors);
  assert.deepEqual(draw({ prompts: ["a thick 7", "one"] }), prompted);
  assert.throws(
    () => draw({ prompts: ["a thik 7", "one"] }),
    /unknown word "thik" \(did you mean: thick, thin\)/,
  );
  assert.throws(() => draw({ prompts: ["one"] }), /1 prompts for 2 images/);
  assert.throws(
    () => draw({ prompts: ["one", "two"], labels: [1, 2] }),
    /class labels or prompts, not both/,
  );
  // generate() prompts a class per image.
  const grid = tf.tidy(() => ddpm.generate(3, 1).shape);
  assert.deepEqual(grid, [3, 8, 8, 1]);
  ddpm.dispose();
  const plain = createDdpm(SMALL, mulberry32(3));
  assert.throws(
    () => plain.sample({ count: 1, seed: 1, steps: 2, prompts: ["one"] }),
    /prompts need a text-conditioned model/,
  );
  plain.dispose();
});

Deno.test("ddpmFamily.sample() of a text model draws a row per prompt, or per class without prompts", () => {
  const ddpm = createDdpm({ ...SMALL, text: TEXT }, mulberry32(3));
  const test = {
    images: new Float32Array(64),
    labels: Uint8Array.of(0),
    shape: [1, 8, 8, 1] as [number, number, number, number],
  };
  const draw = (request: Record<string, unknown>) =>
    tf.tidy(() =>
      ddpmFamily.sample(ddpm, {
        count: 4,
        seed: 1,
        kind: "samples",
        test,
        samplerSteps: 1,
        ...request,
      }).shape
    );
  assert.deepEqual(draw({ prompts: ["a thick 7", "", "one"] }), [24, 8, 8, 1]);
  assert.deepEqual(draw({}), [80, 8, 8, 1]); // ten classes, eight each
  assert.deepEqual(
    draw({ kind: "chain", prompts: ["one", "two"] }),
    [16, 8, 8, 1], // two chains of eight pictures
  );
  assert.throws(() => draw({ classLabel: 2 }), /ask for a class with --prompt/);
  ddpm.dispose();
  const plain = createDdpm(SMALL, mulberry32(3));
  assert.throws(
    () =>
      ddpmFamily.sample(plain, {
        count: 1,
        seed: 1,
        kind: "samples",
        test,
        prompts: ["one"],
      }),
    /--prompt needs a text-conditioned model/,
  );
  plain.dispose();
});

Deno.test("a text ddpm has no PyTorch state dict: export refuses it, naming the text block", () => {
  const ddpm = createDdpm({ preset: "ddpm-small", text: TEXT }, mulberry32(0));
  assert.throws(
    () => ddpmFamily.torch!(ddpm),
    /ddpm-small has a text block; the PyTorch reference module .* has no prompt encoder/,
  );
  ddpm.dispose();
});
