/**
 * The text-conditioned GAN: a prompt encoder in each network (the
 * generator concatenates the prompt vector to z, the discriminator sees it
 * as constant channels), trained on the batch's captions, drawn from
 * prompts, restored from its checkpoint.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { tf } from "../../../backends/tf.ts";
import { initEngine } from "../../../backends/engine.ts";
import { captionVocabulary } from "../../../data/captions/tokenizer.ts";
import { mulberry32 } from "../../../data/random.ts";
import { createGan } from "../../../models/gan/gan.ts";
import { ganFamily } from "../../../models/gan/family.ts";
import { resolveGanConfig } from "../../../models/gan/presets.ts";
import { assignVariables, loadCheckpoint } from "../../../train/checkpoint.ts";
import { train } from "../../../train/trainer.ts";
import { Rng } from "../../_helpers.ts";
import { quiet, tinyOptions, withTempDir } from "../../train/_tiny_model.ts";

await initEngine({ threads: 2 });

const TEXT = { width: 16, heads: 2, layers: 1 };
const SOURCE = { preset: "dcgan-small", text: TEXT };
const vocabulary = captionVocabulary();
const idsOf = (prompts: string[]) =>
  tf.tensor2d(
    vocabulary.encodeBatch(prompts, 17),
    [prompts.length, 17],
    "int32",
  );

Deno.test("a text GAN: an encoder per network, the prompt vector beside z and as D's input channels", () => {
  const gan = createGan(SOURCE, mulberry32(1));
  const plain = createGan("dcgan-small", mulberry32(1));
  const g = gan.groups.generator, d = gan.groups.discriminator;
  assert.deepEqual(g.get("generator.dense.kernel")!.shape, [
    32 + 16,
    7 * 7 * 64,
  ]);
  assert.deepEqual(d.get("discriminator.conv1.kernel")!.shape, [
    4,
    4,
    1 + 16,
    32,
  ]);
  assert.ok(g.has("generator.text.block0.attention.qkv.kernel"));
  assert.ok(d.has("discriminator.text.null.vector"));
  assert.ok(![...g.keys()].some((name) => name.startsWith("discriminator")));
  let encoders = 0;
  for (const [name, variable] of [...g, ...d]) {
    if (name.includes(".text.")) encoders += variable.size;
  }
  const widened = 16 * 7 * 7 * 64 + 4 * 4 * 16 * 32; // the extra rows and inputs
  assert.equal(
    gan.parameterCount(),
    plain.parameterCount() + encoders + widened,
  );
  assert.throws(
    () => resolveGanConfig("cgan", { text: {} }),
    /class labels \(conditional\) or on text, not both/,
  );
  tf.tidy(() => {
    const z = tf.tensor2d(new Rng(2).uniform(3 * 32, -1, 1), [3, 32]);
    const draw = (prompts?: string[]) =>
      gan.generator.apply(z, prompts && idsOf(prompts), "inference")
        .arraySync();
    const a = draw(["a thick 7", "one", ""]);
    const b = draw(["a thick 7", "two", ""]);
    assert.deepEqual(a[0], b[0]);
    assert.notDeepEqual(a[1], b[1]);
    assert.deepEqual(draw(), draw(["", "", ""]));
    const images = tf.tensor4d(new Rng(3).uniform(3 * 784, -1, 1), [
      3,
      28,
      28,
      1,
    ]);
    const judge = (prompts: string[]) =>
      gan.discriminator.apply(images, idsOf(prompts), false).arraySync();
    const x = judge(["a thick 7", "one", ""]),
      y = judge(["a thick 7", "two", ""]);
    assert.equal(x[0], y[0]);
    assert.notEqual(x[1], y[1]);
    assert.throws(
      () => gan.generator.apply(z, tf.tensor1d([1, 2, 3], "int32"), "train"),
      /text GAN takes \(batch, tokens\) prompt ids, got shape \[3\]/,
    );
  });
  assert.throws(
    () => ganFamily.torch!(gan),
    /dcgan-small has a text block; the PyTorch reference module .* has no prompt encoder/,
  );
  gan.dispose();
  plain.dispose();
});

Deno.test("a text GAN's phases condition both networks on the batch's prompts, and reach both encoders", () => {
  const gan = createGan(SOURCE, mulberry32(2));
  const batch = (prompts?: string[]) => ({
    images: tf.tensor4d(new Rng(4).uniform(2 * 784, -1, 1), [2, 28, 28, 1]),
    labels: tf.tensor1d([7, 1], "int32"),
    ...(prompts ? { prompts: idsOf(prompts) } : {}),
  });
  tf.tidy(() => {
    for (const phase of gan.phases) {
      const loss = (prompts?: string[]) => {
        let seed = 5;
        const context = { seed: () => seed++, step: 0 };
        return phase.loss(batch(prompts), context);
      };
      assert.throws(() => loss(), /text-conditioned GAN's batch needs prompts/);
      const one = loss(["a thick 7", "one"]).dataSync()[0];
      assert.equal(loss(["a thick 7", "one"]).dataSync()[0], one);
      assert.notEqual(loss(["a thin 7", "one"]).dataSync()[0], one);
      const group = gan.groups[phase.group as "generator" | "discriminator"];
      const encoder = [...group].filter(([name]) =>
        name.includes(".text.tokens.")
      ).map(([, variable]) => variable);
      assert.equal(encoder.length, 1, phase.name);
      const { grads } = tf.variableGrads(
        () => loss(["a thick 7", "one"]),
        encoder,
      );
      assert.ok(
        grads[encoder[0].name].dataSync().some((value) => value !== 0),
        `${phase.name}: no gradient reaches its prompt encoder`,
      );
    }
  });
  gan.dispose();
});

Deno.test("a text GAN trains on captions, and its checkpoint restores the same prompted samples", async () => {
  const gan = createGan(SOURCE, mulberry32(3));
  const data = {
    images: new Rng(5).uniform(16 * 784, 0, 1),
    labels: Uint8Array.from({ length: 16 }, (_, i) => i % 10),
    shape: [16, 28, 28, 1] as [number, number, number, number],
  };
  const prompts = ["a thin three leaning left", "", "seven"];
  const draw = (model: typeof gan) =>
    tf.tidy(() => Array.from(model.samplePrompts(prompts, 4).dataSync()));
  await withTempDir(async (dir) => {
    await train(gan, data, tinyOptions({ steps: 2, batchSize: 4 }), {
      out: dir,
      ...quiet,
    });
    const saved = await loadCheckpoint(join(dir, "checkpoint.safetensors"));
    const config = saved.config as { text: { vocabulary: string[] } };
    assert.deepEqual(config.text.vocabulary, vocabulary.toJson().tokens);
    const restored = createGan(
      { preset: saved.preset, ...saved.config },
      mulberry32(9),
    );
    const before = draw(restored);
    for (const group of ["generator", "discriminator"] as const) {
      assignVariables(restored.groups[group], saved.tensors, "model.", dir);
    }
    assignVariables(restored.buffers, saved.tensors, "buffer.", dir);
    assert.deepEqual(draw(restored), draw(gan));
    assert.notDeepEqual(before, draw(gan));
    assert.throws(
      () => restored.samplePrompts(["a thik 7"], 1),
      /unknown word "thik" \(did you mean: thick, thin\)/,
    );
    const test = { ...data, shape: data.shape };
    const rows = tf.tidy(() =>
      ganFamily.sample(restored, {
        count: 4,
        seed: 1,
        kind: "samples",
        test,
        prompts: ["one", "two"],
      }).shape
    );
    assert.deepEqual(rows, [16, 28, 28, 1]);
    assert.throws(
      () =>
        ganFamily.sample(restored, {
          count: 4,
          seed: 1,
          kind: "samples",
          test,
          classLabel: 3,
        }),
      /ask for a class with --prompt/,
    );
    restored.dispose();
  });
  gan.dispose();
});
