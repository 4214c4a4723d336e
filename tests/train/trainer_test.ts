import assert from "node:assert/strict";
import { join } from "node:path";
import { initEngine } from "../../backends/engine.ts";
import {
  DivergenceError,
  RUN_FILES,
  train,
  type TrainingOptions,
} from "../../train/trainer.ts";
import { loadCheckpoint, saveCheckpoint } from "../../train/checkpoint.ts";
import { batchIndices } from "../../data/batches.ts";
import {
  quiet,
  tinyImages,
  tinyModel,
  tinyOptions,
  withTempDir,
} from "./_tiny_model.ts";

await initEngine({ threads: 2 });

const data = tinyImages(40, 3);
const options = (
  overrides: Partial<TrainingOptions> = {},
): TrainingOptions =>
  tinyOptions({
    steps: 8,
    emaDecay: 0.9,
    warmupSteps: 2,
    schedule: "cosine",
    clipNorm: 1,
    ...overrides,
  });

function readLosses(dir: string): number[] {
  return Deno.readTextFileSync(join(dir, RUN_FILES.metrics)).trim().split("\n")
    .map((line) => JSON.parse(line).loss);
}

Deno.test("train() resumed from a checkpoint matches the uninterrupted run", async () => {
  await withTempDir(async (dir) => {
    const straight = join(dir, "straight"), split = join(dir, "split");
    const a = tinyModel({ stateful: true });
    await train(a, data, options(), { out: straight, ...quiet });
    const b = tinyModel({ stateful: true });
    // Stop after 3 steps (crossing an epoch boundary later: 40 images / 8 = 5 batches).
    await train(b, data, options({ steps: 3 }), { out: split, ...quiet });
    b.dispose();
    const c = tinyModel({ seed: 999, stateful: true }); // different initial weights: all must come from the checkpoint
    await train(c, data, options(), { out: split, resume: true, ...quiet });
    const straightLosses = readLosses(straight),
      splitLosses = readLosses(split);
    assert.equal(splitLosses.length, 8);
    for (let i = 0; i < 8; i++) {
      assert.ok(
        Math.abs(straightLosses[i] - splitLosses[i]) <=
          1e-5 * Math.abs(straightLosses[i]),
        `step ${i + 1}: ${straightLosses[i]} vs ${splitLosses[i]}`,
      );
    }
    const [saved1, saved2] = await Promise.all([
      loadCheckpoint(join(straight, RUN_FILES.checkpoint)),
      loadCheckpoint(join(split, RUN_FILES.checkpoint)),
    ]);
    assert.equal(saved2.step, 8);
    for (const [name, tensor] of saved1.tensors) {
      const other = saved2.tensors.get(name)!.data;
      tensor.data.forEach((value, i) =>
        assert.ok(
          Math.abs(value - other[i]) <= 1e-5 + 1e-4 * Math.abs(value),
          `${name}[${i}]`,
        )
      );
    }
    a.dispose();
    c.dispose();
  });
});

Deno.test("train() writes checkpoint, metrics, loss and eval plots, sample grid; weights and buffers round-trip bit-exact", async () => {
  await withTempDir(async (dir) => {
    const model = tinyModel({ stateful: true });
    const before = model.weights.get("decoder.bias")!.dataSync()[0];
    // What initialize() leaves: the bias set to the first batch's mean pixel
    // (Adam's steps move it afterwards, so it is read right there).
    const initialized: Float32Array[] = [];
    const initialize = model.initialize!.bind(model);
    model.initialize = (batch, context) => {
      initialize(batch, context);
      initialized.push(
        Float32Array.from(model.weights.get("decoder.bias")!.dataSync()),
      );
    };
    const measured: number[] = [];
    const started = performance.now();
    const result = await train(model, data, options({ steps: 4 }), {
      out: dir,
      ...quiet,
      monitor: {
        every: 3,
        measure: (step) => {
          measured.push(step);
          return Promise.resolve({ score: step * 2 });
        },
      },
    });
    const seconds = (performance.now() - started) / 1000;
    assert.equal(before, 0);
    const first = batchIndices(data.shape[0], { batchSize: 8, seed: 0 }).next()
      .value;
    let sum = 0;
    for (const index of first) {
      for (let i = 0; i < 16; i++) sum += data.images[index * 16 + i];
    }
    assert.equal(initialized.length, 1, "initialize() ran once");
    for (const value of initialized[0]) {
      assert.ok(
        Math.abs(value - sum / (8 * 16)) < 1e-6,
        `bias ${value}, first batch's mean ${sum / (8 * 16)}`,
      );
    }
    assert.deepEqual(measured, [3, 4], "monitor every 3 steps and at the end");
    const evals = Deno.readTextFileSync(join(dir, RUN_FILES.metrics)).trim()
      .split("\n").map((line) => JSON.parse(line)).filter((r) => r.eval);
    assert.deepEqual(
      evals.map(({ step, eval: metrics }) => ({ step, eval: metrics })),
      [{ step: 3, eval: { score: 6 } }, { step: 4, eval: { score: 8 } }],
    );
    // Times are only known to lie within the call, in order.
    assert.ok(
      0 < evals[0].elapsed_seconds &&
        evals[0].elapsed_seconds <= evals[1].elapsed_seconds &&
        evals[1].elapsed_seconds <= seconds,
      `elapsed ${evals.map((r) => r.elapsed_seconds)} within ${seconds} s`,
    );
    for (const file of Object.values(RUN_FILES)) {
      assert.ok(Deno.statSync(join(dir, file)).size > 0, `${file} written`);
    }
    const saved = await loadCheckpoint(result.checkpoint);
    assert.equal(saved.preset, "tiny");
    assert.deepEqual(saved.config, { code: 3 });
    assert.deepEqual(
      saved.tensors.get("buffer.seen")!.data,
      Float32Array.of(32),
    );
    for (const [name, variable] of model.weights) {
      assert.deepEqual(
        saved.tensors.get(`model.${name}`)!.data,
        variable.dataSync(),
      );
      assert.ok(saved.tensors.has(`ema.${name}`), `ema.${name}`);
      assert.ok(
        saved.tensors.has(`optimizer.model.${name}.m`),
        `adam m of ${name}`,
      );
    }
    model.dispose();
  });
});

Deno.test("train() with a used-up time limit ends after the step in flight as if it were the last", async () => {
  await withTempDir(async (dir) => {
    const model = tinyModel();
    const measured: number[] = [];
    const result = await train(model, data, options({ steps: 8 }), {
      out: dir,
      ...quiet,
      timeLimitSeconds: 0,
      monitor: {
        every: 100,
        measure: (step) => {
          measured.push(step);
          return Promise.resolve({ score: 1 });
        },
      },
    });
    assert.equal(result.step, 1);
    assert.deepEqual(measured, [1], "the end-of-run metrics at step 1");
    assert.equal((await loadCheckpoint(result.checkpoint)).step, 1);
    const records = Deno.readTextFileSync(join(dir, RUN_FILES.metrics)).trim()
      .split("\n").map((line) => JSON.parse(line));
    assert.deepEqual(records.map((r) => r.step), [1, 1]);
    // Resident memory has no value to expect; it is only a process's size.
    assert.ok(records[0].rss_bytes > 0 && records[0].elapsed_seconds >= 0);
    model.dispose();
  });
});

Deno.test("train() stops on a NaN loss naming the step, and keeps the last good checkpoint", async () => {
  await withTempDir(async (dir) => {
    const model = tinyModel({ nanFromStep: 5 });
    await assert.rejects(
      () =>
        train(model, data, options({ checkpointEvery: 2 }), {
          out: dir,
          ...quiet,
        }),
      (error: Error) => {
        assert.ok(error instanceof DivergenceError);
        assert.match(error.message, /diverged at step 6: loss is NaN/);
        return true;
      },
    );
    const saved = await loadCheckpoint(join(dir, RUN_FILES.checkpoint));
    assert.equal(saved.step, 4);
    for (const tensor of saved.tensors.values()) {
      assert.ok(
        tensor.data.every(Number.isFinite),
        "checkpoint holds only finite values",
      );
    }
    model.dispose();
  });
});

Deno.test("train() refuses to resume another model's checkpoint, saying which", async () => {
  await withTempDir(async (dir) => {
    const model = tinyModel();
    await train(model, data, options({ steps: 2 }), { out: dir, ...quiet });
    const other = { ...tinyModel(), preset: "other" };
    await assert.rejects(
      () => train(other, data, options(), { out: dir, resume: true, ...quiet }),
      /holds a tiny model, not other/,
    );
    await assert.rejects(
      () =>
        train(tinyModel(), data, options({ batchSize: 4 }), {
          out: dir,
          resume: true,
          ...quiet,
        }),
      /batchSize 8; resume with the same value, not 4/,
    );
    await assert.rejects(
      () =>
        train(tinyModel(), data, options(), {
          out: join(dir, "none"),
          resume: true,
          ...quiet,
        }),
      /no checkpoint there/,
    );
    model.dispose();
  });
});

Deno.test("train() resumes a checkpoint whose config still holds training options (the older format); the learning rate must match", async () => {
  await withTempDir(async (dir) => {
    const model = tinyModel();
    await train(model, data, options({ steps: 2 }), { out: dir, ...quiet });
    model.dispose();
    // Rewrite it as earlier versions did: the learning rate and batch size
    // in the config too, and no betas or groups in the training record.
    const path = join(dir, RUN_FILES.checkpoint);
    const saved = await loadCheckpoint(path);
    const { beta1: _b1, beta2: _b2, groups: _groups, ...training } =
      saved.training;
    await saveCheckpoint(path, {
      ...saved,
      config: { ...saved.config, learningRate: 0.05, batchSize: 8 },
      training,
    });
    await assert.rejects(
      () =>
        train(tinyModel(), data, options({ learningRate: 0.01 }), {
          out: dir,
          resume: true,
          ...quiet,
        }),
      /learningRate 0.05; resume with the same value, not 0.01/,
    );
    const resumed = tinyModel();
    const result = await train(resumed, data, options({ steps: 4 }), {
      out: dir,
      resume: true,
      ...quiet,
    });
    resumed.dispose();
    assert.equal(result.step, 4);
    const rewritten = await loadCheckpoint(path);
    assert.deepEqual(rewritten.config, { code: 3 });
    assert.deepEqual(rewritten.training.groups, {});
  });
});
