/**
 * `genwasm sample`: draws a picture from a trained run.
 *
 * @module
 */
import { join } from "node:path";
import { describeEngine, initEngine } from "@genwasm/backend/engine";
import { writePng } from "@genwasm/data/png";
import { dataSpecOf, loadImageData } from "./_data.ts";
import {
  checkSampleOptions,
  sampleOptionFlags,
  sampleOptions,
  sampleOptionsHelp,
} from "./_sample_options.ts";
import { MODEL_FAMILIES, type ModelFamily } from "@genwasm/models/registry";
import { sampleGrid } from "@genwasm/models/sample_grid";
import { openRun, requireRun } from "./_run.ts";
import { terminalProgress } from "./_progress.ts";
import {
  COMMON_FLAGS,
  COMMON_HELP,
  engineOptions,
  parseFlags,
  UsageError,
  wholeNumber,
} from "./_flags.ts";

/** One line for the command list. */
export const SUMMARY = "draw a grid of samples from a trained run";

/** The flags of `sample` itself; the sampling flags come from the families. */
const FLAGS = {
  ...COMMON_FLAGS,
  run: { type: "string" },
  n: { type: "string" },
  seed: { type: "string" },
  kind: { type: "string" },
  raw: { type: "boolean" },
  out: { type: "string" },
} as const;

/**
 * The command's `--help` for `families`: the sampling flags and picture
 * kinds are theirs.
 */
export function sampleHelp(families: readonly ModelFamily[]): string {
  const kinds = families.map((family) =>
    `  ${family.name.padEnd(15)}  ${family.sampleKinds.join(", ")}`
  );
  return `genwasm sample: ${SUMMARY}

Usage: deno task sample --run DIR [--n 64] [--out FILE.png]

  --run DIR        run folder written by train (required)
  --n N            images in the grid (default 64)
  --seed N         seed of the draw (default 0)
  --kind NAME      what to draw (default: the model's first kind, below)
${sampleOptionsHelp(families)}
  --raw            use the raw weights even when the run kept an EMA
  --out FILE.png   where to write (default DIR/sample-KIND-SEED.png)
${COMMON_HELP}

Picture kinds (--kind) of each model family, the default first:
${kinds.join("\n")}`;
}

/** The command's `--help`. */
export const HELP = sampleHelp(MODEL_FAMILIES);

/** Runs `sample` with its arguments (the command name removed). */
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
  const count = values.n !== undefined ? wholeNumber("n", values.n) : 64;
  const seed = values.seed !== undefined
    ? wholeNumber("seed", values.seed, 0)
    : 0;
  const engine = engineOptions(values);
  console.log(describeEngine(await initEngine(engine)));
  const run = await openRun(runDir, { useAverage: !values.raw });
  try {
    const kind = values.kind ?? run.family.sampleKinds[0];
    if (!run.family.sampleKinds.includes(kind)) {
      throw new UsageError(
        `--kind must be one of ${
          run.family.sampleKinds.join(", ")
        } for ${run.preset}, got "${kind}"`,
      );
    }
    const data = await loadImageData(dataSpecOf(run.training));
    const options = sampleOptions(values, run.family);
    checkSampleOptions(options, run.family, data);
    const { picture, count: drawn } = sampleGrid(run.family, run.model, {
      count,
      seed,
      kind,
      test: data.test,
      ...options,
      ...terminalProgress(),
    });
    const out = values.out ?? join(runDir, `sample-${kind}-${seed}.png`);
    await writePng(out, picture);
    console.log(
      `wrote ${out}: ${drawn} ${kind} from ${run.preset} at step ${run.step}` +
        (run.averaged ? " (EMA weights)" : ""),
    );
  } finally {
    run.model.dispose();
  }
}
