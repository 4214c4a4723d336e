/**
 * Turns the runs of `deno task bench:steps --profile` into bench/PROFILE.md
 * (and the same text on stdout): how it is measured, the machine, the
 * multiply-add ceiling, a summary of every model at every thread count,
 * then per model and thread count the kernels by time and the convolution
 * and matrix-product shapes by time.
 *
 * @module
 */
import type { Machine } from "./_machine.ts";
import type { ModelProfile, ProfileCounts } from "./_kernel_profile.ts";
import {
  type Ceiling,
  CEILING_CALL_MS,
  CEILING_CALLS,
  CEILING_CHAINS,
  idealCeiling,
} from "./_ceiling.ts";
import { formatNumber, MISSING, table } from "./_markdown.ts";

/** What a model's run at one thread count gave. */
export type ProfileCell =
  | ModelProfile
  /** No such preset yet. */
  | { model: string; missing: true }
  /** The run threw; `failed` says how. */
  | { model: string; failed: string };

/** Everything PROFILE.md says. */
export interface ProfileReport {
  machine: Machine;
  date: Date;
  loadBefore?: number;
  loadAfter?: number;
  counts: ProfileCounts;
  batchSize: number;
  ceilings: Ceiling[];
  models: string[];
  threads: number[];
  /** results[model][threads]. */
  results: Record<string, Record<number, ProfileCell>>;
}

/** The command that writes PROFILE.md. */
export const PROFILE_COMMAND = "deno task bench:steps --profile";
/** Shapes listed per model and thread count. */
export const TOP_SHAPES = 10;
/** Kernels named in the summary's last column. */
const SUMMARY_KERNELS = 3;
/** A 1-minute load average above this before the run means a busy machine. */
const BUSY_LOAD = 0.5;

/** Whether a cell holds a profile. */
export function isProfile(cell: ProfileCell | undefined): cell is ModelProfile {
  return cell !== undefined && "kernels" in cell;
}

/** Wall time not spent in kernels, ms per step: unprofiled wall - kernels. */
export function outsideMs(profile: ModelProfile): number {
  return profile.wallMs - profile.kernelMs;
}

/**
 * The same from the profiled steps alone (their mean wall - their mean
 * kernels): never below zero, but with the profiler's own bookkeeping in it.
 */
export function outsideProfiledMs(profile: ModelProfile): number {
  return profile.profiledWallMs - profile.kernelMs;
}

/** "1 thread", "2 threads". */
function threadWord(threads: number): string {
  return `${threads} thread${threads === 1 ? "" : "s"}`;
}

/** A share as "12%" (or "0.4%"), {@link MISSING} without a whole. */
function percent(part: number | undefined, whole: number | undefined): string {
  if (part === undefined || !whole) return MISSING;
  const value = 100 * part / whole;
  return `${value.toFixed(value < 10 ? 1 : 0)}%`;
}

function method(report: ProfileReport): string {
  const { warmup, timed, profiled } = report.counts;
  return [
    "## How it is measured",
    "",
    `- Each model trains on one random batch of ${report.batchSize} ` +
    "(bench/_step_timing.ts, as `bench:steps`), one process per thread " +
    `count: ${warmup} warm-up steps, then ${timed} timed steps with ` +
    `${profiled} steps under \`tf.profile\` spread evenly among them.`,
    "- **wall**: median wall time of the unprofiled steps. **kernels**: " +
    "the mean over the profiled steps of the sum of every kernel's time " +
    "(tfjs-backend-wasm times a kernel as the wall time of its function). " +
    "Only names registered as wasm kernels count: `tf.profile` also " +
    'records op scopes and custom-gradient wrappers ("fusedConv2d__op", ' +
    '"unnamed scope") whose time includes kernels it records too.',
    "- **outside kernels** = wall - kernels: JavaScript dispatch, tensor " +
    "bookkeeping, allocation, the gradient tape and the optimizer's " +
    "JavaScript. It is a lower bound: a kernel's recorded time also covers " +
    "the tfjs lines that wrap its outputs in tensors and, while the tape " +
    "records, copy the tensors the gradient needs (those copies are " +
    "Identity kernels, recorded on their own as well, so the Identity row " +
    "bounds what is counted twice); and profiled steps run slower (the " +
    "profiler allocates a record and two promises per kernel), some of " +
    "which may land inside kernels' times. The two terms come from " +
    "different steps, so on a busy machine it is rough, even negative. " +
    "**outside, profiled steps** = profiled wall - kernels, where " +
    "**profiled wall** is the mean wall time of the profiled steps: the " +
    "mean time outside kernels of the same steps, never negative, but " +
    "with the profiler's own bookkeeping in it.",
    "- **GFLOP**: counted from the shapes for Conv2D, FusedConv2D, " +
    "Conv2DBackpropInput, Conv2DBackpropFilter (each as its forward conv, " +
    "2 * N * OH * OW * Co * KH * KW * Ci), depthwise convolutions, " +
    "BatchMatMul and _FusedMatMul (2 * M * N * K per matrix); a " +
    "multiply-add is 2 FLOPs; bias, activation and other kernels are not " +
    "counted. **GFLOPS**: per kernel at its own time; per step at the wall " +
    "time. The count is the direct convolution's whatever the kernel does: " +
    "where it does fewer multiply-adds (a Winograd convolution does 2.25 " +
    "to 4 times fewer) these are effective GFLOPS, and may pass the " +
    "ceiling.",
    "- **Ceiling**: bench/_ceiling.ts (also `deno bench bench/ceiling_bench.ts`): " +
    `a WebAssembly loop of ${CEILING_CHAINS} independent \`c = c * m + k\` chains on ` +
    "128-bit vectors held in registers, no memory traffic, as one " +
    "`f32x4.relaxed_madd` or as `f32x4.mul` + `f32x4.add` (8 FLOPs " +
    `each); best of ${CEILING_CALLS} calls of about ${CEILING_CALL_MS} ms. ` +
    "At several threads it runs " +
    "on genwasm's kernel pool; the ideal is one thread's ceiling times the " +
    "threads, and the **% of ceiling** columns are against that ideal for " +
    "relaxed_madd.",
  ].join("\n");
}

function machineSection(report: ProfileReport): string {
  const { machine } = report;
  const lines = [
    "## Machine",
    "",
    `- CPU: ${machine.cpuModel}, ${machine.cores} logical cores`,
    `- OS: ${machine.os}`,
    `- Deno ${machine.deno} (V8 ${machine.v8})`,
    `- Date: ${report.date.toISOString()}`,
    `- 1-minute load average: ${formatNumber(report.loadBefore, 2)} before, ${
      formatNumber(report.loadAfter, 2)
    } after`,
  ];
  if ((report.loadBefore ?? 0) > BUSY_LOAD) {
    lines.push(
      "",
      "> Other processes were busy when the run began: times are " +
        "pessimistic and noisy, the multithreaded ones most.",
    );
  }
  return lines.join("\n");
}

/** The ceiling table: per loop, 1 thread and each other thread count measured and ideal. */
export function ceilingTable(
  ceilings: readonly Ceiling[],
  threads: readonly number[],
): string {
  const others = [...new Set(threads)].filter((count) => count > 1);
  const rows = [true, false].flatMap((fused) => {
    const of = (count: number) =>
      ceilings.find((c) => c.fused === fused && c.threads === count);
    const single = of(1);
    if (!single) return [];
    return [[
      fused ? "f32x4.relaxed_madd" : "f32x4.mul + f32x4.add",
      formatNumber(single.gflops),
      ...others.flatMap((count) => [
        formatNumber(of(count)?.gflops),
        formatNumber(single.gflops * count),
      ]),
    ]];
  });
  return table([
    "loop",
    "GFLOPS 1 thread",
    ...others.flatMap((count) => [
      `GFLOPS ${threadWord(count)} (pool)`,
      `ideal ${count} x 1 thread`,
    ]),
  ], rows);
}

/** "Conv2DBackpropInput 37%, FusedConv2D 25%, ..." for the top kernels. */
function topKernels(profile: ModelProfile, count = SUMMARY_KERNELS): string {
  return profile.kernels.slice(0, count)
    .map((kernel) =>
      `${kernel.name} ${percent(kernel.msPerStep, profile.kernelMs)}`
    )
    .join(", ");
}

/** Every model at every thread count, one row each. */
export function summaryTable(report: ProfileReport): string {
  const rows = report.models.flatMap((model) =>
    report.threads.map((threads) => {
      const cell = report.results[model]?.[threads];
      if (!isProfile(cell)) {
        // Placeholders keep the number columns right-aligned.
        return [
          model,
          String(threads),
          ...Array(8).fill(MISSING),
          cellProblem(cell),
        ];
      }
      const ceiling = idealCeiling(report.ceilings, threads)?.gflops;
      const gflops = cell.gflop / cell.wallMs * 1e3;
      return [
        model,
        String(threads),
        formatNumber(cell.wallMs),
        formatNumber(cell.kernelMs),
        formatNumber(outsideMs(cell)),
        formatNumber(outsideProfiledMs(cell)),
        formatNumber(cell.gflop, 2),
        formatNumber(gflops),
        formatNumber(ceiling),
        percent(gflops, ceiling),
        topKernels(cell),
      ];
    })
  );
  return table([
    "model",
    "threads",
    "wall ms",
    "kernels ms",
    "outside kernels ms",
    "outside, profiled steps ms",
    "GFLOP/step",
    "step GFLOPS",
    "ceiling GFLOPS",
    "% of ceiling",
    "top kernels (share of kernel time)",
  ], rows);
}

/** Why a cell has no profile. */
function cellProblem(cell: ProfileCell | undefined): string {
  if (!cell) return "not run";
  return "failed" in cell ? `failed: ${cell.failed}` : "not built yet";
}

/** Kernels by time per step. */
export function kernelTable(profile: ModelProfile): string {
  return table(
    ["kernel", "ms/step", "share", "calls/step", "GFLOP/step", "GFLOPS"],
    profile.kernels.map((kernel) => [
      kernel.name,
      formatNumber(kernel.msPerStep, 2),
      percent(kernel.msPerStep, profile.kernelMs),
      formatNumber(kernel.callsPerStep),
      formatNumber(kernel.gflopPerStep, 2),
      formatNumber(kernel.gflops),
    ]),
  );
}

/** The counted shapes that take longest per step. */
export function shapeTable(
  profile: ModelProfile,
  ceilingGflops: number | undefined,
  count = TOP_SHAPES,
): string {
  return table(
    [
      "kernel",
      "inputs -> output",
      "calls/step",
      "ms/call",
      "ms/step",
      "GFLOPS",
      "% of ceiling",
    ],
    profile.shapes.slice(0, count).map((shape) => [
      shape.kernel,
      `${shape.inputs} -> ${shape.output}`,
      formatNumber(shape.callsPerStep),
      formatNumber(shape.msPerCall, 2),
      formatNumber(shape.msPerStep),
      formatNumber(shape.gflops),
      percent(shape.gflops, ceilingGflops),
    ]),
  );
}

/** The paragraph of one model's figures at one thread count. */
function figures(profile: ModelProfile, ceiling: number | undefined): string {
  const gflops = profile.gflop / profile.wallMs * 1e3;
  const ms = (value: number) => `${formatNumber(value)} ms`;
  return [
    `Wall ${ms(profile.wallMs)} per step (median of ` +
    `${profile.stepsMs.length}), kernels ${ms(profile.kernelMs)} (mean of ` +
    `${profile.profiledSteps} profiled steps),`,
    `outside kernels ${ms(outsideMs(profile))} ` +
    `(${percent(outsideMs(profile), profile.wallMs)} of the wall;`,
    `in the profiled steps ${ms(outsideProfiledMs(profile))} of a ` +
    `${ms(profile.profiledWallMs)} wall).`,
    `${formatNumber(profile.gflop, 2)} GFLOP per step: ` +
    `${formatNumber(gflops)} GFLOPS at the wall time, ` +
    `${percent(gflops, ceiling)} of the ${formatNumber(ceiling)} GFLOPS ` +
    `ceiling at ${threadWord(profile.threads)}.`,
  ].join(" ");
}

/** One model at one thread count: the figures, the kernels and the shapes. */
export function renderModelProfile(
  profile: ModelProfile,
  ceilings: readonly Ceiling[],
): string {
  const ceiling = idealCeiling(ceilings, profile.threads)?.gflops;
  return [
    `### ${profile.model}, ${threadWord(profile.threads)}`,
    "",
    figures(profile, ceiling),
    "",
    kernelTable(profile),
    "",
    `Convolutions and matrix products by time (top ${TOP_SHAPES}):`,
    "",
    shapeTable(profile, ceiling),
  ].join("\n");
}

/** bench/PROFILE.md's text. */
export function renderProfile(report: ProfileReport): string {
  const sections = [
    "# genwasm: where a training step's time goes",
    `Written by \`${PROFILE_COMMAND}\` (bench/steps.ts); do not edit. ` +
    "Options: `--models dcgan,vae`, `--threads 1,2`, `--warmup`, `--timed`, " +
    "`--profiled` (steps under the profiler).",
    method(report),
    machineSection(report),
    "## Ceiling: f32x4 multiply-adds, no memory traffic",
    ceilingTable(report.ceilings, report.threads),
    "## Summary",
    `Per step, batch ${report.batchSize}; % of ceiling: step GFLOPS over ` +
    "the ideal relaxed_madd ceiling at that thread count.",
    summaryTable(report),
    ...report.models.flatMap((model) => [
      `## ${model}`,
      ...report.threads.map((threads) => {
        const cell = report.results[model]?.[threads];
        return isProfile(cell)
          ? renderModelProfile(cell, report.ceilings)
          : `### ${model}, ${threadWord(threads)}\n\n${cellProblem(cell)}`;
      }),
    ]),
  ];
  return sections.join("\n\n") + "\n";
}
