/**
 * Turns the runs of `deno task bench:peers` into bench/PEERS.md: how to run
 * it, the machine, the BLAS the peer ran on, a loud warning where parameter
 * counts differ, ms per
 * training step of ours and PyTorch side by side with the ratio
 * ours/PyTorch at each thread count, what the peer does, and every step
 * time.
 *
 * @module
 */
import type { Machine } from "../_machine.ts";
import {
  blasLibrary,
  formatGflops,
  MIN_PEER_GFLOPS,
  type PeerBlas,
} from "./_blas.ts";
import {
  formatNumber,
  formatRatio,
  MISSING,
  ratio,
  table,
} from "../_markdown.ts";

/** What one side measured for one model at one thread count. */
export type SideResult =
  | {
    status: "ok";
    parameters: number;
    medianMs: number;
    stepsMs: number[];
  }
  /** Our side has no such preset yet. */
  | { status: "not built" }
  /** The run failed; `reason` says how. */
  | { status: "failed"; reason: string };

/** Both sides for one model at one thread count. */
export interface PeerCell {
  ours: SideResult;
  torch: SideResult;
}

/** Everything PEERS.md says. */
export interface PeerReport {
  machine: Machine;
  date: Date;
  /** e.g. "1.13.1"; undefined where no PyTorch run gave it. */
  torchVersion?: string;
  /** The BLAS PyTorch ran on, probed before any step was timed. */
  blas: PeerBlas;
  warmup: number;
  timed: number;
  threads: number[];
  models: string[];
  /** The spec's parameter count of each model, from bench/peers/models.py. */
  expectedParameters: Record<string, number>;
  /** results[model][threads]. */
  results: Record<string, Record<number, PeerCell>>;
  loadBefore?: number;
  loadAfter?: number;
}

/** The spec's minimum of timed steps (shared/spec/canonical-models.md). */
export const SPEC_TIMED_STEPS = 20;
/** Thread count of the target ratio. */
export const TARGET_THREADS = 2;
/** The target: ours/PyTorch ms per step at most this, every model. */
export const TARGET_RATIO = 1.0;

/** A 1-minute load average above this before the run means a busy machine. */
export const BUSY_LOAD = 0.5;

/** The command that writes PEERS.md, as the README section shows it. */
export const PEERS_COMMAND = "deno task bench:peers";

/** Median ms of a side, when it ran. */
function msOf(side: SideResult | undefined): number | undefined {
  return side?.status === "ok" ? side.medianMs : undefined;
}

/** A cell: the median ms, or why there is none. */
function msCell(side: SideResult | undefined): string {
  if (!side) return MISSING;
  if (side.status === "ok") return formatNumber(side.medianMs);
  return side.status === "failed" ? "failed" : side.status;
}

/** Parameter counts of a model from every run that gave one. */
function parametersOf(
  report: PeerReport,
  model: string,
  side: "ours" | "torch",
): number[] {
  const counts = Object.values(report.results[model] ?? {}).flatMap(
    (cell) => cell[side].status === "ok" ? [cell[side].parameters] : [],
  );
  return [...new Set(counts)];
}

/** Models whose counts differ (ours, PyTorch or the spec), with a line each. */
export function parameterMismatches(report: PeerReport): string[] {
  return report.models.flatMap((model) => {
    const ours = parametersOf(report, model, "ours");
    const torch = parametersOf(report, model, "torch");
    const spec = report.expectedParameters[model];
    const all = new Set([...ours, ...torch, ...(spec ? [spec] : [])]);
    if (all.size <= 1) return [];
    return [
      `${model}: ours ${ours.join(" / ") || MISSING}, PyTorch ${
        torch.join(" / ") || MISSING
      }, spec ${spec ?? MISSING}`,
    ];
  });
}

function howToRun(): string {
  return [
    "## Peers: how to run",
    "",
    `\`${PEERS_COMMAND}\` runs the five canonical models`,
    "(shared/spec/canonical-models.md) in genwasm (`bench/steps.ts --measure`, the",
    "step timing of `bench:steps`)",
    "and in PyTorch (`bench/peers/steps.py`, Debian's `python3-torch`, which",
    "the task installs with apt-get when `/usr/bin/python3` cannot import it),",
    "one fresh process per model, side and thread count, interleaved, and",
    "writes this file.",
    "The peer runs on OpenBLAS (`libopenblas0-pthread`, installed with",
    "python3-torch, or on its own where torch loads another BLAS): Debian's",
    "torch calls the system `libblas.so.3`, which without OpenBLAS is netlib's",
    "reference BLAS, some 20 times slower on a matrix product, so the peer's",
    "matrix products would be slowed by the library rather than by PyTorch.",
    "`bench/peers/blas.py` measures the BLAS before anything is timed, and the",
    `task refuses to write this file below ${MIN_PEER_GFLOPS} GFLOPS (see Peer BLAS).`,
    "Options: `--threads 1,2` (default), `--models dcgan,vae`",
    "(default all five), `--warmup 5`, `--timed 20` (the spec's minimum).",
    "`/usr/bin/python3 bench/peers/check.py` checks the PyTorch models: shapes,",
    "parameter counts against the spec, and a falling loss over 50 MNIST steps.",
    "Run it on a quiet machine: the numbers mean nothing while other work",
    "competes for the cores (see the load average below).",
  ].join("\n");
}

function machineSection(report: PeerReport): string {
  const { machine } = report;
  const load = (value?: number) =>
    value === undefined ? MISSING : value.toFixed(2);
  return [
    "## Machine",
    "",
    `- CPU: ${machine.cpuModel}, ${machine.cores} logical cores`,
    `- OS: ${machine.os}`,
    `- Deno ${machine.deno} (V8 ${machine.v8}); PyTorch ${
      report.torchVersion ?? MISSING
    }`,
    `- PyTorch's BLAS: ${blasLibrary(report.blas)}, ${
      formatGflops(report.blas.gflops)
    } (${report.blas.size}² GEMM, ${report.blas.threads} thread)`,
    `- Date: ${report.date.toISOString()}`,
    `- 1-minute load average: ${load(report.loadBefore)} before, ${
      load(report.loadAfter)
    } after`,
    `- Steps: ${report.warmup} warm-up, then ${report.timed} timed; batch 64; median`,
  ].join("\n");
}

/** The BLAS the peer ran on and how fast, as bench/peers/blas.py measured it. */
export function blasSection(blas: PeerBlas): string {
  const code = (text: string) => `\`${text}\``;
  return [
    "## Peer BLAS",
    "",
    "Measured by `bench/peers/blas.py` before any step was timed, in a process",
    "with the peer's 1-thread settings.",
    "",
    `- Libraries loaded: ${
      blas.libraries.length ? blas.libraries.map(code).join(", ") : MISSING
    }`,
    `- torch's BLAS_INFO: ${blas.blasInfo ?? MISSING}`,
    `- ${blas.size}² float32 matrix product at ${blas.threads} thread: ${
      formatGflops(blas.gflops)
    } (median); the comparison needs at least ${MIN_PEER_GFLOPS}`,
  ].join("\n");
}

function warnings(report: PeerReport): string[] {
  const lines: string[] = [];
  const mismatches = parameterMismatches(report);
  if (mismatches.length) {
    lines.push(
      "> **PARAMETER COUNTS DIFFER: these models are not the same model on",
      "> both sides, so their times do not compare.**",
      ...mismatches.map((line) => `> - ${line}`),
    );
  }
  if ((report.loadBefore ?? 0) > BUSY_LOAD) {
    if (lines.length) lines.push("");
    lines.push(
      `> **The load average was ${
        report.loadBefore!.toFixed(2)
      } before the run: other work competed`,
      "> for the cores, so these numbers are not a measurement.** (PyTorch's",
      "> OpenMP threads spin while they wait, which makes its 2-thread runs",
      "> much slower than its 1-thread runs on a busy machine.)",
    );
  }
  if (report.timed < SPEC_TIMED_STEPS) {
    if (lines.length) lines.push("");
    lines.push(
      `> **${report.timed} timed steps, fewer than the spec's ${SPEC_TIMED_STEPS}:`,
      "> a check of the pipeline, not a measurement.**",
    );
  }
  return lines;
}

function parameterTable(report: PeerReport): string {
  const rows = report.models.map((model) => {
    const ours = parametersOf(report, model, "ours");
    const torch = parametersOf(report, model, "torch");
    const spec = report.expectedParameters[model];
    const equal = !ours.length || !torch.length
      ? MISSING
      : ours.length === 1 && torch.length === 1 && ours[0] === torch[0] &&
          (spec === undefined || spec === ours[0])
      ? "yes"
      : "**NO**";
    return [
      model,
      ours.join(" / ") || MISSING,
      torch.join(" / ") || MISSING,
      spec === undefined ? MISSING : String(spec),
      equal,
    ];
  });
  return table(["model", "ours", "PyTorch", "spec", "equal"], rows);
}

/**
 * PyTorch's fastest median over the thread counts measured, and at which:
 * its users run it at its best thread count (on 2 cores, 1 thread can win).
 */
export function bestTorch(
  report: PeerReport,
  model: string,
): { ms: number; threads: number } | undefined {
  let best: { ms: number; threads: number } | undefined;
  for (const threads of report.threads) {
    const ms = msOf(report.results[model]?.[threads]?.torch);
    if (ms !== undefined && (!best || ms < best.ms)) best = { ms, threads };
  }
  return best;
}

function timeTable(report: PeerReport): string {
  const headers = ["model"];
  for (const threads of report.threads) {
    headers.push(
      `ours ${threads}T`,
      `PyTorch ${threads}T`,
      `ours/PyTorch ${threads}T`,
    );
  }
  const targeted = report.threads.includes(TARGET_THREADS);
  if (targeted) {
    headers.push(
      "PyTorch best",
      `ours ${TARGET_THREADS}T / PyTorch best`,
      `target (<= ${TARGET_RATIO.toFixed(1)})`,
    );
  }
  const rows = report.models.map((model) => {
    const row = [model];
    for (const threads of report.threads) {
      const cell = report.results[model]?.[threads];
      row.push(
        msCell(cell?.ours),
        msCell(cell?.torch),
        formatRatio(ratio(msOf(cell?.ours), msOf(cell?.torch))),
      );
    }
    if (targeted) {
      const best = bestTorch(report, model);
      const value = ratio(
        msOf(report.results[model]?.[TARGET_THREADS]?.ours),
        best?.ms,
      );
      row.push(
        best ? `${formatNumber(best.ms)} (${best.threads}T)` : MISSING,
        formatRatio(value),
        value === undefined
          ? MISSING
          : value <= TARGET_RATIO
          ? "met"
          : "not met",
      );
    }
    return row;
  });
  return table(headers, rows);
}

function peerNotes(): string {
  return [
    "## What the peer does",
    "",
    "- The same layers, widths, biases, normalisations, losses and optimizers as",
    "  the canonical models; layout NCHW (PyTorch's own) where ours is NHWC;",
    '  "same" padding as padding=1 (28 -> 14 -> 7 and back).',
    "- Adam with the spec's learning rate and betas, epsilon 1e-8 (as our trainer).",
    "- dcgan / cgan: one D update on a real and a generated batch (each its own",
    "  BatchNorm batch; the generated batch made without a graph through G),",
    "  then one G update on fresh noise with D's weights frozen; non-saturating",
    "  BCE on logits. An EMA (0.999) of all weights after every step, as our",
    "  GAN recipe keeps one.",
    "- vae: Bernoulli NLL summed over pixels plus the analytic KL, one",
    "  reparameterised draw. flow: dequantisation, logit (alpha 0.05), ActNorm",
    "  (initialised from the batch before step 0), 1x1 convolution",
    "  (log|det| by slogdet), affine coupling with sigmoid(raw + 2); NLL in",
    "  bits per dimension. ddpm: epsilon MSE at uniform t, linear betas; EMA",
    "  0.999 of the weights after every step.",
    "- A step is timed from the start of the forward pass to the end of the",
    "  optimizer (and EMA) update, on one random batch of 64 made before the",
    "  clock starts, as ours is (bench/_step_timing.ts).",
    "- Threads: `torch.set_num_threads(n)`, one inter-op thread, and",
    "  OMP_NUM_THREADS / MKL_NUM_THREADS = n; ours: the WASM backend's n threads.",
  ].join("\n");
}

function rawTimes(report: PeerReport): string {
  const rows: string[][] = [];
  const list = (side: SideResult | undefined) =>
    side?.status === "ok"
      ? side.stepsMs.map((ms) => ms.toFixed(1)).join(", ")
      : side?.status === "failed"
      ? `failed: ${side.reason}`
      : side?.status ?? MISSING;
  for (const model of report.models) {
    for (const threads of report.threads) {
      const cell = report.results[model]?.[threads];
      rows.push([`${model} ${threads}T`, "ours", list(cell?.ours)]);
      rows.push([`${model} ${threads}T`, "PyTorch", list(cell?.torch)]);
    }
  }
  return [
    "## Every timed step (ms)",
    "",
    table(["model", "side", "steps"], rows),
  ].join("\n");
}

/**
 * The whole of bench/PEERS.md.
 *
 * @example
 * ```ts ignore
 * // Not run as a doc test: it needs a measured report, and writes the repository's file.
 * await Deno.writeTextFile("bench/PEERS.md", renderPeers(report));
 * ```
 */
export function renderPeers(report: PeerReport): string {
  const warning = warnings(report);
  return [
    "# genwasm vs PyTorch: ms per training step",
    "",
    "Written by `deno task bench:peers` (bench/peers.ts); do not edit.",
    ...(warning.length ? ["", ...warning] : []),
    "",
    howToRun(),
    "",
    machineSection(report),
    "",
    blasSection(report.blas),
    "",
    "## Parameters",
    "",
    parameterTable(report),
    "",
    "## ms per step (batch 64, median)",
    "",
    `The target: ours at ${TARGET_THREADS} threads / PyTorch at its best thread count <= ${
      TARGET_RATIO.toFixed(1)
    } on every model. Below 1 ours is faster.`,
    "",
    timeTable(report),
    "",
    peerNotes(),
    "",
    rawTimes(report),
    "",
  ].join("\n");
}
