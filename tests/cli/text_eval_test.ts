/**
 * `eval` of text-conditioned runs (the fixed prompt set: class accuracy
 * and attribute agreement, held-out prompts apart, grids with the prompt
 * under each row) and `train --model cgan --condition text` with `sample
 * --prompt`. Both train on a small fake Fashion-MNIST folder (20 training
 * and 10 test images), so the test split is scored in moments.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli } from "./_run_cli.ts";
import { assertSampleGrid } from "./_pictures.ts";
import { decodePlainPng } from "../_plain_png.ts";
import { gzip, idxBytes, pixel } from "../data/_fashion_fixture.ts";
import { FASHION_MNIST_DIR_VARIABLE } from "../../data/fashion_mnist.ts";
import { TEXT_BAND } from "../../data/labelled_rows.ts";

/** A fake Fashion-MNIST folder: 20 training and 10 test images, labels in turn. */
async function fashionFolder(root: string): Promise<string> {
  const folder = join(root, "fashion");
  await Deno.mkdir(folder);
  for (const [prefix, count] of [["train", 20], ["t10k", 10]] as const) {
    const images = Array.from(
      { length: count * 784 },
      (_, index) => pixel(Math.floor(index / 784), index % 784),
    );
    const labels = Array.from({ length: count }, (_, index) => index % 10);
    await Deno.writeFile(
      join(folder, `${prefix}-images-idx3-ubyte.gz`),
      await gzip(idxBytes([count, 28, 28], images)),
    );
    await Deno.writeFile(
      join(folder, `${prefix}-labels-idx1-ubyte.gz`),
      await gzip(idxBytes([count], labels)),
    );
  }
  return folder;
}

/** `train` flags of a tiny, quick run on the fake Fashion-MNIST. */
const quick = (out: string, ...flags: string[]) => [
  "train",
  "--data",
  "fashion",
  "--steps",
  "1",
  "--batch",
  "4",
  "--threads",
  "2",
  "--out",
  out,
  ...flags,
];

/** The tiniest text ddpm: 2 diffusion steps, one level of 4 channels. */
const TINY_DDPM = [
  "--model",
  "ddpm-small",
  "--condition",
  "text",
  "--set",
  "timesteps=2",
  "--set",
  "baseWidth=4",
  "--set",
  "normGroups=2",
  "--set",
  "channelMultipliers=[1]",
];

/** Height of a prompt grid of `rows` prompts: 28-pixel images at scale 2. */
const gridHeight = (rows: number) => 2 + rows * (56 + TEXT_BAND + 2);

/** A text eval report's prompts, held-out prompts and samples per prompt. */
const promptCounts = (report: Record<string, number>) => [
  report.prompt_count,
  report.held_out_prompt_count,
  report.samples_per_prompt,
];

/**
 * Trains, side by side on a fake Fashion-MNIST folder in `root`, the run
 * `name` with `flags` and a one-step evaluation classifier.
 */
async function trainWithClassifier(
  root: string,
  name: string,
  ...flags: string[]
) {
  const env = { [FASHION_MNIST_DIR_VARIABLE]: await fashionFolder(root) };
  const run = join(root, name);
  const classifier = join(root, "classifier");
  const trained = await Promise.all([
    runCli(quick(run, ...flags), env),
    runCli(quick(classifier, "--model", "classifier"), env),
  ]);
  for (const result of trained) assert.equal(result.code, 0, result.stderr);
  return { env, run, classifier };
}

Deno.test("eval of a text ddpm: prompt class accuracy and brightness agreement in [0, 1], held-out prompts apart, a grid row per prompt with its text", async () => {
  const root = await Deno.makeTempDir({ prefix: "genwasm_text_eval_" });
  try {
    const { env, run, classifier } = await trainWithClassifier(
      root,
      "ddpm",
      ...TINY_DDPM,
      "--held-out",
      "light:0",
    );

    const evaluated = await runCli([
      "eval",
      "--run",
      run,
      "--classifier",
      classifier,
      "--samples",
      "20",
      "--sampler-steps",
      "1",
      "--threads",
      "2",
      "--json",
    ], env);
    assert.equal(evaluated.code, 0, evaluated.stderr);
    const report = JSON.parse(evaluated.stdout);
    // 10 classes x dark/light; "a light t-shirt" is the held-out one.
    assert.deepEqual(promptCounts(report), [19, 1, 1]);
    for (
      const key of [
        "prompt_class_accuracy",
        "brightness_agreement",
        "held_out_prompt_class_accuracy",
        "held_out_brightness_agreement",
      ]
    ) {
      assert.ok(
        typeof report[key] === "number" && report[key] >= 0 &&
          report[key] <= 1,
        `${key}: ${report[key]}`,
      );
    }
    assert.ok("fid" in report && "modes" in report, evaluated.stdout);
    assert.equal(report.class_accuracy, undefined);
    for (const [file, rows] of [["prompts", 19], ["held_out", 1]] as const) {
      const png = decodePlainPng(
        await Deno.readFile(join(run, "eval", `${file}.png`)),
      );
      assert.equal(png.height, gridHeight(rows), file);
      // One sample per prompt: one 56-pixel image, the text band as wide as it needs.
      assert.ok(png.width >= 2 + 56 + 2, file);
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("train --model cgan --condition text; sample --prompt draws one row per prompt; eval scores the fixed prompts", async () => {
  const root = await Deno.makeTempDir({ prefix: "genwasm_text_gan_" });
  try {
    const { env, run, classifier } = await trainWithClassifier(
      root,
      "gan",
      "--model",
      "cgan-small",
      "--condition",
      "text",
    );
    const picture = join(root, "prompts.png");
    const [sampled, evaluated] = await Promise.all([
      runCli([
        "sample",
        "--run",
        run,
        "--prompt",
        "a dark coat",
        "--prompt",
        "a light bag",
        "--prompt",
        "",
        "--out",
        picture,
        "--threads",
        "2",
      ], env),
      runCli(
        [
          "eval",
          "--run",
          run,
          "--classifier",
          classifier,
          "--samples",
          "40",
          "--threads",
          "2",
          "--json",
        ],
        env,
      ),
    ]);
    assert.equal(sampled.code, 0, sampled.stderr);
    // Three prompts: three rows of eight.
    assertSampleGrid(
      await Deno.readFile(picture),
      { count: 24, side: 28, channels: 1 },
      "cgan --prompt",
    );
    assert.equal(evaluated.code, 0, evaluated.stderr);
    const report = JSON.parse(evaluated.stdout);
    // No held-out pairs: said as a count of 0, and no held_out_ scores.
    assert.deepEqual(promptCounts(report), [20, 0, 2]);
    for (const key of ["prompt_class_accuracy", "brightness_agreement"]) {
      assert.ok(report[key] >= 0 && report[key] <= 1, `${key}: ${report[key]}`);
    }
    assert.deepEqual(
      Object.keys(report).filter((key) => key.startsWith("held_out_")),
      ["held_out_prompt_count"],
    );
    const png = decodePlainPng(
      await Deno.readFile(join(run, "eval", "prompts.png")),
    );
    assert.equal(png.height, gridHeight(20));
    await assert.rejects(() => Deno.stat(join(run, "eval", "held_out.png")));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
