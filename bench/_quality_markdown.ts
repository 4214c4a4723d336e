/**
 * Turns the results of `deno task bench:quality` into bench/QUALITY.md (one
 * section and table per family: minutes, steps reached, the metrics of ours
 * and PyTorch, whether ours is at least as good) and one plot per family
 * (the headline metric against minutes, both sides). Each family's results
 * are kept as bench/quality_FAMILY.json, so a run of one family rewrites
 * its own section and keeps the others.
 *
 * @module
 */
import type { Machine } from "./_machine.ts";
import {
  blasLibrary,
  formatGflops,
  MIN_PEER_GFLOPS,
  type PeerBlas,
} from "./peers/_blas.ts";
import { formatNumber, MISSING, table } from "./_markdown.ts";
import {
  QUALITY_FAMILIES,
  QUALITY_FAMILY_NAMES,
  type QualityFamily,
  type QualityMetric,
} from "./_quality_families.ts";
import { plotCurves } from "./_quality_plot.ts";
import type { Picture } from "../data/image_grid.ts";

/** One side at one minute mark. */
export type QualitySide =
  | {
    status: "ok";
    /** Steps trained when the snapshot was taken. */
    step: number;
    /** What `eval --json` reported. */
    metrics: Record<string, number>;
  }
  /** No score: the mark was not reached, or training / eval failed (`reason`). */
  | { status: "missing"; reason: string };

/** Both sides at one mark. */
export interface QualityMark {
  minutes: number;
  ours: QualitySide;
  torch: QualitySide;
}

/** One family's run of bench:quality (bench/quality_FAMILY.json). */
export interface QualityResult {
  family: QualityFamily["name"];
  /** The command line that made it. */
  command: string;
  /** ISO time the run started. */
  date: string;
  machine: Machine;
  torchVersion?: string;
  /** The peer's BLAS, probed (bench/peers/blas.py) before training. */
  blas: PeerBlas;
  /** Threads of both sides. */
  threads: number;
  /** The flags every eval got besides --run and --json (e.g. --samples 256). */
  evalArgs: string[];
  /** 1-minute load average before ours trained and after the peer did. */
  loadBefore?: number;
  loadAfter?: number;
  marks: QualityMark[];
}

/** A 1-minute load average above this before the run means a busy machine. */
export const BUSY_LOAD = 0.5;

/** The command that writes QUALITY.md. */
export const QUALITY_COMMAND = "deno task bench:quality";

/** The plot's file name beside QUALITY.md. */
export function plotName(family: string): string {
  return `quality_${family}.png`;
}

/** The results file's name beside QUALITY.md. */
export function resultsName(family: string): string {
  return `quality_${family}.json`;
}

function valueOf(side: QualitySide, key: string): number | undefined {
  const value = side.status === "ok" ? side.metrics[key] : undefined;
  return typeof value === "number" && Number.isFinite(value)
    ? value
    : undefined;
}

/**
 * Whether ours is at least as good as PyTorch on `metric` at a mark;
 * undefined where either side has no value.
 */
export function atLeastAsGood(
  mark: QualityMark,
  metric: QualityMetric,
): boolean | undefined {
  const ours = valueOf(mark.ours, metric.key);
  const torch = valueOf(mark.torch, metric.key);
  if (ours === undefined || torch === undefined) return undefined;
  return metric.better === "higher" ? ours >= torch : ours <= torch;
}

/** "met" at every mark, "not met" at any, else unknown. */
export function targetVerdict(result: QualityResult): string {
  const headline = QUALITY_FAMILIES[result.family].metrics[0];
  const verdicts = result.marks.map((mark) => atLeastAsGood(mark, headline));
  if (verdicts.some((v) => v === false)) return "not met";
  if (verdicts.length > 0 && verdicts.every((v) => v === true)) return "met";
  return `unknown (${MISSING} at some mark)`;
}

function stepCell(side: QualitySide): string {
  return side.status === "ok" ? String(side.step) : MISSING;
}

function metricCell(side: QualitySide, key: string): string {
  const value = valueOf(side, key);
  return value === undefined ? MISSING : formatNumber(value, 3);
}

/** The family's table: one row per minute mark. */
export function qualityTable(result: QualityResult): string {
  const { metrics } = QUALITY_FAMILIES[result.family];
  const headers = ["minutes", "steps ours", "steps PyTorch"];
  for (const metric of metrics) {
    const arrow = metric.better === "higher" ? "↑" : "↓";
    headers.push(
      `${metric.label} ${arrow} ours`,
      `${metric.label} ${arrow} PyTorch`,
    );
  }
  headers.push(`ours at least as good (${metrics[0].label})`);
  const rows = result.marks.map((mark) => {
    const row = [
      String(mark.minutes),
      stepCell(mark.ours),
      stepCell(mark.torch),
    ];
    for (const metric of metrics) {
      row.push(
        metricCell(mark.ours, metric.key),
        metricCell(mark.torch, metric.key),
      );
    }
    const verdict = atLeastAsGood(mark, metrics[0]);
    row.push(verdict === undefined ? MISSING : verdict ? "yes" : "**no**");
    return row;
  });
  return table(headers, rows);
}

/** Why a side has no score at a mark, one line each. */
function missingNotes(result: QualityResult): string[] {
  return result.marks.flatMap((mark) =>
    (["ours", "torch"] as const).flatMap((side) => {
      const entry = mark[side];
      return entry.status === "missing"
        ? [
          `- ${mark.minutes} min, ${
            side === "ours" ? "ours" : "PyTorch"
          }: ${entry.reason}`,
        ]
        : [];
    })
  );
}

function warnings(result: QualityResult): string[] {
  const lines: string[] = [];
  if ((result.loadBefore ?? 0) > BUSY_LOAD) {
    lines.push(
      `> **The load average was ${
        result.loadBefore!.toFixed(2)
      } before the run: other work competed for`,
      "> the cores, so the steps each side reached in its minutes are not a",
      "> measurement.**",
    );
  }
  if (!((result.blas.gflops ?? 0) >= MIN_PEER_GFLOPS)) {
    if (lines.length) lines.push("");
    lines.push(
      `> **PyTorch's BLAS did ${
        formatGflops(result.blas.gflops)
      }, below the ${MIN_PEER_GFLOPS} a fair comparison`,
      "> needs (run with --any-blas): PyTorch's numbers are not a measurement.**",
    );
  }
  const most = Math.max(0, ...result.marks.map((mark) => mark.minutes));
  if (most < 1) {
    if (lines.length) lines.push("");
    lines.push(
      `> **Marks of at most ${most} minutes: a check of the pipeline, not a comparison.**`,
    );
  }
  return lines;
}

/** The section of one family. */
export function familySection(result: QualityResult): string {
  const family = QUALITY_FAMILIES[result.family];
  const { machine } = result;
  const load = (value?: number) =>
    value === undefined ? MISSING : value.toFixed(2);
  const notes = missingNotes(result);
  const warning = warnings(result);
  return [
    `## ${family.name}`,
    "",
    ...(warning.length ? [...warning, ""] : []),
    `- Recipe: ${family.recipe}; ours \`deno task train ${
      family.trainArgs.join(" ")
    }\`, PyTorch \`${family.peerScript}${
      family.peerArgs.length ? ` ${family.peerArgs.join(" ")}` : ""
    }\``,
    `- Command: \`${result.command}\``,
    `- Date: ${result.date}; ${result.threads} thread${
      result.threads === 1 ? "" : "s"
    } each side, one run after the other`,
    `- CPU: ${machine.cpuModel}, ${machine.cores} logical cores; OS: ${machine.os}`,
    `- Deno ${machine.deno} (V8 ${machine.v8}); PyTorch ${
      result.torchVersion ?? MISSING
    }`,
    `- PyTorch's BLAS: ${blasLibrary(result.blas)}, ${
      formatGflops(result.blas.gflops)
    } (${result.blas.size}² GEMM, ${result.blas.threads} thread; bench/peers/blas.py)`,
    `- 1-minute load average: ${load(result.loadBefore)} before, ${
      load(result.loadAfter)
    } after`,
    `- Scored by \`deno task eval --run SNAPSHOT --json${
      result.evalArgs.length ? ` ${result.evalArgs.join(" ")}` : ""
    }\`, the same for both sides`,
    "",
    qualityTable(result),
    "",
    `Target (ours at least as good as PyTorch on ${
      family.metrics[0].label
    } at every minute mark): ${targetVerdict(result)}.`,
    ...(notes.length ? ["", "No score:", "", ...notes] : []),
    "",
    `![${family.metrics[0].label} against minutes, ours and PyTorch](${
      plotName(family.name)
    })`,
  ].join("\n");
}

function howToRun(): string {
  return [
    "## How to run",
    "",
    `\`${QUALITY_COMMAND} --family ddpm|flow|gan --minutes 10,20,30 [--threads 2]`,
    "[--samples N] [--out runs/quality]` trains the family's default recipe once",
    "with ours (`deno task train ... --minutes 30 --snapshot-minutes 10,20,30`,",
    "a snapshot of the checkpoint at the first step past each mark) and then",
    "once with PyTorch (the script in bench/peers/, same recipe, same marks,",
    "a state dict per mark), never side by side, each for the largest mark.",
    "PyTorch's snapshots become runs with `deno task import`; every snapshot",
    "of both sides is then scored by `deno task eval --json` with the same",
    "flags (sample count, sampler, seed). The peer runs on OpenBLAS, checked",
    "as `deno task bench:peers` checks it (bench/peers/blas.py; refused below",
    "30 GFLOPS). Each family writes bench/quality_FAMILY.json and",
    "bench/quality_FAMILY.png and rewrites this file from every family's",
    "results. Run it on a quiet machine: the steps each side reaches in its",
    "minutes are the point.",
  ].join("\n");
}

/**
 * The whole of bench/QUALITY.md from the families' results (a family
 * without results says how to make them).
 */
export function renderQuality(results: QualityResult[]): string {
  const sections = QUALITY_FAMILY_NAMES.map((name) => {
    const result = results.find((r) => r.family === name);
    return result ? familySection(result) : [
      `## ${name}`,
      "",
      `Not run yet: \`${QUALITY_COMMAND} --family ${name} --minutes 10,20,30\`.`,
    ].join("\n");
  });
  return [
    "# genwasm vs PyTorch: sample quality at equal minutes",
    "",
    "Written by `deno task bench:quality` (bench/quality.ts); do not edit.",
    "",
    howToRun(),
    "",
    ...sections.flatMap((section) => [section, ""]),
  ].join("\n");
}

/** The family's plot: its headline metric against minutes, ours and PyTorch. */
export function qualityPlot(result: QualityResult): Picture {
  const metric = QUALITY_FAMILIES[result.family].metrics[0];
  const curve = (side: "ours" | "torch") =>
    result.marks.flatMap((mark) => {
      const value = valueOf(mark[side], metric.key);
      return value === undefined
        ? []
        : [[mark.minutes, value] as [number, number]];
    });
  return plotCurves(
    `${result.family}: ${metric.label} (${
      metric.better === "higher" ? "higher" : "lower"
    } is better) against minutes`,
    [
      { name: "ours", points: curve("ours") },
      { name: "PyTorch", points: curve("torch") },
    ],
  );
}
