/**
 * A text ddpm in the trainer: each batch's images captioned (a fresh seed
 * a step) and handed to the loss as prompt ids; the vocabulary travels in
 * the checkpoint's config.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { initEngine } from "../../../backends/engine.ts";
import { batchIndices } from "../../../data/batches.ts";
import { captionVocabulary } from "../../../data/captions/tokenizer.ts";
import { mulberry32 } from "../../../data/random.ts";
import type { TrainableModel } from "../../../models/contract.ts";
import { createDdpm, type Ddpm } from "../../../models/ddpm/diffusion.ts";
import { ddpmFamily } from "../../../models/ddpm/family.ts";
import { rebuildModel } from "../../../models/registry.ts";
import { assignVariables, loadCheckpoint } from "../../../train/checkpoint.ts";
import { tf } from "../../../backends/tf.ts";
import { train } from "../../../train/trainer.ts";
import { Rng } from "../../_helpers.ts";
import { quiet, tinyOptions, withTempDir } from "../../train/_tiny_model.ts";

await initEngine({ threads: 2 });

const SMALL = {
  imageSize: 8,
  baseWidth: 8,
  channelMultipliers: [1, 2],
  normGroups: 4,
  timesteps: 10,
  text: { width: 16, heads: 2, layers: 1 },
};
const COUNT = 16;
const data = {
  images: new Rng(2).uniform(COUNT * 64, 0, 1),
  labels: Uint8Array.from({ length: COUNT }, (_, i) => i % 10),
  shape: [COUNT, 8, 8, 1] as [number, number, number, number],
};

Deno.test("train() captions each batch of a text ddpm with a fresh seed and trains on those prompts", async () => {
  const ddpm = createDdpm(SMALL, mulberry32(1));
  const made: { indices: number[]; seed: number; ids: number[][] }[] = [];
  const seen: number[][][] = [];
  // The model as the trainer sees it, with a look at what passes through.
  const model: TrainableModel = {
    preset: ddpm.preset,
    config: ddpm.config,
    groups: ddpm.groups,
    pixelRange: ddpm.pixelRange,
    phases: ddpm.phases.map((phase) => ({
      ...phase,
      loss(batch, context) {
        seen.push(batch.prompts!.arraySync());
        return phase.loss(batch, context);
      },
    })),
    captionBatch(set, indices, seed) {
      const ids = ddpm.captionBatch!(set, indices, seed);
      made.push({ indices: [...indices], seed, ids: ids.arraySync() });
      return ids;
    },
    dispose: () => ddpm.dispose(),
  };
  const table = ddpm.groups.model.get("text/tokens/table")!;
  const before = Float32Array.from(table.dataSync());
  await withTempDir(async (dir) => {
    const options = tinyOptions({ steps: 2, batchSize: 4 });
    await train(model, data, options, { out: dir, ...quiet });
    const order = batchIndices(COUNT, { batchSize: 4, seed: options.seed });
    assert.equal(made.length, 2);
    for (const call of made) {
      assert.deepEqual(call.indices, [...order.next().value as Uint32Array]);
      // The captions of those images, drawn from the step's seed.
      const expected = ddpm.imagePrompts!.ids(
        data,
        call.indices,
        mulberry32(call.seed),
      );
      assert.deepEqual(call.ids.flat(), [...expected]);
      assert.ok(call.ids.some((row) => row[0] !== 0), "real prompts");
    }
    assert.notEqual(made[0].seed, made[1].seed);
    assert.deepEqual(seen, made.map((call) => call.ids));
    // The encoder trained: its token table moved.
    assert.notDeepEqual(Float32Array.from(table.dataSync()), before);
    const saved = await loadCheckpoint(join(dir, "checkpoint.safetensors"));
    const text = (saved.config as { text: { vocabulary: string[] } }).text;
    assert.deepEqual(text.vocabulary, captionVocabulary().toJson().tokens);
  });
  ddpm.dispose();
});

/** Prompts the checkpoint round trips draw from. */
const ROUND_TRIP_PROMPTS = ["a thin three leaning left", "", "seven"];

/** A text ddpm's images of {@link ROUND_TRIP_PROMPTS}, the same seed each call. */
const drawPrompts = (model: Ddpm) =>
  tf.tidy(() =>
    Array.from(
      model.sample({ count: 3, seed: 2, steps: 3, prompts: ROUND_TRIP_PROMPTS })
        .dataSync(),
    )
  );

type SavedCheckpoint = Awaited<ReturnType<typeof loadCheckpoint>>;

/**
 * Trains a text ddpm of `config` for `steps` into a temporary run, builds
 * another from the checkpoint's config (as `restoredConfig` turns it) the
 * way loading a checkpoint does (`rebuildModel`), with other initial
 * weights, checks the configs agree, assigns it the saved weights
 * (`inspect` sees both first) and checks that it draws what the trained one
 * draws.
 */
async function assertRoundTrip(
  config: typeof SMALL,
  { steps = 2, restoredConfig = (saved) => saved.config, inspect }: {
    steps?: number;
    restoredConfig?: (saved: SavedCheckpoint) => Record<string, unknown>;
    inspect?: (saved: SavedCheckpoint, restored: Ddpm) => void;
  } = {},
): Promise<void> {
  const ddpm = createDdpm(config, mulberry32(1));
  await withTempDir(async (dir) => {
    await train(ddpm, data, tinyOptions({ steps, batchSize: 4 }), {
      out: dir,
      ...quiet,
    });
    const saved = await loadCheckpoint(join(dir, "checkpoint.safetensors"));
    // Other initial weights: everything must come from the checkpoint.
    const restored = rebuildModel(
      ddpmFamily,
      saved.preset,
      restoredConfig(saved),
    ) as Ddpm;
    assert.deepEqual(restored.config, ddpm.config);
    inspect?.(saved, restored);
    const before = drawPrompts(restored);
    assignVariables(restored.groups.model, saved.tensors, "model.", dir);
    assert.deepEqual(drawPrompts(restored), drawPrompts(ddpm));
    assert.notDeepEqual(before, drawPrompts(ddpm));
    restored.dispose();
  });
  ddpm.dispose();
}

Deno.test("a trained pooled text ddpm restored from its checkpoint draws the same images from the same prompts", async () => {
  const text = { ...SMALL.text, injection: "pooled" as const };
  await assertRoundTrip({ ...SMALL, text });
});

Deno.test("a trained text ddpm (both, the default) restored from its checkpoint draws the same images from the same prompts", async () => {
  await assertRoundTrip(SMALL, {
    inspect(saved, restored) {
      assert.throws(
        () => restored.sample({ count: 1, seed: 1, prompts: ["a thik 7"] }),
        /unknown word "thik" \(did you mean: thick, thin\)/,
      );
      const { injection, crossResolutions } =
        (saved.config as { text: Record<string, unknown> }).text;
      assert.deepEqual([injection, crossResolutions], ["both", [4]]);
      for (
        const name of [
          "model.middle/cross/keyValue/kernel",
          "model.up1/cross/output/kernel",
          "model.text/nullToken/vector",
          "model.text/tokenOutput/kernel",
        ]
      ) assert.ok(saved.tensors.has(name), name);
    },
  });
});

Deno.test("a pooled text checkpoint from before text.injection loads as pooled, unchanged", async () => {
  const text = { ...SMALL.text, injection: "pooled" as const };
  await assertRoundTrip({ ...SMALL, text }, {
    steps: 1,
    // The config as older checkpoints hold it: no injection keys.
    restoredConfig(saved) {
      const { text, ...rest } = saved.config as {
        text: Record<string, unknown>;
      };
      const { injection, crossResolutions, ...old } = text;
      assert.deepEqual([injection, crossResolutions], ["pooled", []]);
      return { ...rest, text: old };
    },
    inspect(saved, restored) {
      // The variables of a pooled model are the ones it always had.
      const names = [...restored.groups.model.keys()];
      assert.ok(names.includes("text/output/kernel"));
      assert.ok(names.includes("text/null/vector"));
      assert.ok(
        !names.some((name) => /cross|tokenOutput|nullToken/.test(name)),
      );
      assert.deepEqual(
        names.map((name) => `model.${name}`).sort(),
        [...saved.tensors.keys()].filter((name) => name.startsWith("model."))
          .sort(),
      );
    },
  });
});
