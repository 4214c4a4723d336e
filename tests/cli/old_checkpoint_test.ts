import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli } from "./_run_cli.ts";
import { loadCheckpoint, saveCheckpoint } from "../../train/checkpoint.ts";

Deno.test("a run written before training options left the model config still samples and resumes", async () => {
  const out = await Deno.makeTempDir({ prefix: "genwasm_old_run_" });
  try {
    const base = ["--model", "vae-small", "--threads", "2", "--out", out];
    const trained = await runCli(["train", ...base, "--steps", "1"]);
    assert.equal(trained.code, 0, trained.stderr);
    // Rewrite the checkpoint in the earlier format: the VAE's config held
    // its learning rate and batch size, and the training record had no
    // betas or per-group settings.
    const path = join(out, "checkpoint.safetensors");
    const saved = await loadCheckpoint(path);
    const { beta1: _b1, beta2: _b2, groups: _groups, ...training } =
      saved.training;
    await saveCheckpoint(path, {
      ...saved,
      config: { ...saved.config, learningRate: 1e-3, batchSize: 64 },
      training,
    });

    const picture = join(out, "old.png");
    const sampled = await runCli(["sample", "--run", out, "--out", picture]);
    assert.equal(sampled.code, 0, sampled.stderr);
    assert.match(
      sampled.stdout,
      /wrote .*old\.png: 64 samples from vae-small at step 1/,
    );

    const resumed = await runCli([
      "train",
      ...base,
      "--steps",
      "2",
      "--resume",
    ]);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stdout, /trained to step 2/);
    const rewritten = await loadCheckpoint(path);
    assert.ok(!("learningRate" in rewritten.config), "saved without it now");
    assert.equal(rewritten.training.learningRate, 1e-3);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
