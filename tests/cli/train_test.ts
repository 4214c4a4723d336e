import assert from "node:assert/strict";
import { join } from "node:path";
import { lines, runCli } from "./_run_cli.ts";
import { assertPlot, assertSampleGrid } from "./_pictures.ts";
import {
  DEFAULT_MODEL,
  DEFAULT_STEPS,
  parseTrainArgs,
} from "../../cli/train.ts";
import { UsageError } from "../../cli/_flags.ts";
import { decodeSafetensors } from "../../train/safetensors.ts";
import { writePng } from "../../data/png.ts";
import { loadCheckpoint } from "../../train/checkpoint.ts";
import { LOCK_FILE, RUN_FILES, RunFolder } from "../../train/run_folder.ts";
import { defaultClassifierRun } from "../../cli/_run.ts";

/** Whether `eval` finds the default evaluation classifier (cli/_run.ts). */
function hasDefaultClassifier(): boolean {
  try {
    Deno.statSync(join(defaultClassifierRun("mnist"), RUN_FILES.checkpoint));
    return true;
  } catch {
    return false;
  }
}

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
    const resumed = await runCli([...base, "--steps", "4", "--resume"]);
    assert.equal(resumed.code, 0, resumed.stderr);
    const records = lines(await Deno.readTextFile(join(out, "metrics.jsonl")))
      .map((l) => JSON.parse(l));
    assert.deepEqual(records.map((r) => r.step), [1, 2, 3, 4]);
    // Memory stays flat: the same number of live tensors at every logged step.
    assert.equal(new Set(records.slice(1).map((r) => r.tensors)).size, 1);
    // A VAE trains in one phase, so its loss plot is one 640 x 360 panel.
    assertPlot(
      await Deno.readFile(join(out, "loss.png")),
      640,
      360,
      "loss.png",
    );
    // Training draws 64 samples, 28 x 28 grey for MNIST.
    assertSampleGrid(
      await Deno.readFile(join(out, "samples.png")),
      { count: 64, side: 28, channels: 1 },
      "samples.png",
    );

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
    assertSampleGrid(
      await Deno.readFile(picture),
      { count: 16, side: 28, channels: 1 },
      "sample --n 16",
    );

    for (
      const [flags, message] of [
        [["--guidance", "3"], /--guidance does not apply to this model/],
        [["--class", "1"], /--class does not apply to this model/],
        [["--no-clip"], /--no-clip does not apply to this model/],
        [["--kind", "chain"], /--kind must be one of samples/],
      ] as const
    ) {
      const refused = await runCli(["sample", "--run", out, ...flags]);
      assert.equal(refused.code, 2, refused.stderr);
      assert.equal(lines(refused.stderr).length, 1, refused.stderr);
      assert.match(refused.stderr, message);
    }

    for (
      const [flags, message] of [
        [["--sampler", "ddim"], /--sampler does not apply to this model/],
        [["--samples", "0"], /--samples must be a whole number >= 1/],
      ] as const
    ) {
      const refused = await runCli(["eval", "--run", out, ...flags]);
      assert.equal(refused.code, 2, refused.stderr);
      assert.equal(lines(refused.stderr).length, 1, refused.stderr);
      assert.match(refused.stderr, message);
    }

    const evaluated = await runCli(["eval", "--run", out, "--json"]);
    assert.equal(evaluated.code, 0, evaluated.stderr);
    const report = JSON.parse(evaluated.stdout);
    // Sample metrics too where the default evaluation classifier exists
    // (runs/classifier, trained on this machine; never in a clean clone).
    const scored = hasDefaultClassifier()
      ? ["fid", "inception_score", "modes"]
      : [];
    assert.deepEqual(
      Object.keys(report).sort(),
      [
        "elbo_nats",
        "ema",
        "kl_nats",
        "model",
        "reconstruction_nats",
        "step",
        ...scored,
      ].sort(),
    );
    assert.equal(report.model, "vae-small");
    assert.equal(report.step, 4);
    assert.equal(report.ema, false);
    // The negative ELBO is the reconstruction term plus the KL term; a KL
    // divergence is never negative, and Bernoulli likelihoods of pixels in
    // (0, 1) cost nats.
    assert.ok(report.kl_nats >= 0, `kl_nats ${report.kl_nats}`);
    assert.ok(
      report.reconstruction_nats > 0 && Number.isFinite(report.elbo_nats),
      `reconstruction_nats ${report.reconstruction_nats}`,
    );
    assert.ok(
      Math.abs(
        report.elbo_nats - report.reconstruction_nats - report.kl_nats,
      ) <=
        1e-6 * report.elbo_nats,
      `elbo_nats ${report.elbo_nats} is not reconstruction ${report.reconstruction_nats} + kl ${report.kl_nats}`,
    );

    const codesPath = join(out, "codes.safetensors");
    const encoded = await runCli(["encode", "--run", out, "--out", codesPath]);
    assert.equal(encoded.code, 0, encoded.stderr);
    const codes = decodeSafetensors(await Deno.readFile(codesPath), codesPath);
    assert.deepEqual(codes.tensors.get("codes")!.shape, [10000, 8]);
    assert.ok(codes.tensors.get("codes")!.data.every(Number.isFinite));
    assert.equal(codes.tensors.get("labels")!.data.length, 10000);
    assert.equal(codes.metadata.split, "test");
  });
});

/** Writes 12 small PNG files in two class folders under `root`; returns their folder. */
async function writePictures(root: string): Promise<string> {
  const pictures = join(root, "pictures");
  for (const [label, value] of [["dark", 40], ["light", 220]] as const) {
    await Deno.mkdir(join(pictures, label), { recursive: true });
    for (let i = 0; i < 6; i++) {
      const data = new Uint8Array(10 * 10 * 3).map((_, k) =>
        (value + 7 * i + (k % 5)) % 256
      );
      await writePng(join(pictures, label, `${i}.png`), {
        width: 10,
        height: 10,
        channels: 3,
        data,
      });
    }
  }
  return pictures;
}

/** `train` flags of a quick autoencoder on {@link writePictures}' files. */
function quickAe(pictures: string, out: string, steps: number): string[] {
  return [
    "train",
    "--model",
    "ae",
    "--data",
    `folder:${pictures}`,
    "--image-size",
    "8",
    "--channels",
    "1",
    "--batch",
    "4",
    "--steps",
    String(steps),
    "--threads",
    "2",
    "--out",
    out,
  ];
}

Deno.test("train --data folder: trains on PNG files; sample, eval and encode reload the same data", async () => {
  await withRunDir(async (root) => {
    const pictures = await writePictures(root);
    const out = join(root, "run");
    const trained = await runCli(quickAe(pictures, out, 2));
    assert.equal(trained.code, 0, trained.stderr);
    assert.match(trained.stdout, /10 training images/);
    const sampled = await runCli(["sample", "--run", out, "--n", "16"]);
    assert.equal(sampled.code, 0, sampled.stderr);
    // The test split holds the other 2 of the 12 pictures; an autoencoder
    // draws each beside its reconstruction, 8 x 8 grey as trained.
    const wrote = sampled.stdout.match(
      /^wrote (.+): 4 reconstructions from ae/m,
    );
    assert.ok(wrote, sampled.stdout);
    assertSampleGrid(
      await Deno.readFile(wrote[1]),
      { count: 4, side: 8, channels: 1 },
      "sample of folder data",
    );
    const evaluated = await runCli(["eval", "--run", out, "--json"]);
    assert.equal(evaluated.code, 0, evaluated.stderr);
    const report = JSON.parse(evaluated.stdout);
    assert.deepEqual(Object.keys(report).sort(), [
      "ema",
      "model",
      "reconstruction_loss",
      "reconstruction_mse",
      "step",
    ]);
    assert.deepEqual([report.model, report.step, report.ema], ["ae", 2, false]);
    // Pixels and reconstructions lie in [0, 1], so their mean squared error
    // does too; and per pixel, cross-entropy = entropy + KL >= 2 (t - p)^2
    // (Pinsker), so the BCE loss is at least twice the MSE of the same images.
    assert.ok(
      report.reconstruction_mse > 0 && report.reconstruction_mse <= 1,
      `reconstruction_mse ${report.reconstruction_mse}`,
    );
    assert.ok(
      report.reconstruction_loss >= 2 * report.reconstruction_mse &&
        Number.isFinite(report.reconstruction_loss),
      `reconstruction_loss ${report.reconstruction_loss} < 2 x mse ${report.reconstruction_mse}`,
    );
    const encoded = await runCli(["encode", "--run", out, "--split", "train"]);
    assert.equal(encoded.code, 0, encoded.stderr);
    const codes = decodeSafetensors(
      await Deno.readFile(join(out, "codes-train.safetensors")),
      "codes",
    );
    assert.equal(codes.tensors.get("codes")!.shape[0], 10);
    assert.deepEqual([...codes.tensors.get("labels")!.data].sort(), [
      0,
      0,
      0,
      0,
      0,
      1,
      1,
      1,
      1,
      1,
    ]);
  });
});

Deno.test("train refuses an --out that holds a checkpoint in one line (exit 1, checkpoint untouched); --overwrite starts again", async () => {
  await withRunDir(async (root) => {
    const pictures = await writePictures(root);
    const out = join(root, "run");
    const checkpoint = join(out, "checkpoint.safetensors");
    const first = await runCli(quickAe(pictures, out, 1));
    assert.equal(first.code, 0, first.stderr);
    const before = await Deno.readFile(checkpoint);
    const again = await runCli(quickAe(pictures, out, 2));
    assert.equal(again.code, 1, again.stderr);
    assert.equal(again.stdout, "", "refused before starting anything");
    assert.deepEqual(lines(again.stderr), [
      `genwasm train: ${out} already holds a checkpoint: continue it with --resume or replace it with --overwrite`,
    ]);
    assert.deepEqual(await Deno.readFile(checkpoint), before);
    const both = await runCli([
      ...quickAe(pictures, out, 2),
      "--resume",
      "--overwrite",
    ]);
    assert.equal(both.code, 2, both.stderr);
    assert.deepEqual(lines(both.stderr), [
      "genwasm train: give --resume or --overwrite, not both",
    ]);
    const overwritten = await runCli([
      ...quickAe(pictures, out, 2),
      "--overwrite",
    ]);
    assert.equal(overwritten.code, 0, overwritten.stderr);
    assert.match(overwritten.stdout, /trained to step 2/);
    assert.equal((await loadCheckpoint(checkpoint)).step, 2);
    const records = lines(await Deno.readTextFile(join(out, "metrics.jsonl")));
    assert.deepEqual(
      records.map((l) => JSON.parse(l).step),
      [2],
      "a new log: the first run's step 1 is gone",
    );
    assert.deepEqual(
      [...Deno.readDirSync(out)].map((e) => e.name).filter((n) =>
        n.endsWith(".lock")
      ),
      [],
      "no lock left after the run",
    );
  });
});

Deno.test("train refuses an --out another live process trains into, in one line (exit 1); a lock whose process died is taken over", async () => {
  await withRunDir(async (root) => {
    const pictures = await writePictures(root);
    const out = join(root, "run");
    // This test process holds the lock as a live trainer would.
    await Deno.mkdir(out);
    const folder = await RunFolder.claim(out);
    let refused;
    try {
      refused = await runCli([...quickAe(pictures, out, 1), "--overwrite"]);
    } finally {
      await folder.release();
    }
    assert.equal(refused.code, 1, refused.stderr);
    assert.equal(refused.stdout, "");
    const said = lines(refused.stderr);
    assert.equal(said.length, 1, refused.stderr);
    assert.match(
      said[0],
      new RegExp(
        `^genwasm train: ${out} is in use: another train is writing into it \\(process ${Deno.pid} on .*\\); wait for it to end or stop it$`,
      ),
    );
    // A trainer killed with SIGKILL leaves its lock file naming a dead process.
    const gone = new Deno.Command("true").spawn();
    await gone.status;
    await Deno.writeTextFile(
      join(out, LOCK_FILE),
      JSON.stringify({
        pid: gone.pid,
        host: Deno.hostname(),
        started: new Date().toISOString(),
      }),
    );
    const taken = await runCli(quickAe(pictures, out, 1));
    assert.equal(taken.code, 0, taken.stderr);
    assert.equal(
      (await loadCheckpoint(join(out, "checkpoint.safetensors"))).step,
      1,
    );
    await assert.rejects(
      () => Deno.stat(join(out, LOCK_FILE)),
      Deno.errors.NotFound,
    );
  });
});

Deno.test("train evaluates the EMA weights in memory: the numbers eval gives for the saved EMA weights, not those of the raw weights", async () => {
  await withRunDir(async (root) => {
    const pictures = await writePictures(root);
    const out = join(root, "run");
    const trained = await runCli([
      ...quickAe(pictures, out, 3),
      "--ema",
      "0.9",
      "--lr",
      "0.01",
    ]);
    assert.equal(trained.code, 0, trained.stderr);
    const printed = trained.stdout.match(/^test \(EMA weights\): (.*)$/m);
    assert.ok(printed, trained.stdout);
    const atEnd = Object.fromEntries(
      printed[1].split(", ").map((pair) => {
        const [name, value] = pair.split(" ");
        return [name, Number(value)];
      }),
    );
    // eval --json gives the full values; train printed them to 4 decimals.
    const evaluate = async (flags: string[], ema: boolean) => {
      const result = await runCli(["eval", "--run", out, "--json", ...flags]);
      assert.equal(result.code, 0, result.stderr);
      const report = JSON.parse(result.stdout);
      assert.equal(report.ema, ema);
      return Object.fromEntries(
        Object.keys(atEnd).map((name) => [name, +report[name].toFixed(4)]),
      );
    };
    assert.ok(Object.keys(atEnd).length > 0);
    assert.deepEqual(atEnd, await evaluate([], true));
    assert.notDeepEqual(atEnd, await evaluate(["--raw"], false));
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
      [["train", "--data", "cifar"], 2, /--data must be one of mnist, fashion/],
      [
        ["train", "--data", "moons", "--steps", "1"],
        2,
        /--data moons: vae trains on images, not 2-D points/,
      ],
      [["train", "--channels", "2"], 2, /--channels must be 1 or 3/],
      [
        ["train", "--data", "mnist", "--image-size", "32", "--steps", "1"],
        2,
        /--data mnist: option size must be 28/,
      ],
      [
        ["train", "--data", "fashion", "--steps", "1", "--out", folder],
        1,
        /dataset-fashion-mnist/,
      ],
      [["encode", "--run", folder, "--split", "all"], 2, /--split must be/],
      [["eval", "--run", folder], 1, /no checkpoint there/],
      [["eval", "--run", folder, "--bogus"], 2, /unknown flag --bogus/],
    ];
    for (const [args, code, message] of cases) {
      // An empty folder stands in for a machine without Fashion-MNIST.
      const result = await runCli(args, {
        GENWASM_FASHION_DIR: join(folder, "absent"),
      });
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
  const timed = parseTrainArgs(["--minutes", "0.5"]);
  assert.ok(timed !== "help" && timed.minutes === 0.5);
  assert.equal(defaults.overwrite, false);
  const again = parseTrainArgs(["--overwrite"]);
  assert.ok(again !== "help" && again.overwrite && !again.resume);
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
      [["--minutes", "0"], "--minutes"],
      [["--minutes", "soon"], "--minutes"],
      [["--resume", "--overwrite"], "--overwrite"],
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
