/**
 * Turns the three suite runs (wasm 1 thread, wasm N threads, tfjs cpu) into
 * bench/REPORT.md: machine, targets, reference points, one table per kernel
 * family, and the raw timings.
 *
 * @module
 */
import {
  allCases,
  type BenchCase,
  type BenchFamily,
  convBackwardFilterCase,
  convBackwardInputCase,
  convForwardCase,
  gemmCase,
} from "./_cases.ts";
import type { Measurement, SuiteResults } from "./_bench_json.ts";
import type { Machine } from "./_machine.ts";
import {
  formatNumber,
  formatRatio,
  MISSING,
  ratio,
  table,
} from "./_markdown.ts";

/** One `deno bench --json` run of all suites on one engine. */
export interface EngineRun {
  /** Short column title, e.g. "wasm 1T". */
  title: string;
  backend: "wasm" | "cpu";
  /** Threads asked for (GENWASM_THREADS). */
  threads: number;
  /** What came back; absent when the run produced no JSON. */
  results?: SuiteResults;
  /** Why the run failed or what went wrong, if anything did. */
  error?: string;
  /** Wall-clock seconds of the run, start-up and type-check included. */
  seconds: number;
  /** 1-minute load average just before and just after the run. */
  loadBefore?: number;
  loadAfter?: number;
}

/** Everything the report is made of. */
export interface ReportInput {
  machine: Machine;
  date: Date;
  single: EngineRun;
  multi: EngineRun;
  cpu: EngineRun;
}

/** Targets from the project brief. */
export const TARGETS = {
  gemmSpeedup: 1.8,
  gemmGflops: 40,
  backwardOverForward: 1.5,
} as const;

/** The GEMM size the targets are set on. */
const TARGET_GEMM_SIZE = 1024;

function measurement(
  run: EngineRun,
  benchCase: BenchCase,
): Measurement | undefined {
  return run.results?.measurements.get(benchCase.name);
}

/** Typical milliseconds per call of `benchCase` on `run`. */
function milliseconds(
  run: EngineRun,
  benchCase: BenchCase,
): number | undefined {
  return measurement(run, benchCase)?.milliseconds;
}

/** GFLOPS where the case has FLOPs, else million output elements per second. */
function rate(
  benchCase: BenchCase,
  ms: number | undefined,
): number | undefined {
  if (ms === undefined) return undefined;
  if (benchCase.flops !== undefined) return benchCase.flops / ms / 1e6;
  if (benchCase.elements !== undefined) return benchCase.elements / ms / 1e3;
  return undefined;
}

function rateUnit(family: BenchFamily): string {
  return family === "group-norm" || family === "elementwise"
    ? "Melem/s"
    : "GFLOPS";
}

/** The time cell: a number, or why there is none. */
function timeCell(run: EngineRun, benchCase: BenchCase): string {
  const ms = milliseconds(run, benchCase);
  if (ms !== undefined) return formatNumber(ms);
  if (run.results?.failures.has(benchCase.name)) return "failed";
  if (run.backend === "cpu" && !benchCase.onCpu) return "skipped";
  return MISSING;
}

function work(benchCase: BenchCase): string {
  if (benchCase.flops !== undefined) {
    return `${formatNumber(benchCase.flops / 1e9, 3)} GFLOP`;
  }
  if (benchCase.elements !== undefined) {
    return `${formatNumber(benchCase.elements / 1e6, 2)} M elem`;
  }
  return MISSING;
}

function familyTable(input: ReportInput, family: BenchFamily): string {
  const { single, multi, cpu } = input;
  const unit = rateUnit(family);
  const cases = allCases().filter((benchCase) => benchCase.family === family);
  const rows = cases.map((benchCase) => {
    const [ms1, msN, msCpu] = [single, multi, cpu].map((run) =>
      milliseconds(run, benchCase)
    );
    return [
      benchCase.name,
      benchCase.shape,
      work(benchCase),
      timeCell(single, benchCase),
      timeCell(multi, benchCase),
      timeCell(cpu, benchCase),
      formatNumber(rate(benchCase, ms1)),
      formatNumber(rate(benchCase, msN)),
      formatNumber(rate(benchCase, msCpu)),
      formatRatio(ratio(ms1, msN)),
      formatRatio(ratio(msCpu, ms1)),
      formatRatio(ratio(msCpu, msN)),
    ];
  });
  return table([
    "Case",
    "Shape",
    "Work/call",
    `${single.title} ms`,
    `${multi.title} ms`,
    `${cpu.title} ms`,
    `${single.title} ${unit}`,
    `${multi.title} ${unit}`,
    `${cpu.title} ${unit}`,
    `${multi.title} / ${single.title}`,
    `${single.title} vs cpu`,
    `${multi.title} vs cpu`,
  ], rows);
}

function backwardRatio(
  run: EngineRun,
  backward: BenchCase,
): number | undefined {
  return ratio(milliseconds(run, backward), milliseconds(run, convForwardCase));
}

function convRatioTable(input: ReportInput): string {
  const runs = [input.single, input.multi, input.cpu];
  const rows = [convBackwardInputCase, convBackwardFilterCase].map((
    backward,
  ) => [
    `${backward.name} / forward`,
    ...runs.map((run) => formatRatio(backwardRatio(run, backward))),
  ]);
  return table(["Ratio of times", ...runs.map((run) => run.title)], rows);
}

function verdict(met: boolean | undefined): string {
  if (met === undefined) return "not measured";
  return met ? "yes" : "**no**";
}

function targetsTable(input: ReportInput): string {
  const { single, multi } = input;
  const gemm = gemmCase(TARGET_GEMM_SIZE);
  const ms1 = milliseconds(single, gemm);
  const msN = milliseconds(multi, gemm);
  const speedup = ratio(ms1, msN);
  const gflops = rate(gemm, msN);
  const rows: string[][] = [
    [
      `GEMM n=${TARGET_GEMM_SIZE}, ${multi.title} >= ${TARGETS.gemmSpeedup}x ${single.title}`,
      formatRatio(speedup),
      multi.threads === 1 ? "not applicable (1 core)" : verdict(
        speedup === undefined ? undefined : speedup >= TARGETS.gemmSpeedup,
      ),
    ],
    [
      `GEMM n=${TARGET_GEMM_SIZE}, ${multi.title} >= ${TARGETS.gemmGflops} GFLOPS`,
      `${formatNumber(gflops)} GFLOPS`,
      verdict(gflops === undefined ? undefined : gflops >= TARGETS.gemmGflops),
    ],
  ];
  for (const backward of [convBackwardInputCase, convBackwardFilterCase]) {
    for (const run of [multi, single]) {
      const value = backwardRatio(run, backward);
      rows.push([
        `${backward.name} <= ${TARGETS.backwardOverForward}x forward, ${run.title}`,
        formatRatio(value),
        verdict(
          value === undefined
            ? undefined
            : value <= TARGETS.backwardOverForward,
        ),
      ]);
    }
  }
  return table(["Target", "Measured", "Met"], rows);
}

function referenceTable(input: ReportInput): string {
  const { single, multi } = input;
  const gemm = gemmCase(TARGET_GEMM_SIZE);
  const gemm1 = formatNumber(rate(gemm, milliseconds(single, gemm)));
  const gemmN = formatNumber(rate(gemm, milliseconds(multi, gemm)));
  const conv1 = formatNumber(
    rate(convForwardCase, milliseconds(single, convForwardCase)),
  );
  const rows = [
    [
      "tfjs-wasm, 1 thread, GEMM",
      "23",
      `${gemm1} (${single.title}, n=${TARGET_GEMM_SIZE})`,
    ],
    [
      "tfjs-wasm, 1 thread, conv forward",
      "17",
      `${conv1} (${single.title}, target shape)`,
    ],
    [
      "onnxruntime-web, 2 threads, GEMM",
      "35",
      `${gemmN} (${multi.title}, n=${TARGET_GEMM_SIZE})`,
    ],
    ["native OpenBLAS, 2 threads, GEMM", "146", MISSING],
    [
      "128-bit WASM SIMD ceiling",
      `about 50 per core (${50 * multi.threads} on ${multi.threads})`,
      MISSING,
    ],
  ];
  return table(
    ["Reference (measured earlier by others)", "GFLOPS", "This run"],
    rows,
  );
}

function runsTable(input: ReportInput): string {
  const runs = [input.single, input.multi, input.cpu];
  const rows = runs.map((run) => [
    run.title,
    run.results?.engineLabel ?? MISSING,
    `GENWASM_BACKEND=${run.backend}` +
    (run.backend === "wasm" ? ` GENWASM_THREADS=${run.threads}` : ""),
    formatNumber(run.seconds),
    `${formatNumber(run.loadBefore, 2)} -> ${formatNumber(run.loadAfter, 2)}`,
    run.error ??
      (run.results?.failures.size
        ? `failed: ${[...run.results.failures.keys()].join(", ")}`
        : "ok"),
  ]);
  return table([
    "Column",
    "Engine (as the suites reported it)",
    "Environment",
    "Wall s",
    "Load avg before -> after",
    "Status",
  ], rows);
}

function rawTable(input: ReportInput): string {
  const rows: string[][] = [];
  for (const run of [input.single, input.multi, input.cpu]) {
    for (const benchCase of allCases()) {
      const m = measurement(run, benchCase);
      if (!m) continue;
      rows.push([
        run.title,
        benchCase.name,
        String(m.iterations),
        formatNumber(m.min, 2),
        formatNumber(m.milliseconds, 2),
        formatNumber(m.p75, 2),
        formatNumber(m.max, 2),
      ]);
    }
  }
  return table(
    ["Engine", "Bench", "Timed calls", "min ms", "avg ms", "p75 ms", "max ms"],
    rows,
  );
}

function statisticUsed(input: ReportInput): string {
  for (const run of [input.single, input.multi, input.cpu]) {
    for (const m of run.results?.measurements.values() ?? []) {
      return m.statistic;
    }
  }
  return "avg";
}

const familyHeadings: [BenchFamily, string, string][] = [
  [
    "gemm",
    "GEMM",
    "`tf.matMul` of two n x n float32 matrices. FLOPs: 2n^3.",
  ],
  [
    "conv",
    "Conv target shape: forward and backprops; the flow's narrow convolutions",
    "`tf.conv2d`, `tf.conv2dTranspose` (the Conv2DBackpropInput kernel) and the " +
    'Conv2DBackpropFilter kernel called directly; the "(flow)" rows are the ' +
    "canonical flow's convolutions with few channels on one side. FLOPs: " +
    "2 * N * OH * OW * Co * KH * KW * Ci for all.",
  ],
  [
    "conv-transpose",
    "Conv transpose (DCGAN generator)",
    "`tf.conv2dTranspose`, batch 64, 4x4, stride 2, same. FLOPs: those of the " +
    "forward conv it is the input gradient of, 2 * N * OH * OW * Co * KH * KW * Ci " +
    "with OH x OW x Co the transposed conv's input and Ci its output channels.",
  ],
  [
    "group-norm",
    "Group norm",
    "tf ops: reshape to [N, H, W, G, C/G], `tf.moments` over H, W, C/G, " +
    "(x - mean) * rsqrt(var + 1e-5), reshape back, scale and shift. " +
    "Rate: output elements per second.",
  ],
  [
    "elementwise",
    "Elementwise ops",
    "64x28x28x32 float32; add and mul take two such tensors, leakyRelu has " +
    "alpha 0.2. Rate: output elements per second.",
  ],
];

/** bench/REPORT.md's text. */
export function renderReport(input: ReportInput): string {
  const { machine, single, multi } = input;
  const statistic = statisticUsed(input);
  const sections = [
    "# genwasm kernel benchmarks",
    `Written by \`deno task bench:report\` on ${input.date.toISOString()}. ` +
    "Regenerate with the same command; numbers are from a single run.",
    "## Machine",
    table(["Machine", ""], [
      ["CPU", machine.cpuModel],
      ["Logical cores", String(machine.cores)],
      ["Deno", `${machine.deno} (V8 ${machine.v8})`],
      ["OS", machine.os],
      ["Date", input.date.toISOString().slice(0, 10)],
      [
        "Load average before the first run",
        formatNumber(single.loadBefore, 2),
      ],
    ]),
    "## Runs",
    `Each column is one \`deno bench --json\` subprocess over every suite in bench/. ` +
    `${multi.title} means ${multi.threads} threads: all cores, capped at 8.`,
    runsTable(input),
    (single.loadBefore ?? 0) >= 0.3
      ? `> Other processes were busy when the runs began (1-minute load ` +
        `average ${formatNumber(single.loadBefore, 2)} on ${machine.cores} ` +
        "cores, before any run of ours): times are pessimistic, the " +
        "multithreaded ones most."
      : "",
    "## Targets",
    targetsTable(input),
    "## Reference points",
    "Context only: figures measured earlier on this machine by others, next to the " +
    "nearest figure of this run.",
    referenceTable(input),
    "## Method",
    [
      `- Time per call: the \`${statistic}\` of deno bench's timed calls ` +
      "(Deno 2.9's `--json` gives min, avg, p75, p99 and max but no median; " +
      "the raw table below has min and p75 too).",
      "- Each call runs in `tf.tidy`, reads its result back with `dataSync` (so " +
      "it covers the whole computation and the copy out of the WASM heap) and " +
      "disposes it; inputs are made once, outside the timed calls.",
      "- wasm: 3 warm-up calls (at least 10 ms), then at least 10 timed calls and " +
      "500 ms. cpu: 1 warm-up call and 4 timed calls for calls of 0.1 GFLOP or " +
      "more and group norm, 2 and 11 for the rest; the conv " +
      "backward-filter is skipped (tfjs's cpu kernel took 178 s for one call " +
      "of the target shape).",
      "- GFLOPS = FLOPs / time. FLOPs: GEMM 2n^3; conv " +
      "2 * N * OH * OW * Co * KH * KW * Ci, and the backprops and conv-transpose " +
      "count the same FLOPs as their forward conv.",
      `- Speed-ups: "${multi.title} / ${single.title}" is the 1-thread time over ` +
      `the ${multi.threads}-thread time; "vs cpu" is the cpu time over the wasm time.`,
    ].join("\n"),
    ...familyHeadings.flatMap(([family, heading, note]) => [
      `## ${heading}`,
      note,
      familyTable(input, family),
      family === "conv" ? convRatioTable(input) : "",
    ]),
    "## Raw timings (ms)",
    rawTable(input),
  ];
  return sections.filter((section) => section !== "").join("\n\n") + "\n";
}
