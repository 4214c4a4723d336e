import assert from "node:assert/strict";
import { join } from "node:path";
import { decode } from "fast-png";
import { lines, runCli } from "./_run_cli.ts";
import {
  DEFAULT_MODEL,
  DEFAULT_STEPS,
  parseTrainArgs,
} from "../../cli/train.ts";
import { UsageError } from "../../cli/_flags.ts";

async function withRunDir(fn: (out: string) => Promise<void>) {
  const out = await Deno.makeTempDir({ prefix: "genwasm_train_" });
  try {
    await fn(out);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
}

Deno.test("train, resume, sample and eval work end to end on a small VAE", async () => {
  await withRunDir(async (out) => {
    const base = [
      "train",
      "--model",
      "vae-small",
      "--threads",
      "2",
      "--log-every",
      "1",
      "--out",
      out,
    ];
    const first = await runCli([...base, "--steps", "2"]);
    assert.equal(first.code, 0, first.stderr);
    const printed = lines(first.stdout);
    assert.match(printed[0], /^wasm \S+, 2 threads/);
    assert.match(first.stdout, /test: elbo_nats \d/);
    for (
      const file of [
        "checkpoint.safetensors",
        "metrics.jsonl",
        "loss.png",
        "samples.png",
      ]
    ) {
      assert.ok((await Deno.stat(join(out, file))).size > 0, file);
    }
    const resumed = await runCli([...base, "--steps", "4", "--resume"]);
    assert.equal(resumed.code, 0, resumed.stderr);
    const records = lines(await Deno.readTextFile(join(out, "metrics.jsonl")))
      .map((l) => JSON.parse(l));
    assert.deepEqual(records.map((r) => r.step), [1, 2, 3, 4]);
    // Memory stays flat: the same number of live tensors at every logged step.
    assert.equal(new Set(records.slice(1).map((r) => r.tensors)).size, 1);

    const picture = join(out, "grid.png");
    const sampled = await runCli([
      "sample",
      "--run",
      out,
      "--n",
      "16",
      "--out",
      picture,
    ]);
    assert.equal(sampled.code, 0, sampled.stderr);
    const png = decode(await Deno.readFile(picture));
    assert.ok(
      png.width > 8 * 28 && png.height > 2 * 28,
      `${png.width}x${png.height}`,
    );

    const evaluated = await runCli(["eval", "--run", out, "--json"]);
    assert.equal(evaluated.code, 0, evaluated.stderr);
    const report = JSON.parse(evaluated.stdout);
    assert.equal(report.model, "vae-small");
    assert.equal(report.step, 4);
    assert.ok(report.elbo_nats > 0 && Number.isFinite(report.elbo_nats));
  });
});

Deno.test("train, sample and eval give one-line errors with the right exit codes", async () => {
  await withRunDir(async (folder) => {
    const file = join(folder, "a-file");
    await Deno.writeTextFile(file, "");
    const cases: [string[], number, RegExp][] = [
      [
        ["train", "--steps", "1", "--out", join(file, "inside")],
        1,
        /^genwasm train: /,
      ],
      [["train", "--model", "nope"], 2, /unknown model "nope"/],
      [
        ["train", "--set", "latentSize=-2", "--steps", "1", "--out", folder],
        2,
        /latentSize/,
      ],
      [
        ["train", "--set", "bogus=1", "--steps", "1", "--out", folder],
        2,
        /bogus/,
      ],
      [
        ["train", "--resume", "--steps", "1", "--out", folder],
        1,
        /no checkpoint there/,
      ],
      [["sample"], 2, /--run DIR is required/],
      [["eval", "--run", folder], 1, /no checkpoint there/],
      [["eval", "--run", folder, "--bogus"], 2, /unknown flag --bogus/],
    ];
    for (const [args, code, message] of cases) {
      const result = await runCli(args);
      assert.equal(result.code, code, `${args.join(" ")}: ${result.stderr}`);
      assert.equal(
        lines(result.stderr).length,
        1,
        `${args.join(" ")}: ${result.stderr}`,
      );
      assert.match(result.stderr, message, args.join(" "));
    }
  });
});

Deno.test("parseTrainArgs() keeps the defaults and applies flags", () => {
  const defaults = parseTrainArgs([]);
  assert.ok(defaults !== "help");
  assert.equal(defaults.model, DEFAULT_MODEL);
  assert.equal(defaults.training.steps, DEFAULT_STEPS);
  assert.equal(defaults.out, join("runs", DEFAULT_MODEL));
  const command = parseTrainArgs([
    "--model=ae",
    "--steps=20",
    "--batch",
    "32",
    "--lr",
    "2e-3",
    "--seed",
    "0",
    "--warmup",
    "5",
    "--schedule",
    "cosine",
    "--clip-norm",
    "1",
    "--ema",
    "0.99",
    "--set",
    "codeSize=8",
    "--set",
    "loss=mse",
    "--backend",
    "cpu",
    "--threads",
    "1",
  ]);
  assert.ok(command !== "help");
  assert.equal(command.training.steps, 20);
  assert.equal(command.training.batchSize, 32);
  assert.equal(command.training.learningRate, 2e-3);
  assert.equal(command.training.warmupSteps, 5);
  assert.equal(command.training.schedule, "cosine");
  assert.equal(command.training.clipNorm, 1);
  assert.equal(command.training.emaDecay, 0.99);
  assert.deepEqual(command.overrides, { codeSize: 8, loss: "mse" });
  assert.deepEqual(command.engine, { backend: "cpu", threads: 1 });
  assert.equal(parseTrainArgs(["--help"]), "help");
});

Deno.test("parseTrainArgs() rejects bad values as usage errors naming the flag", () => {
  for (
    const [args, flag] of [
      [["--steps", "0"], "--steps"],
      [["--steps", "1.5"], "--steps"],
      [["--batch", "-3"], "--batch"],
      [["--lr", "fast"], "--lr"],
      [["--seed", "-1"], "--seed"],
      [["--out", ""], "--out"],
      [["--schedule", "wavy"], "--schedule"],
      [["--ema", "1"], "--ema"],
      [["--set", "novalue"], "--set"],
      [["--steps", "5", "--epochs", "1"], "--steps"],
    ] as const
  ) {
    assert.throws(() => parseTrainArgs([...args]), (error: Error) => {
      assert.ok(error instanceof UsageError, args.join(" "));
      assert.ok(
        error.message.includes(flag),
        `${args.join(" ")}: ${error.message}`,
      );
      return true;
    });
  }
});
