/**
 * Cross-attention from the U-Net's features to the prompt's tokens
 * (`text.injection` "cross" or "both"): the block against a plain-loop
 * reference and against the cpu backend's gradients, masked padding, the
 * empty prompt, and the config keys that choose it.
 */
import assert from "node:assert/strict";
import { tf } from "../../../backends/tf.ts";
import { initEngine } from "../../../backends/engine.ts";
import { mulberry32 } from "../../../data/random.ts";
import { CrossAttention } from "../../../models/ddpm/blocks.ts";
import { createDdpm } from "../../../models/ddpm/diffusion.ts";
import {
  defaultTextConfig,
  resolveDdpmConfig,
  storedDdpmConfig,
} from "../../../models/ddpm/presets.ts";
import { assertBackendsAgree, quietCpuBackend, Rng } from "../../_helpers.ts";
import { idsOf, TOKENS } from "./_prompt_ids.ts";

await initEngine({ threads: 1 });
quietCpuBackend();

const CHANNELS = 8, CONTEXT = 6, HEADS = 2, GROUPS = 4;
const [BATCH, SIDE, KEYS] = [2, 3, 5];
/** The null token always, then some tokens, then padding. */
const MASK = [[1, 1, 1, 0, 0], [1, 0, 1, 1, 1]];

/** A block whose every variable is nonzero (the output starts at zero). */
function block(seed: number): CrossAttention {
  const attention = new CrossAttention({
    channels: CHANNELS,
    contextWidth: CONTEXT,
    heads: HEADS,
    groups: GROUPS,
    random: mulberry32(seed),
  });
  for (const [name, variable] of Object.entries(attention.variables)) {
    if (/output|norm|bias/.test(name)) {
      const noise = new Rng(seed + name.length).uniform(variable.size, -.5, .5);
      tf.tidy(() =>
        variable.assign(tf.add(variable, tf.tensor(noise, variable.shape)))
      );
    }
  }
  return attention;
}

function inputs(seed: number) {
  const rng = new Rng(seed);
  return {
    x: tf.tensor4d(rng.uniform(BATCH * SIDE * SIDE * CHANNELS, -1, 1), [
      BATCH,
      SIDE,
      SIDE,
      CHANNELS,
    ]),
    context: tf.tensor3d(rng.uniform(BATCH * KEYS * CONTEXT, -1, 1), [
      BATCH,
      KEYS,
      CONTEXT,
    ]),
    mask: tf.tensor2d(MASK),
  };
}

Deno.test("CrossAttention is x + out(softmax(q k^T / sqrt(d / heads)) v) per head over the unmasked tokens", () => {
  const attention = block(1);
  const { x, context, mask } = inputs(2);
  const actual = tf.tidy(() =>
    attention.apply(x, context, mask).dataSync() as Float32Array
  );
  const v = (name: string) =>
    Array.from(attention.variables[name].dataSync() as Float32Array);
  const [scale, offset, qW, qB, kvW, kvB, oW, oB] = [
    "norm/scale",
    "norm/offset",
    "query/kernel",
    "query/bias",
    "keyValue/kernel",
    "keyValue/bias",
    "output/kernel",
    "output/bias",
  ].map(v);
  const dense = (row: number[], w: number[], b: number[], out: number) =>
    Array.from(
      { length: out },
      (_, j) =>
        b[j] + row.reduce((s, value, i) => s + value * w[i * out + j], 0),
    );
  const xs = Array.from(x.dataSync()), cs = Array.from(context.dataSync());
  const c = CHANNELS, size = c / HEADS, positions = SIDE * SIDE;
  const per = c / GROUPS;
  const expected: number[] = [];
  for (let b = 0; b < BATCH; b++) {
    const pixels = Array.from(
      { length: positions },
      (_, p) => xs.slice((b * positions + p) * c, (b * positions + p + 1) * c),
    );
    // GroupNorm: statistics per group of channels over every position.
    const normed = pixels.map((row) => [...row]);
    for (let g = 0; g < GROUPS; g++) {
      const values = pixels.flatMap((row) => row.slice(g * per, (g + 1) * per));
      const mean = values.reduce((a, z) => a + z) / values.length;
      const variance = values.reduce((a, z) => a + (z - mean) ** 2, 0) /
        values.length;
      for (const row of normed) {
        for (let ch = g * per; ch < (g + 1) * per; ch++) {
          row[ch] = (row[ch] - mean) / Math.sqrt(variance + 1e-5) * scale[ch] +
            offset[ch];
        }
      }
    }
    const kv = Array.from(
      { length: KEYS },
      (_, k) =>
        dense(
          cs.slice((b * KEYS + k) * CONTEXT, (b * KEYS + k + 1) * CONTEXT),
          kvW,
          kvB,
          2 * c,
        ),
    );
    const kept = kv.filter((_, k) => MASK[b][k] === 1);
    for (let p = 0; p < positions; p++) {
      const q = dense(normed[p], qW, qB, c);
      const attended: number[] = [];
      for (let head = 0; head < HEADS; head++) {
        const at = head * size;
        const scores = kept.map((row) =>
          q.slice(at, at + size).reduce((s, qi, i) => s + qi * row[at + i], 0) /
          Math.sqrt(size)
        );
        const top = Math.max(...scores);
        const weights = scores.map((s) => Math.exp(s - top));
        const total = weights.reduce((a, z) => a + z);
        for (let i = 0; i < size; i++) {
          attended.push(
            kept.reduce(
              (s, row, k) => s + weights[k] / total * row[c + at + i],
              0,
            ),
          );
        }
      }
      const out = dense(attended, oW, oB, c);
      expected.push(...pixels[p].map((value, ch) => value + out[ch]));
    }
  }
  assert.equal(actual.length, expected.length);
  actual.forEach((value, i) =>
    assert.ok(
      Math.abs(value - expected[i]) < 1e-4,
      `output ${i}: ${value}, expected ${expected[i]}`,
    )
  );
  tf.dispose([x, context, mask]);
  attention.dispose();
});

Deno.test("CrossAttention gradients of every variable, the features and the tokens agree on wasm and cpu", async () => {
  const names = (() => {
    const attention = block(3);
    const keys = Object.keys(attention.variables);
    attention.dispose();
    return keys;
  })();
  await assertBackendsAgree(
    () => {
      const attention = block(3);
      const { x, context, mask } = inputs(4);
      const weights = tf.tensor4d(
        new Rng(5).uniform(BATCH * SIDE * SIDE * CHANNELS, -1, 1),
        [BATCH, SIDE, SIDE, CHANNELS],
      );
      const variables = Object.values(attention.variables);
      const loss = () =>
        tf.sum(tf.mul(attention.apply(x, context, mask), weights));
      const { grads } = tf.variableGrads(loss as () => tf.Scalar, variables);
      const [dx, dContext] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
        tf.sum(
          tf.mul(
            attention.apply(a as tf.Tensor4D, b as tf.Tensor3D, mask),
            weights,
          ),
        )
      )([x, context]);
      const outputs = [
        attention.apply(x, context, mask),
        ...variables.map((variable) => grads[variable.name]),
        dx,
        dContext,
      ];
      attention.dispose();
      return outputs;
    },
    ["output", ...names, "d input", "d tokens"],
    1e-4,
  );
});

Deno.test("CrossAttention: masked tokens change nothing, unmasked ones do; a zero output projection passes the input through", () => {
  const attention = block(6);
  const { x, context, mask } = inputs(7);
  const run = (tokens: tf.Tensor3D) =>
    tf.tidy(() => Array.from(attention.apply(x, tokens, mask).dataSync()));
  const before = run(context);
  const shifted = (row: number, key: number) => {
    const values = Float32Array.from(context.dataSync());
    for (let i = 0; i < CONTEXT; i++) {
      values[(row * KEYS + key) * CONTEXT + i] += 100;
    }
    return tf.tensor3d(values, context.shape);
  };
  for (const [row, key] of [[0, 3], [0, 4], [1, 1]]) {
    const tokens = shifted(row, key);
    assert.deepEqual(run(tokens), before, `masked token ${row}/${key}`);
    tokens.dispose();
  }
  const real = shifted(1, 3);
  assert.notDeepEqual(run(real), before);
  real.dispose();
  // A new block (zero output) adds nothing.
  const fresh = new CrossAttention({
    channels: CHANNELS,
    contextWidth: CONTEXT,
    heads: HEADS,
    groups: GROUPS,
    random: mulberry32(0),
  });
  assert.deepEqual(
    tf.tidy(() => Array.from(fresh.apply(x, context, mask).dataSync())),
    Array.from(x.dataSync()),
  );
  assert.throws(
    () =>
      new CrossAttention({
        channels: 8,
        contextWidth: 4,
        heads: 3,
        groups: 4,
        random: mulberry32(0),
      }),
    /8 channels do not split into 3 heads/,
  );
  fresh.dispose();
  tf.dispose([x, context, mask]);
  attention.dispose();
});

/** A small cross text model: 8x8 images, 8/16 channels, T = 50. */
const SMALL = {
  imageSize: 8,
  baseWidth: 8,
  channelMultipliers: [1, 2],
  normGroups: 4,
  timesteps: 50,
  text: { width: 16, heads: 2, layers: 1, injection: "cross" as const },
};

/** Makes every cross block's output projection nonzero (it starts at zero). */
function wake(ddpm: ReturnType<typeof createDdpm>): void {
  for (const [name, variable] of ddpm.groups.model) {
    if (/cross\/output\/kernel|nullToken/.test(name)) {
      const noise = new Rng(name.length).uniform(variable.size, -.5, .5);
      tf.tidy(() => variable.assign(tf.tensor(noise, variable.shape)));
    }
  }
}

Deno.test("a cross text UNet: blocks at the lowest resolution, tokens and mask encoded once, padding and the empty prompt well-defined", () => {
  const ddpm = createDdpm(SMALL, mulberry32(1));
  wake(ddpm);
  assert.deepEqual(ddpm.config.text!.crossResolutions, [4]);
  const names = [...ddpm.groups.model.keys()];
  for (const part of ["down1", "middle", "up1"]) {
    assert.deepEqual(
      ddpm.groups.model.get(`${part}/cross/keyValue/kernel`)!.shape,
      [32, 32], // the U-Net's embedding width -> 2 x 16 channels
    );
  }
  assert.ok(!names.some((name) => /^(down0|up0)\/cross/.test(name)));
  // Cross only: no pooled head, a token head with its null token.
  assert.ok(!names.includes("text/output/kernel"));
  assert.ok(!names.includes("text/null/vector"));
  assert.deepEqual(ddpm.groups.model.get("text/tokenOutput/kernel")!.shape, [
    16,
    32,
  ]);
  assert.deepEqual(ddpm.groups.model.get("text/nullToken/vector")!.shape, [32]);
  tf.tidy(() => {
    const x = tf.tensor4d(new Rng(2).uniform(3 * 64), [3, 8, 8, 1]);
    const t = tf.tensor1d([3, 20, 49], "int32");
    const ids = idsOf(["a thick 7", "a thin 1", ""]);
    const encoding = ddpm.unet.encodePrompts(ids);
    assert.equal(encoding.pooled, undefined);
    assert.deepEqual(encoding.tokens!.shape, [3, 1 + TOKENS, 32]);
    const mask = encoding.mask!.arraySync();
    assert.deepEqual(mask[0].slice(0, 5), [1, 1, 1, 1, 0]); // null, a, thick, 7
    assert.deepEqual(mask[2], [1, ...new Array(TOKENS).fill(0)]);
    // The empty prompt's keys: the null token, then zeroed padding.
    const empty = encoding.tokens!.arraySync()[2];
    assert.deepEqual(
      empty[0],
      Array.from(ddpm.groups.model.get("text/nullToken/vector")!.dataSync()),
    );
    assert.ok(empty.slice(1).every((row) => row.every((value) => value === 0)));
    const out = ddpm.unet.apply(x, t, ids).arraySync();
    assert.deepEqual(ddpm.unet.apply(x, t, encoding).arraySync(), out);
    // An encoding without the parts cross-attention reads is refused.
    assert.throws(
      () => ddpm.unet.apply(x, t, { tokens: encoding.tokens }),
      /injection "cross" needs the prompt encoding's mask/,
    );
    assert.ok(out.flat(3).every(Number.isFinite), "finite for every prompt");
    const other = ddpm.unet.apply(x, t, idsOf(["a thick 7", "a thin 3", ""]))
      .arraySync();
    assert.deepEqual(other[0], out[0]);
    assert.notDeepEqual(other[1], out[1]); // each image follows its prompt
    // No prompt is the empty prompt.
    assert.deepEqual(
      ddpm.unet.apply(x, t).arraySync()[2],
      out[2],
    );
  });
  // The padding's embedding reaches no output.
  const table = ddpm.groups.model.get("text/tokens/table")!;
  const run = () =>
    tf.tidy(() =>
      ddpm.unet.apply(
        tf.tensor4d(new Rng(2).uniform(3 * 64), [3, 8, 8, 1]),
        tf.tensor1d([3, 20, 49], "int32"),
        idsOf(["a thick 7", "one", ""]),
      ).arraySync()
    );
  const before = run();
  tf.tidy(() =>
    table.assign(
      tf.concat([
        tf.add(tf.slice(table, [0, 0], [1, 16]), 5),
        tf.slice(table, [1, 0], [-1, 16]),
      ]),
    )
  );
  assert.deepEqual(run(), before);
  // Guided sampling from prompts, the empty one among them: finite, and
  // the encodings go with the run.
  const tensors = tf.memory().numTensors;
  const images = tf.tidy(() =>
    Array.from(
      ddpm.sample({ count: 2, seed: 5, steps: 3, prompts: ["one", ""] })
        .dataSync(),
    )
  );
  assert.equal(tf.memory().numTensors, tensors);
  assert.ok(images.every(Number.isFinite));
  ddpm.dispose();
});

Deno.test("a cross text model's loss trains the token head, the null token and the blocks' projections", () => {
  const ddpm = createDdpm({ ...SMALL, labelDropout: 0.5 }, mulberry32(2));
  wake(ddpm);
  const names = [
    "text/tokens/table",
    "text/tokenOutput/kernel",
    "text/nullToken/vector",
    "middle/cross/query/kernel",
    "up1/cross/keyValue/kernel",
  ];
  tf.tidy(() => {
    const images = tf.tensor4d(new Rng(3).uniform(4 * 64), [4, 8, 8, 1]);
    const ids = idsOf(["a thick 7", "one", "a small 2", "a thin 3"]);
    const t = tf.tensor1d([1, 10, 20, 40], "int32");
    const variables = names.map((name) => ddpm.groups.model.get(name)!);
    const { grads } = tf.variableGrads(
      () => tf.mean(tf.square(ddpm.unet.apply(images, t, ids))) as tf.Scalar,
      variables,
    );
    variables.forEach((variable, i) =>
      assert.ok(
        grads[variable.name]?.dataSync().some((g) => g !== 0) ?? false,
        `${names[i]} gets no gradient`,
      )
    );
  });
  ddpm.dispose();
});

Deno.test("resolveDdpmConfig(): text.injection and crossResolutions, both at the lowest resolution by default", () => {
  const fresh = resolveDdpmConfig("ddpm", { text: {} }).text!;
  assert.deepEqual([fresh.injection, fresh.crossResolutions], ["both", [7]]);
  const pooled = resolveDdpmConfig("ddpm", { text: { injection: "pooled" } });
  assert.deepEqual(pooled.text!.crossResolutions, []);
  // A text block from before the keys (an old checkpoint's) is pooled.
  const { injection: _, crossResolutions: __, ...old } = defaultTextConfig();
  assert.deepEqual(
    resolveDdpmConfig("ddpm", storedDdpmConfig({ text: old })).text,
    pooled.text,
  );
  const cross = resolveDdpmConfig("ddpm", { text: { injection: "cross" } });
  assert.deepEqual(cross.text!.crossResolutions, [7]);
  const both = resolveDdpmConfig("ddpm", {
    text: { injection: "both", crossResolutions: [14, 7] },
  });
  assert.deepEqual(both.text!.crossResolutions, [14, 7]);
  // Resolving a resolved config again changes nothing (a checkpoint's).
  assert.deepEqual(resolveDdpmConfig("ddpm", { text: cross.text }), cross);
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ injection: "attention" }, /"injection" must be pooled or cross or both/],
    [{ injection: 1 }, /"injection" must be a string/],
    [
      { injection: "pooled", crossResolutions: [7] },
      /"crossResolutions" needs injection "cross"/,
    ],
    [
      { injection: "cross", crossResolutions: [5] },
      /"crossResolutions": 5 is not a level resolution \(28, 14, 7\)/,
    ],
    [
      { injection: "cross", heads: 3, width: 48 },
      /64 channels at 7x7 do not split into 3 cross-attention heads/,
    ],
    [{ depth: 1 }, /unknown ddpm text config key "depth"/],
  ];
  for (const [text, message] of bad) {
    assert.throws(() => resolveDdpmConfig("ddpm", { text }), message);
  }
});
