/**
 * `deno task bench:winograd [--models a,b] [--steps 200] [--threads N]`:
 * trains each canonical model on MNIST twice from the same start, with
 * genwasm's Winograd convolutions and with direct convolution (XNNPACK and
 * genwasm's direct SIMD kernels), same seed, batches and draws, and writes
 * both loss curves side by side with their largest relative difference to
 * bench/WINOGRAD.md. Winograd changes only the float32 rounding, so the
 * curves must agree to a small tolerance; a wrong kernel shows at once.
 *
 * Needs --allow-read, --allow-write (the runs under a temporary folder and
 * WINOGRAD.md), --allow-env, --allow-sys and --allow-run (deno fmt).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { initEngine } from "../backends/mod.ts";
import { useWinograd } from "../backends/wasm/kernels/_winograd.ts";
import { familyOf } from "../models/registry.ts";
import { train, TRAINING_DEFAULTS } from "../train/trainer.ts";
import { loadMnist } from "../data/mnist.ts";
import { CANONICAL_MODELS } from "./_step_timing.ts";
import { describeMachine } from "./_machine.ts";
import { table } from "./_markdown.ts";

/** The steps over which the two curves must agree to rounding. */
const EARLY_STEPS = 50;

/** One run's logged losses: phase -> (step, value) pairs. */
type Curves = Map<string, [number, number][]>;

/** Trains `preset` for `steps` and returns its logged losses. */
async function lossCurves(
  preset: string,
  steps: number,
  winograd: boolean,
  images: Awaited<ReturnType<typeof loadMnist>>["train"],
): Promise<{ curves: Curves; secondsPerStep: number }> {
  useWinograd(winograd);
  const family = familyOf(preset);
  const model = family.create(preset, {}, 0, { classes: 10 });
  const out = await Deno.makeTempDir({ prefix: `genwasm-winograd-${preset}-` });
  try {
    const result = await train(
      model,
      images,
      {
        ...TRAINING_DEFAULTS,
        ...family.training,
        steps,
        seed: 1,
        logEvery: 10,
        checkpointEvery: steps,
        sampleEvery: 0,
      },
      { out, write: () => {}, interactive: false },
    );
    const curves: Curves = new Map();
    for (const series of result.history) curves.set(series.name, series.points);
    return { curves, secondsPerStep: result.secondsPerStep };
  } finally {
    model.dispose();
    await Deno.remove(out, { recursive: true });
  }
}

/**
 * The largest |a - b| / max(|b|, 1e-3) over two runs' curves, at the
 * logged steps up to `lastStep`.
 */
export function largestRelativeDifference(
  a: Curves,
  b: Curves,
  lastStep = Infinity,
): number {
  let worst = 0;
  for (const [phase, points] of b) {
    const other = a.get(phase);
    if (!other || other.length !== points.length) return Infinity;
    points.forEach(([step, value], i) => {
      if (step > lastStep) return;
      const scale = Math.max(Math.abs(value), 1e-3);
      worst = Math.max(worst, Math.abs(other[i][1] - value) / scale);
    });
  }
  return worst;
}

/** Each phase's mean logged loss over the steps after `afterStep`, as text. */
export function lateMeans(curves: Curves, afterStep: number): string {
  return [...curves].map(([phase, points]) => {
    const late = points.filter(([step]) => step > afterStep);
    const mean = late.reduce((sum, [, v]) => sum + v, 0) / late.length;
    return `${phase} ${mean.toPrecision(4)}`;
  }).join(", ");
}

async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      models: { type: "string" },
      steps: { type: "string" },
      threads: { type: "string" },
    },
  });
  const models = values.models?.split(",") ?? CANONICAL_MODELS;
  const steps = Number(values.steps ?? 200);
  const threads = Number(values.threads ?? 2);
  if (!Number.isInteger(steps) || steps < 10) {
    throw new Error("--steps takes a whole number >= 10");
  }
  const info = await initEngine({ threads });
  const { train: images } = await loadMnist();
  const sections: string[] = [];
  const summary: string[][] = [];
  for (const preset of models) {
    console.error(`bench:winograd: ${preset}, ${steps} steps, direct ...`);
    const direct = await lossCurves(preset, steps, false, images);
    console.error(`bench:winograd: ${preset}, ${steps} steps, Winograd ...`);
    const winograd = await lossCurves(preset, steps, true, images);
    const worst = largestRelativeDifference(winograd.curves, direct.curves);
    const early = largestRelativeDifference(
      winograd.curves,
      direct.curves,
      EARLY_STEPS,
    );
    summary.push([
      preset,
      early.toExponential(2),
      worst.toExponential(2),
      lateMeans(direct.curves, steps / 2),
      lateMeans(winograd.curves, steps / 2),
      (1000 * direct.secondsPerStep).toFixed(0),
      (1000 * winograd.secondsPerStep).toFixed(0),
    ]);
    const rows: string[][] = [];
    for (const [phase, points] of direct.curves) {
      const other = winograd.curves.get(phase) ?? [];
      points.forEach(([step, value], i) => {
        rows.push([
          phase,
          String(step),
          value.toPrecision(6),
          other[i]?.[1].toPrecision(6) ?? "",
        ]);
      });
    }
    sections.push(
      `### ${preset}\n\n${
        table(["phase", "step", "direct", "Winograd"], rows)
      }`,
    );
  }
  const machine = describeMachine();
  const text = `# Winograd convolutions: the same training

Written by \`deno task bench:winograd\` (bench/winograd_losses.ts); do not
edit. Each canonical model trains ${steps} steps on MNIST twice from the same
weights, seed, batches and random draws (its recipe: batch 64, the spec's
optimizer), once with direct convolution (XNNPACK and genwasm's direct SIMD
kernels) and once with genwasm's Winograd kernels (F(4x4, 3x3) on 28x28
outputs, F(2x2, 3x3) on the others, F(3x3, 2x2) for the 2x2 phases of the
strided transposed convolutions and input gradients). The losses are the
trainer's logged means over each 10 steps.

- ${machine.cpuModel}, ${machine.cores} cores; Deno ${machine.deno}; ${info.threads} threads (${info.variant})
- Date: ${new Date().toISOString()}

## Largest relative difference between the two curves

| model | max rel. difference, steps <= ${EARLY_STEPS} | max rel. difference, all | mean loss, 2nd half, direct | mean loss, 2nd half, Winograd | direct ms/step | Winograd ms/step |
| :---- | ----: | ----: | :---- | :---- | ----: | ----: |
${summary.map((row) => `| ${row.join(" | ")} |`).join("\n")}

Rounding differences grow as training goes on, fastest in the GANs, whose
two players amplify any change to each other's updates (the same happens
between any two float32 implementations of a step); so the first
${EARLY_STEPS} steps show that the two compute the same thing, and the
second half's mean losses that they train alike.

The ms/step are the trainer's averages, data loading and logging included,
on a machine that may have been busy: bench:steps and bench:peers are the
speed figures.

## The curves

${sections.join("\n\n")}
`;
  const path = fileURLToPath(new URL("./WINOGRAD.md", import.meta.url));
  await Deno.writeTextFile(path, text);
  // Pads the tables as `deno fmt` would, so `deno fmt --check bench/` stays clean.
  await new Deno.Command(Deno.execPath(), {
    args: ["fmt", "--quiet", path],
  }).output();
  console.log(
    table(["model", "max rel diff", "direct ms", "Winograd ms"], summary),
  );
}

if (import.meta.main) {
  try {
    await main(Deno.args);
  } catch (error) {
    console.error(`bench:winograd: ${(error as Error).message}`);
    Deno.exit(2);
  }
}
