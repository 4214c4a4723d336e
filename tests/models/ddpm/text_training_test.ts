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
import { createDdpm } from "../../../models/ddpm/diffusion.ts";
import { loadCheckpoint } from "../../../train/checkpoint.ts";
import { train } from "../../../train/trainer.ts";
import { Rng } from "../../_helpers.ts";
import { quiet, tinyOptions, withTempDir } from "../../train/_tiny_model.ts";

await initEngine({ threads: 2 });

const SMALL = {
  imageSize: 8,
  baseWidth: 8,
  channelMultipliers: [1, 2],
  normGroups: 4,
  timesteps: 50,
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
