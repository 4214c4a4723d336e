/**
 * `genwasm eval`: measures a trained run on its test split.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { describeEngine, initEngine } from "@genwasm/backend/engine";
import type { Picture } from "@genwasm/data/image_grid";
import { writePng } from "@genwasm/data/png";
import { dataSpecOf, loadImageData } from "./_data.ts";
import { openClassifier, openRun, requireRun } from "./_run.ts";
import { terminalProgress } from "./_progress.ts";
import {
  COMMON_FLAGS,
  COMMON_HELP,
  engineOptions,
  parseFlags,
  wholeNumber,
} from "./_flags.ts";
import {
  evaluationOptionsHelp,
  sampleOptionFlags,
  sampleOptions,
} from "./_sample_options.ts";
import { MODEL_FAMILIES, type ModelFamily } from "@genwasm/models/registry";

/** One line for the command list. */
export const SUMMARY = "measure a trained run on the test split";

/** The flags of `eval` itself; the sampling flags come from the families. */
const FLAGS = {
  ...COMMON_FLAGS,
  run: { type: "string" },
  json: { type: "boolean" },
  raw: { type: "boolean" },
  classifier: { type: "string" },
  samples: { type: "string" },
} as const;

/** The command's `--help` for `families`: the sampling flags are theirs. */
export function evalHelp(families: readonly ModelFamily[]): string {
  const sampling = evaluationOptionsHelp(families);
  return `genwasm eval: ${SUMMARY}

Usage: deno task eval --run DIR [--json]

Metrics depend on the model: elbo_nats (VAE: test negative ELBO, nats per
image), reconstruction_loss / reconstruction_mse (AE), class_accuracy and
fid_test_vs_train (classifier). Generative models also get fid,
inception_score and modes (of 10) from 10000 samples, scored by the
evaluation classifier (runs/classifier, or --classifier DIR); ddpm reports
the time drawing them took as sampling_seconds.

Text-conditioned models (train --condition text) draw the samples from a
fixed prompt set instead (with the classifier; text GANs 2000 by default):
every class with each attribute pair the captions speak of (MNIST: thin or
thick x leaning left, upright or leaning right; Fashion-MNIST: dark or
light), worded as "a thin three leaning left", the
same number of samples from each (at least 1; --samples in all), and report
prompt_class_accuracy (share the classifier puts in the prompt's class),
thickness_agreement, slant_agreement (MNIST) or brightness_agreement
(Fashion-MNIST): share of samples whose measured attribute class, by the
captioner's own measures and thresholds, is the prompt's. Prompts naming a
held-out pair (train --held-out) are scored apart as held_out_*;
held_out_prompt_count is 0 when the run holds none out. Grids with the
prompt under each row go to RUN/eval/prompts.png and RUN/eval/held_out.png.

  --run DIR   run folder written by train (required)
  --json      print one JSON object on stdout (and nothing else there)
  --raw       use the raw weights even when the run kept an EMA
  --classifier DIR  evaluation classifier run (default runs/classifier if present)
  --samples N  samples drawn and scored (default 10000; ddpm 256; text gan 2000)
${sampling ? `${sampling}\n` : ""}${COMMON_HELP}`;
}

/** The command's `--help`. */
export const HELP = evalHelp(MODEL_FAMILIES);

/** Runs `eval` with its arguments (the command name removed). */
export async function main(args: string[]): Promise<void> {
  const values = parseFlags(args, {
    ...sampleOptionFlags(MODEL_FAMILIES, Object.keys(FLAGS)),
    ...FLAGS,
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const runDir = requireRun(values);
  // With --json, stdout carries the JSON object only; the rest goes to stderr.
  const say = values.json ? console.error : console.log;
  const engine = await initEngine(engineOptions(values));
  say(describeEngine(engine));
  const samples = values.samples !== undefined
    ? wholeNumber("samples", values.samples)
    : undefined;
  const run = await openRun(runDir, { useAverage: !values.raw });
  try {
    // Checked before any data is loaded: a flag the model ignores is a usage error.
    const sampling = sampleOptions(values, run.family, { evaluation: true });
    const data = await loadImageData(dataSpecOf(run.training));
    const classifier = run.family.name === "classifier"
      ? undefined
      : await openClassifier(values.classifier, data);
    if (!classifier && run.family.name !== "classifier") {
      say(
        "no evaluation classifier (train one: deno task train --model classifier); skipping fid, inception_score, modes and prompt scores",
      );
    }
    let metrics;
    const pictures = new Map<string, Picture>();
    try {
      metrics = await run.family.evaluate(run.model, {
        ...data,
        classifier,
        samples,
        sampling,
        ...terminalProgress(),
        picture: (name, picture) => pictures.set(name, picture),
      });
    } finally {
      classifier?.model.dispose();
    }
    const report = {
      model: run.preset,
      step: run.step,
      ema: run.averaged,
      ...metrics,
    };
    if (values.json) {
      console.log(JSON.stringify(report));
    } else {
      const width = Math.max(...Object.keys(report).map((key) => key.length));
      for (const [key, value] of Object.entries(report)) {
        say(`${key.padEnd(width)}  ${value}`);
      }
    }
    // After the numbers, so a refused write does not lose them.
    for (const [name, picture] of pictures) {
      const path = join(runDir, "eval", `${name}.png`);
      await Deno.mkdir(dirname(path), { recursive: true });
      await writePng(path, picture);
      say(`wrote ${path}`);
    }
  } finally {
    run.model.dispose();
  }
}
