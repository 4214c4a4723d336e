/**
 * `train --condition text` and `sample --prompt`: a text ddpm trained for
 * two steps, its vocabulary in the checkpoint, one grid row per prompt,
 * the same picture on every reload, unknown words refused in one line.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { lines, runCli } from "./_run_cli.ts";
import { assertSampleGrid } from "./_pictures.ts";
import { HELP, parseTrainArgs } from "../../cli/train.ts";
import { parseFlags, UsageError } from "../../cli/_flags.ts";
import { sampleOptionFlags, sampleOptions } from "../../cli/_sample_options.ts";
import { familyOf } from "../../models/registry.ts";
import { captionVocabulary } from "../../data/captions/tokenizer.ts";
import { loadCheckpoint } from "../../train/checkpoint.ts";

Deno.test("train --condition text saves the vocabulary; sample --prompt draws a row per prompt, the same after each reload", async () => {
  const out = await Deno.makeTempDir({ prefix: "genwasm_text_" });
  try {
    const trained = await runCli([
      "train",
      "--model",
      "ddpm-small",
      "--condition",
      "text",
      "--held-out",
      "thick:4",
      "--set",
      "timesteps=10",
      "--steps",
      "2",
      "--batch",
      "8",
      "--threads",
      "2",
      "--out",
      out,
    ]);
    assert.equal(trained.code, 0, trained.stderr);
    const saved = await loadCheckpoint(join(out, "checkpoint.safetensors"));
    const text = saved.config.text as Record<string, unknown>;
    assert.deepEqual(text.vocabulary, captionVocabulary().toJson().tokens);
    assert.deepEqual(text.heldOut, [{ value: "thick", label: 4 }]);
    assert.equal(text.dataset, "mnist");

    const sample = (file: string, ...flags: string[]) =>
      runCli([
        "sample",
        "--run",
        out,
        "--sampler-steps",
        "2",
        "--threads",
        "2",
        "--out",
        join(out, file),
        ...flags,
      ]);
    const prompts = ["--prompt", "a thin three leaning left", "--prompt", ""];
    // Independent runs of the same checkpoint: side by side, on the 2 cores.
    const [first, again, other, refused, classed] = await Promise.all([
      sample("a.png", ...prompts, "--guidance", "2"),
      sample("b.png", ...prompts, "--guidance", "2"),
      sample("c.png", ...prompts, "--guidance", "5"),
      sample("d.png", "--prompt", "a thik 7"),
      sample("e.png", "--class", "3"),
    ]);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(again.code, 0, again.stderr);
    const picture = await Deno.readFile(join(out, "a.png"));
    // Two prompts: two rows of eight.
    assertSampleGrid(picture, { count: 16, side: 28, channels: 1 }, "a.png");
    assert.deepEqual(await Deno.readFile(join(out, "b.png")), picture);
    assert.equal(other.code, 0, other.stderr);
    assert.notDeepEqual(await Deno.readFile(join(out, "c.png")), picture);

    assert.equal(refused.code, 1);
    assert.equal(lines(refused.stderr).length, 1, refused.stderr);
    assert.match(
      refused.stderr,
      /unknown word "thik" \(did you mean: thick, thin\)/,
    );
    assert.equal(lines(classed.stderr).length, 1, classed.stderr);
    assert.match(
      classed.stderr,
      /text-conditioned; ask for a class with --prompt/,
    );
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("parseTrainArgs() takes --condition text with --held-out, and refuses what does not fit", () => {
  const command = parseTrainArgs([
    "--model",
    "ddpm",
    "--data",
    "fashion",
    "--condition",
    "text",
    "--held-out",
    "light:0",
  ]);
  assert.notEqual(command, "help");
  if (command === "help") return;
  assert.deepEqual(command.overrides.text, {
    dataset: "fashion",
    heldOut: [{ value: "light", label: 0 }],
  });
  const bad: [string[], RegExp][] = [
    [["--condition", "words"], /--condition must be class or text/],
    [["--model", "vae", "--condition", "text"], /vae takes no text condition/],
    [
      ["--model", "flow", "--condition", "text"],
      /flow takes no text condition/,
    ],
    [
      ["--model", "ddpm", "--data", "moons", "--condition", "text"],
      /captions exist for mnist and fashion, not moons/,
    ],
    [["--model", "ddpm", "--held-out", "thick:4"], /--condition text only/],
    [
      ["--model", "ddpm", "--condition", "text", "--held-out", "huge:4"],
      /"huge" is no attribute class of mnist/,
    ],
    [
      ["--model", "ddpm", "--conditional", "--condition", "text"],
      /--conditional or --condition text, not both/,
    ],
  ];
  for (const [args, message] of bad) {
    assert.throws(() => parseTrainArgs(args), (error: Error) => {
      assert.ok(error instanceof UsageError, `${args}: ${error}`);
      assert.match(error.message, message);
      return true;
    });
  }
  // cgan's labels give way to text.
  const cgan = parseTrainArgs(["--model", "cgan", "--condition", "text"]);
  if (cgan === "help") throw new Error("not help");
  assert.equal(cgan.overrides.conditional, false);
  assert.deepEqual(cgan.overrides.text, { dataset: "mnist", heldOut: [] });
  const classed = parseTrainArgs(["--model", "ddpm", "--condition", "class"]);
  assert.ok(classed !== "help" && classed.overrides.conditional === true);
});

Deno.test("parseTrainArgs() puts --set text.KEY into the text block (ddpm: text.injection=cross), and only there", () => {
  const command = parseTrainArgs([
    "--model",
    "ddpm-small",
    "--condition",
    "text",
    "--set",
    "text.injection=cross",
    "--set",
    "text.crossResolutions=[7,14]",
    "--set",
    "labelDropout=0.2",
  ]);
  if (command === "help") throw new Error("not help");
  assert.deepEqual(command.overrides, {
    labelDropout: 0.2,
    conditional: false,
    text: {
      injection: "cross",
      crossResolutions: [7, 14],
      dataset: "mnist",
      heldOut: [],
    },
  });
  const bad: [string[], RegExp][] = [
    [
      ["--model", "ddpm", "--set", "text.injection=cross"],
      /--set text.injection applies to --condition text only/,
    ],
    [
      ["--model", "ddpm", "--condition", "text", "--set", "text.dataset=x"],
      /--set text.dataset: give --data/,
    ],
    [
      ["--model", "ddpm", "--condition", "text", "--set", "unet.width=3"],
      /--set unet.width: ddpm has no config block "unet" \(blocks: "text"\)/,
    ],
    [
      ["--model", "vae", "--set", "text.layers=1"],
      /--set text.layers: vae has no config block "text"/,
    ],
    [["--model", "ddpm", "--set", "text.a.b=1"], /--set needs KEY=VALUE/],
  ];
  for (const [args, message] of bad) {
    assert.throws(() => parseTrainArgs(args), (error: Error) => {
      assert.ok(error instanceof UsageError, `${args}: ${error}`);
      assert.match(error.message, message);
      return true;
    });
  }
  // The help names the choice.
  assert.match(HELP, /--set text\.KEY=VALUE/);
  assert.match(HELP, /text\.injection=pooled\|cross\|both/);
});

Deno.test("sample's --prompt is repeatable: the prompts in order, empty ones kept", () => {
  const values = parseFlags(
    ["--prompt", "a thick 7", "--prompt", "", "--guidance", "2"],
    sampleOptionFlags(),
  );
  assert.deepEqual(sampleOptions(values, familyOf("ddpm")), {
    prompts: ["a thick 7", ""],
    guidance: 2,
  });
  assert.throws(
    () => sampleOptions(values, familyOf("vae")),
    /--prompt does not apply to this model/,
  );
});
