import assert from "node:assert/strict";
import { join } from "node:path";
import { decode } from "fast-png";
import { lines, runCli } from "./_run_cli.ts";
import { parseTrainArgs, TRAIN_DEFAULTS } from "../../cli/train.ts";
import { UsageError } from "../../cli/_flags.ts";

Deno.test("train --steps 3 writes the reconstruction PNG and metrics.jsonl", async () => {
  const out = await Deno.makeTempDir({ prefix: "genwasm_train_" });
  try {
    const { code, stdout, stderr } = await runCli([
      "train",
      "--steps",
      "3",
      "--threads",
      "2",
      "--out",
      out,
    ]);
    assert.equal(code, 0, stderr);
    const printed = lines(stdout);
    assert.match(printed[0], /^wasm \S+, 2 threads/);
    assert.match(printed.at(-2)!, /^done: 3 steps/);

    const png = decode(await Deno.readFile(join(out, "reconstructions.png")));
    assert.ok(png.width > 8 * 28 && png.height > 8 * 28);

    const records = lines(await Deno.readTextFile(join(out, "metrics.jsonl")))
      .map((line) => JSON.parse(line));
    assert.deepEqual(records.map((record) => record.step), [1, 2, 3]);
    for (const record of records) {
      assert.ok(Number.isFinite(record.loss) && record.loss > 0);
    }
    assert.ok(Number.isFinite(records[2].testLoss));
    // Memory stays flat: the same number of live tensors at every logged step.
    assert.equal(new Set(records.map((record) => record.tensors)).size, 1);

    const config = JSON.parse(
      await Deno.readTextFile(join(out, "config.json")),
    );
    assert.equal(config.config.steps, 3);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("train exits 1 with one line when --out cannot be made", async () => {
  const folder = await Deno.makeTempDir({ prefix: "genwasm_train_" });
  try {
    const file = join(folder, "a-file");
    await Deno.writeTextFile(file, "");
    const { code, stderr } = await runCli([
      "train",
      "--steps",
      "1",
      "--out",
      join(file, "inside"),
    ]);
    assert.equal(code, 1);
    assert.equal(lines(stderr).length, 1, stderr);
    assert.match(stderr, /^genwasm train: /);
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
});

Deno.test("parseTrainArgs() keeps the defaults and applies flags", () => {
  assert.deepEqual(parseTrainArgs([]), {
    ...TRAIN_DEFAULTS,
    engine: { backend: "wasm" },
  });
  const config = parseTrainArgs([
    "--steps=20",
    "--batch",
    "32",
    "--lr",
    "2e-3",
    "--seed",
    "0",
    "--backend",
    "cpu",
    "--threads",
    "1",
  ]);
  assert.ok(config !== "help");
  assert.equal(config.steps, 20);
  assert.equal(config.batchSize, 32);
  assert.equal(config.learningRate, 2e-3);
  assert.equal(config.seed, 0);
  assert.deepEqual(config.engine, { backend: "cpu", threads: 1 });
  assert.equal(parseTrainArgs(["--help"]), "help");
});

Deno.test("parseTrainArgs() rejects bad values as usage errors", () => {
  for (
    const args of [
      ["--steps", "0"],
      ["--steps", "1.5"],
      ["--batch", "-3"],
      ["--lr", "fast"],
      ["--seed", "-1"],
      ["--out", ""],
    ]
  ) {
    assert.throws(() => parseTrainArgs(args), UsageError, args.join(" "));
  }
});
