import assert from "node:assert/strict";
import { tf } from "../../../backends/tf.ts";
import { initEngine } from "../../../backends/engine.ts";
import { mulberry32 } from "../../../data/random.ts";
import {
  TextEncoder,
  type TextEncoderConfig,
} from "../../../models/text/encoder.ts";
import {
  assertBackendsAgree,
  quietCpuBackend,
  Rng,
  rootMeanSquare,
} from "../../_helpers.ts";

await initEngine({ threads: 2 });
quietCpuBackend();

const CONFIG: TextEncoderConfig = {
  vocabularySize: 12,
  maxTokens: 6,
  width: 8,
  heads: 2,
  layers: 2,
  outputWidth: 5,
};

/** A prompt with padding, a full one, an empty one. */
const IDS = [
  [3, 7, 1, 0, 0, 0],
  [2, 11, 5, 5, 9, 4],
  [0, 0, 0, 0, 0, 0],
];

/** A loss that weighs every output differently: sum(output * weights). */
function weightedLoss(encoder: TextEncoder, ids: number[][]): tf.Scalar {
  const weights = new Rng(5).uniform(ids.length * CONFIG.outputWidth, -1, 1);
  return tf.tidy(() =>
    tf.sum(
      tf.mul(
        encoder.apply(tf.tensor2d(ids, undefined, "int32")),
        tf.tensor2d(weights, [ids.length, CONFIG.outputWidth]),
      ),
    )
  );
}

/** Gradient of {@link weightedLoss} for every variable, by name. */
function gradients(encoder: TextEncoder): [string, tf.Tensor][] {
  const variables = Object.entries(encoder.variables());
  const { value, grads } = tf.variableGrads(
    () => weightedLoss(encoder, IDS),
    variables.map(([, variable]) => variable),
  );
  value.dispose();
  return variables.map(([name, variable]) => [name, grads[variable.name]]);
}

/** The outputs for `ids` as plain rows. */
function encode(encoder: TextEncoder, ids: number[][]): number[][] {
  return tf.tidy(() =>
    encoder.apply(tf.tensor2d(ids, undefined, "int32")).arraySync()
  );
}

/** Sets variable `name` to `f(old values)`. */
function change(
  encoder: TextEncoder,
  name: string,
  f: (values: Float32Array) => void,
): void {
  const variable = encoder.variables()[name];
  const values = Float32Array.from(variable.dataSync() as Float32Array);
  f(values);
  tf.tidy(() => variable.assign(tf.tensor(values, variable.shape)));
}

Deno.test("TextEncoder names its variables and draws them from the seed", () => {
  const a = new TextEncoder(CONFIG, mulberry32(3));
  const b = new TextEncoder(CONFIG, mulberry32(3));
  const shapes = Object.fromEntries(
    Object.entries(a.variables()).map(([name, v]) => [name, v.shape]),
  );
  assert.deepEqual(shapes["tokens/table"], [12, 8]);
  assert.deepEqual(shapes["positions/table"], [6, 8]);
  assert.deepEqual(shapes["block1/attention/qkv/kernel"], [8, 24]);
  assert.deepEqual(shapes["block0/mlp1/kernel"], [8, 32]);
  assert.deepEqual(shapes["output/kernel"], [8, 5]);
  assert.deepEqual(shapes["null/vector"], [5]);
  assert.equal(Object.keys(shapes).length, 2 + 2 * 12 + 2 + 2 + 1);
  assert.deepEqual(encode(a, IDS), encode(b, IDS));
  a.dispose();
  b.dispose();
});

Deno.test("TextEncoder gradients of every variable agree on wasm and cpu", async () => {
  const names = Object.keys(
    (() => {
      const encoder = new TextEncoder(CONFIG, mulberry32(1));
      const variables = encoder.variables();
      encoder.dispose();
      return variables;
    })(),
  );
  await assertBackendsAgree(
    () => {
      const encoder = new TextEncoder(CONFIG, mulberry32(1));
      // Nonzero norms and null vector, so no gradient is trivially simple.
      for (const name of Object.keys(encoder.variables())) {
        if (/norm|null/.test(name)) {
          change(encoder, name, (values) => {
            const noise = new Rng(name.length).uniform(values.length, -.5, .5);
            values.forEach((value, index) =>
              values[index] = value + noise[index]
            );
          });
        }
      }
      const outputs = [
        encoder.apply(tf.tensor2d(IDS, undefined, "int32")),
        ...gradients(encoder).map(([, gradient]) => gradient),
      ];
      encoder.dispose();
      return outputs;
    },
    ["output", ...names],
    1e-4,
  );
});

Deno.test("TextEncoder gradients match central finite differences", () => {
  const encoder = new TextEncoder(CONFIG, mulberry32(2));
  const analytic = new Map(
    tf.tidy(() =>
      gradients(encoder).map(([name, g]) =>
        [name, g.dataSync() as Float32Array] as const
      )
    ),
  );
  const h = 1e-2;
  for (
    const [name, index] of [
      ["tokens/table", 3 * 8 + 2],
      ["positions/table", 4 * 8 + 7],
      ["block0/attention/qkv/kernel", 1 * 24 + 9], // a key weight
      ["block1/attention/qkv/kernel", 5 * 24 + 1], // a query weight
      ["block0/norm1/gain", 3],
      ["block1/mlp2/kernel", 17],
      ["norm/bias", 6],
      ["output/kernel", 12],
      ["null/vector", 4],
    ] as const
  ) {
    const at = (delta: number) => {
      change(encoder, name, (values) => values[index] += delta);
      const loss = tf.tidy(() => weightedLoss(encoder, IDS).dataSync()[0]);
      change(encoder, name, (values) => values[index] -= delta);
      return loss;
    };
    const numeric = (at(h) - at(-h)) / (2 * h);
    const expected = analytic.get(name)![index];
    assert.ok(
      Math.abs(numeric - expected) <= 2e-3 + 2e-2 * Math.abs(expected),
      `${name}[${index}]: finite difference ${numeric}, gradient ${expected}`,
    );
  }
  encoder.dispose();
});

Deno.test("TextEncoder: padding reaches no prompt's vector", () => {
  const encoder = new TextEncoder(CONFIG, mulberry32(4));
  const prompts = IDS.slice(0, 2);
  const before = encode(encoder, prompts);
  // The padding's embedding row and the positions only padding holds.
  change(encoder, "tokens/table", (values) => {
    for (let i = 0; i < 8; i++) values[i] += 3;
  });
  change(encoder, "positions/table", (values) => {
    for (let i = 3 * 8; i < 6 * 8; i++) values[i] -= 2;
  });
  const after = encode(encoder, prompts);
  assert.deepEqual(after[0], before[0]);
  // The full prompt holds positions 3..5: it changes, so the check can fail.
  assert.notDeepEqual(after[1], before[1]);
  // The same prompt padded to fewer tokens encodes alike.
  const short = encode(encoder, [[3, 7, 1, 0]])[0];
  short.forEach((value, index) =>
    assert.ok(Math.abs(value - after[0][index]) < 1e-5, `${value} ${index}`)
  );
  encoder.dispose();
});

Deno.test("TextEncoder pools the mean of the normalised tokens over the prompt only", () => {
  const config = { ...CONFIG, layers: 1 };
  const encoder = new TextEncoder(config, mulberry32(6));
  // Blocks that add nothing: zero attention output and MLP output.
  for (
    const name of [
      "block0/attention/output/kernel",
      "block0/mlp2/kernel",
    ]
  ) change(encoder, name, (values) => values.fill(0));
  change(
    encoder,
    "norm/gain",
    (values) => values.forEach((_, i) => values[i] = 1 + i / 10),
  );
  change(encoder, "output/bias", (values) => values.fill(0.25));
  const v = (name: string) =>
    Array.from(encoder.variables()[name].dataSync() as Float32Array);
  const [tokens, positions, gain, bias, kernel, outBias] = [
    v("tokens/table"),
    v("positions/table"),
    v("norm/gain"),
    v("norm/bias"),
    v("output/kernel"),
    v("output/bias"),
  ];
  const ids = [4, 9, 2];
  const d = config.width;
  const pooled = new Array(d).fill(0);
  ids.forEach((id, position) => {
    const x = Array.from(
      { length: d },
      (_, i) => tokens[id * d + i] + positions[position * d + i],
    );
    const mean = x.reduce((a, b) => a + b) / d;
    const variance = x.reduce((a, b) => a + (b - mean) ** 2, 0) / d;
    x.forEach((value, i) => {
      pooled[i] += ((value - mean) / Math.sqrt(variance + 1e-5) * gain[i] +
        bias[i]) / ids.length;
    });
  });
  const expected = Array.from(
    { length: config.outputWidth },
    (_, j) =>
      outBias[j] + pooled.reduce((sum, p, i) => sum + p * kernel[i * 5 + j], 0),
  );
  const actual = encode(encoder, [[...ids, 0, 0, 0]])[0];
  actual.forEach((value, j) =>
    assert.ok(
      Math.abs(value - expected[j]) < 1e-5,
      `output ${j}: ${value}, expected ${expected[j]}`,
    )
  );
  encoder.dispose();
});

Deno.test("TextEncoder gives the empty prompt its learned null vector", () => {
  const encoder = new TextEncoder(CONFIG, mulberry32(7));
  change(encoder, "null/vector", (values) => values.set([1, -2, 3, -4, 5]));
  const [prompt, full, empty] = encode(encoder, IDS);
  assert.deepEqual(empty, [1, -2, 3, -4, 5]);
  change(encoder, "null/vector", (values) => values.fill(7));
  const again = encode(encoder, IDS);
  assert.deepEqual(again[2], [7, 7, 7, 7, 7]);
  assert.deepEqual([again[0], again[1]], [prompt, full]);
  assert.ok(prompt.every(Number.isFinite) && full.every(Number.isFinite));
  assert.throws(
    () => encoder.apply(tf.zeros([1, 7], "int32") as tf.Tensor2D),
    /prompt ids must be \(batch, <= 6\), got \[1,7\]/,
  );
  assert.throws(
    () => new TextEncoder({ ...CONFIG, heads: 3 }, mulberry32(0)),
    /width 8 does not split into 3 heads/,
  );
  encoder.dispose();
});

Deno.test("TextEncoder's attention is softmax(q k^T / sqrt(d / heads)) v per head over the prompt's tokens", () => {
  const config = { ...CONFIG, layers: 1 };
  const encoder = new TextEncoder(config, mulberry32(8));
  change(encoder, "block0/mlp2/kernel", (values) => values.fill(0)); // MLP adds nothing
  change(
    encoder,
    "block0/attention/qkv/bias",
    (values) => values.forEach((_, i) => values[i] = Math.sin(i)),
  );
  const v = (name: string) =>
    Array.from(encoder.variables()[name].dataSync() as Float32Array);
  const d = config.width, heads = config.heads, size = d / heads;
  const [tokens, positions, qkvW, qkvB, outW, outB, kernel, bias] = [
    "tokens/table",
    "positions/table",
    "block0/attention/qkv/kernel",
    "block0/attention/qkv/bias",
    "block0/attention/output/kernel",
    "block0/attention/output/bias",
    "output/kernel",
    "output/bias",
  ].map(v);
  const layerNorm = (x: number[]) => {
    const mean = x.reduce((a, b) => a + b) / x.length;
    const variance = x.reduce((a, b) => a + (b - mean) ** 2, 0) / x.length;
    return x.map((value) => (value - mean) / Math.sqrt(variance + 1e-5));
  };
  const dense = (x: number[], w: number[], b: number[], out: number) =>
    Array.from(
      { length: out },
      (_, j) => b[j] + x.reduce((sum, xi, i) => sum + xi * w[i * out + j], 0),
    );
  const ids = [5, 2, 9, 4];
  const x = ids.map((id, p) =>
    Array.from(
      { length: d },
      (_, i) => tokens[id * d + i] + positions[p * d + i],
    )
  );
  const qkv = x.map((row) => dense(layerNorm(row), qkvW, qkvB, 3 * d));
  const h = x.map((row, i) => {
    const attended: number[] = [];
    for (let head = 0; head < heads; head++) {
      const part = (row: number[], chunk: number) =>
        row.slice(chunk * d + head * size, chunk * d + (head + 1) * size);
      const q = part(qkv[i], 0);
      const scores = qkv.map((other) =>
        part(other, 1).reduce((s, k, c) => s + k * q[c], 0) / Math.sqrt(size)
      );
      const top = Math.max(...scores);
      const weights = scores.map((s) => Math.exp(s - top));
      const total = weights.reduce((a, b) => a + b);
      for (let c = 0; c < size; c++) {
        attended.push(
          qkv.reduce(
            (s, other, j) => s + weights[j] / total * part(other, 2)[c],
            0,
          ),
        );
      }
    }
    const out = dense(attended, outW, outB, d);
    return row.map((value, c) => value + out[c]);
  });
  const pooled = Array.from(
    { length: d },
    (_, c) => h.map(layerNorm).reduce((s, row) => s + row[c], 0) / ids.length,
  );
  const expected = dense(pooled, kernel, bias, config.outputWidth);
  const actual = encode(encoder, [[...ids, 0, 0]])[0];
  actual.forEach((value, j) =>
    assert.ok(
      Math.abs(value - expected[j]) < 1e-4,
      `output ${j}: ${value}, expected ${expected[j]}`,
    )
  );
  encoder.dispose();
});

/** The encoder with a token head too (cross-attention's keys). */
const TOKEN_CONFIG: TextEncoderConfig = { ...CONFIG, tokenWidth: 7 };

Deno.test("TextEncoder's token head: the null token first, the tokens after the final LayerNorm projected, padding zeroed and masked", () => {
  const encoder = new TextEncoder(
    { ...TOKEN_CONFIG, layers: 1 },
    mulberry32(9),
  );
  const names = Object.keys(encoder.variables());
  // The pooled variables keep their names and come first; the token head after.
  assert.deepEqual(names.slice(-5, -3), ["output/bias", "null/vector"]);
  assert.deepEqual(names.slice(-3), [
    "tokenOutput/kernel",
    "tokenOutput/bias",
    "nullToken/vector",
  ]);
  change(encoder, "nullToken/vector", (values) => values.fill(0.5));
  change(
    encoder,
    "tokenOutput/bias",
    (values) => values.forEach((_, i) => values[i] = i / 7),
  );
  const pooledOnly = new TextEncoder({ ...CONFIG, layers: 1 }, mulberry32(9));
  tf.tidy(() => {
    const ids = tf.tensor2d(IDS, undefined, "int32");
    const { pooled, tokens, mask } = encoder.encode(ids);
    // The same seed draws the same pooled encoder first.
    assert.deepEqual(pooled!.arraySync(), pooledOnly.apply(ids).arraySync());
    assert.deepEqual(tokens!.shape, [3, 7, 7]);
    assert.deepEqual(mask!.arraySync(), [
      [1, 1, 1, 1, 0, 0, 0],
      [1, 1, 1, 1, 1, 1, 1],
      [1, 0, 0, 0, 0, 0, 0],
    ]);
    const rows = tokens!.arraySync();
    for (const row of rows) assert.deepEqual(row[0], new Array(7).fill(0.5));
    for (const [b, p] of [[0, 4], [0, 6], [2, 1], [2, 6]]) {
      assert.ok(rows[b][p].every((v) => v === 0), `row ${b} token ${p}`);
    }
    // A real token: Dense(LN(x)) of the (one-block) transformer's output.
    assert.ok(rows[1][3].some((value) => value !== 0));
    assert.ok(rows.flat(2).every(Number.isFinite));
  });
  // Padding's embedding reaches no token.
  const before = tf.tidy(() =>
    encoder.encode(tf.tensor2d(IDS, undefined, "int32")).tokens!.arraySync()
  );
  change(encoder, "tokens/table", (values) => {
    for (let i = 0; i < 8; i++) values[i] += 3;
  });
  const after = tf.tidy(() =>
    encoder.encode(tf.tensor2d(IDS, undefined, "int32")).tokens!.arraySync()
  );
  assert.deepEqual(after, before);
  pooledOnly.dispose();
  encoder.dispose();
  // A token head alone: no pooled variables, and apply() refuses.
  const tokensOnly = new TextEncoder(
    { ...TOKEN_CONFIG, outputWidth: 0 },
    mulberry32(0),
  );
  const only = Object.keys(tokensOnly.variables());
  assert.ok(!only.includes("output/kernel") && !only.includes("null/vector"));
  assert.throws(
    () => tokensOnly.apply(tf.tensor2d(IDS, undefined, "int32")),
    /no pooled output/,
  );
  tokensOnly.dispose();
  assert.throws(
    () => new TextEncoder({ ...CONFIG, outputWidth: 0 }, mulberry32(0)),
    /needs an outputWidth or a tokenWidth/,
  );
});

Deno.test("TextEncoder's token head: gradients of every variable agree on wasm and cpu", async () => {
  const names = Object.keys(
    (() => {
      const encoder = new TextEncoder(TOKEN_CONFIG, mulberry32(1));
      const variables = encoder.variables();
      encoder.dispose();
      return variables;
    })(),
  );
  await assertBackendsAgree(
    () => {
      const encoder = new TextEncoder(TOKEN_CONFIG, mulberry32(1));
      for (const name of Object.keys(encoder.variables())) {
        if (/norm|null|Token/.test(name)) {
          change(encoder, name, (values) => {
            const noise = new Rng(name.length).uniform(values.length, -.5, .5);
            values.forEach((value, index) =>
              values[index] = value + noise[index]
            );
          });
        }
      }
      const ids = tf.tensor2d(IDS, undefined, "int32");
      const pooledWeights = tf.tensor2d(
        new Rng(5).uniform(3 * CONFIG.outputWidth, -1, 1),
        [3, CONFIG.outputWidth],
      );
      const tokenWeights = tf.tensor3d(
        new Rng(6).uniform(3 * 7 * 7, -1, 1),
        [3, 7, 7],
      );
      const variables = Object.values(encoder.variables());
      const { grads } = tf.variableGrads(() => {
        const { pooled, tokens } = encoder.encode(ids);
        return tf.add(
          tf.sum(tf.mul(pooled!, pooledWeights)),
          tf.sum(tf.mul(tokens!, tokenWeights)),
        ) as tf.Scalar;
      }, variables);
      const outputs = [
        encoder.encode(ids).tokens!,
        ...variables.map((variable) => grads[variable.name]),
      ];
      encoder.dispose();
      return outputs;
    },
    ["tokens", ...names],
    1e-4,
  );
});

Deno.test("TextEncoder's torch init: N(0, 1) tables and nn.Linear's bounds; glorot by default", () => {
  const config = { ...CONFIG, vocabularySize: 130, maxTokens: 17, width: 64 };
  const torch = new TextEncoder(config, mulberry32(11), "torch");
  const glorot = new TextEncoder(config, mulberry32(11));
  const values = (encoder: TextEncoder, name: string) =>
    Array.from(encoder.variables()[name].dataSync());
  const largest = (xs: number[]) => Math.max(...xs.map(Math.abs));
  const tables = { "tokens/table": 130, "positions/table": 17 };
  for (const [name, rows] of Object.entries(tables)) {
    const drawn = values(torch, name);
    const std = rootMeanSquare(drawn);
    assert.ok(Math.abs(std - 1) < 0.1, `${name} std ${std}`);
    assert.ok(largest(drawn) > 2.5, `${name} looks bounded like a uniform`);
    assert.ok(largest(values(glorot, name)) <= Math.sqrt(6 / (rows + 64)));
  }
  // nn.Linear: kernels in U(-1/sqrt(fanIn), 1/sqrt(fanIn)).
  const kernels = { "block0/mlp2/kernel": 256, "output/kernel": 64 };
  for (const [name, fanIn] of Object.entries(kernels)) {
    const drawn = values(torch, name);
    assert.ok(largest(drawn) <= 1 / Math.sqrt(fanIn), name);
    assert.ok(largest(drawn) > 0.9 / Math.sqrt(fanIn), name);
  }
  torch.dispose();
  glorot.dispose();
});
