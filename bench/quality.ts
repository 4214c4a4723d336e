/**
 * `deno task bench:quality --family ddpm|flow|gan [--minutes 10,20,30]
 * [--threads 2] [--samples N] [--out runs/quality] [--score-only]
 * [--any-blas]`: sample
 * quality of ours and PyTorch at equal minutes of training on this machine
 * (issue 19), written to bench/QUALITY.md with one table and one plot
 * (bench/quality_FAMILY.png) per family.
 *
 * For the family's default recipe (bench/_quality_families.ts: ddpm
 * `--model ddpm --conditional`, flow `--model flow`, gan `--model dcgan`):
 *
 * 1. checks the peer as `deno task bench:peers` does (installs
 *    python3-torch and OpenBLAS where missing, probes the BLAS with
 *    bench/peers/blas.py and refuses below 30 GFLOPS);
 * 2. trains ours once for the largest mark, `deno task train ... --minutes
 *    MAX --snapshot-minutes 10,20,30` into OUT/FAMILY/ours (a snapshot of
 *    the checkpoint at the first step past each mark, in
 *    ours/snapshots/10m/; no periodic checkpoints or sample grids while
 *    the clock runs);
 * 3. then, never beside it, trains PyTorch once for the same minutes with
 *    the same recipe (bench/peers/FAMILY_train.py --minutes MAX
 *    --snapshot-minutes ...), a state dict per mark in
 *    OUT/FAMILY/torch/state/10m.safetensors, its output in
 *    OUT/FAMILY/torch/peer.log;
 * 4. makes each PyTorch snapshot a run with `deno task import`
 *    (OUT/FAMILY/torch/snapshots/10m/) and scores every snapshot of both
 *    sides with `deno task eval --json` and the same flags (--threads,
 *    --samples: same sample count, sampler and seed);
 * 5. writes bench/quality_FAMILY.json (the results), bench/quality_FAMILY.png
 *    and bench/QUALITY.md from the results of every family run so far.
 *
 * It takes about twice the largest mark plus the scoring (ddpm: a few
 * minutes a snapshot at the default 256 samples). --score-only skips the
 * training and scores the snapshots OUT already holds. OUT must lie under
 * runs/ (the train, import and eval tasks write only there).
 *
 * Needs --allow-run (deno, python3, apt-get), --allow-read, --allow-write,
 * --allow-env and --allow-sys (load average, OS, uid).
 *
 * @module
 */
import { join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { describeMachine, loadAverage } from "./_machine.ts";
import { blasLibrary, blasRefusal, formatGflops } from "./peers/_blas.ts";
import {
  ensureOpenBlas,
  ensureTorch,
  jsonLines,
  PYTHON,
  tail,
} from "./peers.ts";
import {
  QUALITY_FAMILIES,
  QUALITY_FAMILY_NAMES,
  type QualityFamily,
} from "./_quality_families.ts";
import {
  plotName,
  type QualityMark,
  qualityPlot,
  type QualityResult,
  type QualitySide,
  renderQuality,
  resultsName,
} from "./_quality_markdown.ts";
import { writePng } from "../data/png.ts";
import { snapshotName } from "../cli/train.ts";

const benchDir = fileURLToPath(new URL(".", import.meta.url));
const repoRoot = fileURLToPath(new URL("..", import.meta.url));

/** Steps neither side reaches in its minutes: the clock ends both runs. */
const UNREACHED_STEPS = 100_000_000;

/** The task's `--help`. */
export const HELP =
  `deno task bench:quality: ours and PyTorch at equal minutes of training

Usage: deno task bench:quality --family ddpm|flow|gan [--minutes 10,20,30]
       [--threads 2] [--samples N] [--out runs/quality] [--score-only]
       [--any-blas]

  --family NAME    ddpm (--model ddpm --conditional), flow (--model flow) or
                   gan (--model dcgan), each its default recipe (required)
  --minutes LIST   the minute marks; each side trains once for the largest,
                   with a snapshot at every mark (default 10,20,30)
  --threads N      threads of both sides, training and scoring (default 2)
  --samples N      eval's --samples for every snapshot (default: eval's)
  --out DIR        run folders, under runs/ (default runs/quality): DIR/FAMILY/
                   ours and DIR/FAMILY/torch, replaced by each run
  --score-only     train nothing; score the snapshots DIR/FAMILY holds
  --any-blas       go on where PyTorch's BLAS does under 30 GFLOPS (a busy
                   machine): a check of the pipeline, which QUALITY.md says

Writes bench/QUALITY.md, bench/quality_FAMILY.json and bench/quality_FAMILY.png.
Takes about twice the largest mark, plus the scoring. Run it on a quiet machine.`;

/** What the task was asked to do. */
export interface QualityOptions {
  /** `--family`: the recipe both sides train. */
  family: QualityFamily;
  /** Ascending minute marks. */
  minutes: number[];
  /** `--threads`: of both sides' training and of every eval. */
  threads: number;
  /** `--samples`: eval's sample count (default: the family's). */
  samples?: number;
  /** DIR/FAMILY, relative to the repository root. */
  out: string;
  /** `--score-only`: score the runs already in `out`, train nothing. */
  scoreOnly: boolean;
  /** Go on below the BLAS floor (a pipeline check on a busy machine). */
  anyBlas: boolean;
}

/** A refusal of the task's arguments: one line, exit 2. */
export class QualityUsageError extends Error {
  override name = "QualityUsageError";
}

function wholeNumber(flag: string, text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isInteger(value) || value < 1) {
    throw new QualityUsageError(
      `--${flag} takes a whole number >= 1, got "${text}"`,
    );
  }
  return value;
}

/**
 * Parses the task's arguments.
 *
 * @returns The options, or "help".
 * @throws QualityUsageError (one line) for an unknown flag, a missing or
 * unknown family, bad marks, threads or samples, or an --out outside runs/.
 */
export function parseQualityArgs(args: string[]): QualityOptions | "help" {
  let values;
  try {
    values = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        family: { type: "string" },
        minutes: { type: "string" },
        threads: { type: "string" },
        samples: { type: "string" },
        out: { type: "string" },
        "score-only": { type: "boolean" },
        "any-blas": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    }).values;
  } catch (error) {
    throw new QualityUsageError(
      (error as Error).message.split("\n")[0].replace(/\. To specify.*$/, ""),
    );
  }
  if (values.help) return "help";
  const names = QUALITY_FAMILY_NAMES.join(", ");
  if (!values.family) {
    throw new QualityUsageError(`--family is required: ${names}`);
  }
  if (!Object.hasOwn(QUALITY_FAMILIES, values.family)) {
    throw new QualityUsageError(
      `--family must be ${names}; got "${values.family}"`,
    );
  }
  const family = QUALITY_FAMILIES[values.family as QualityFamily["name"]];
  const text = values.minutes ?? "10,20,30";
  const minutes = text.split(",").map((part) => Number(part.trim()));
  if (
    text.split(",").some((part) => part.trim() === "") ||
    minutes.some((m) => !(Number.isFinite(m) && m > 0))
  ) {
    throw new QualityUsageError(
      `--minutes takes positive minutes separated by commas, e.g. 10,20,30; got "${text}"`,
    );
  }
  minutes.sort((a, b) => a - b);
  if (new Set(minutes).size !== minutes.length) {
    throw new QualityUsageError(`--minutes names a mark twice: "${text}"`);
  }
  const out = values.out ?? "runs/quality";
  const inside = relative(resolve(repoRoot, "runs"), resolve(repoRoot, out));
  if (inside === "" || inside.startsWith("..") || resolve(inside) === inside) {
    throw new QualityUsageError(
      `--out must lie under runs/ (the train, import and eval tasks write only there); got "${out}"`,
    );
  }
  return {
    family,
    minutes,
    threads: values.threads !== undefined
      ? wholeNumber("threads", values.threads)
      : 2,
    ...(values.samples !== undefined
      ? { samples: wholeNumber("samples", values.samples) }
      : {}),
    out: join("runs", inside, family.name),
    scoreOnly: values["score-only"] ?? false,
    anyBlas: values["any-blas"] ?? false,
  };
}

/** How long a command may run unless its caller says otherwise. */
const DEFAULT_TIMEOUT_MS = 60 * 60 * 1000;

/**
 * Runs a command from the repository root; stdout's lines go to `onLine`
 * and stderr through to ours as they come, both kept for the caller (a
 * refusal's reason is in stderr). A command still running after
 * `timeoutMs` (default an hour) is killed. Never throws: a failure to
 * start is exit code -1.
 */
async function stream(
  command: string,
  args: string[],
  options: {
    env?: Record<string, string>;
    onLine?: (line: string) => void;
    timeoutMs?: number;
  } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const child = new Deno.Command(command, {
      args,
      cwd: repoRoot,
      env: { NO_COLOR: "1", ...options.env },
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS),
    }).spawn();
    const readStderr = (async () => {
      let text = "";
      for await (
        const chunk of child.stderr.pipeThrough(new TextDecoderStream())
      ) {
        Deno.stderr.writeSync(new TextEncoder().encode(chunk));
        text += chunk;
      }
      return text;
    })();
    let text = "", pending = "";
    for await (
      const chunk of child.stdout.pipeThrough(new TextDecoderStream())
    ) {
      text += chunk;
      pending += chunk;
      const lines = pending.split("\n");
      pending = lines.pop()!;
      for (const line of lines) options.onLine?.(line);
    }
    if (pending) options.onLine?.(pending);
    const { code } = await child.status;
    return { code, stdout: text, stderr: await readStderr };
  } catch (error) {
    return { code: -1, stdout: "", stderr: String(error) };
  }
}

/** A failed command's reason: its last line of stderr, else of stdout. */
function failure(result: { stdout: string; stderr: string }): string {
  return tail(result.stderr.trim() ? result.stderr : result.stdout, 1);
}

/**
 * How long a training run may take: its largest mark, and half an hour for
 * start-up, the last step and writing out.
 */
const trainingTimeoutMs = (minutes: number[]) =>
  (minutes.at(-1)! + 30) * 60 * 1000;

const say = (line: string) => console.error(`bench:quality: ${line}`);

/** Our training run: one, for the largest mark, snapshots at every mark. */
async function trainOurs(options: QualityOptions): Promise<void> {
  const { family, minutes, threads, out } = options;
  const args = [
    "task",
    "train",
    ...family.trainArgs,
    "--minutes",
    String(minutes.at(-1)),
    "--snapshot-minutes",
    minutes.join(","),
    "--steps",
    String(UNREACHED_STEPS),
    "--threads",
    String(threads),
    "--checkpoint-every",
    String(UNREACHED_STEPS),
    "--sample-every",
    "0",
    // Every snapshot is scored below; the test-split evaluation would only cost time.
    "--skip-eval",
    "--out",
    join(out, "ours"),
  ];
  say(`ours: deno ${args.join(" ")}`);
  const result = await stream(Deno.execPath(), args, {
    onLine: (line) => console.error(`  ours | ${line}`),
    timeoutMs: trainingTimeoutMs(minutes),
  });
  if (result.code !== 0) {
    // Snapshots written before a failure still count; the table says which are missing.
    say(`ours: train exited ${result.code}; scoring the snapshots it wrote`);
  }
}

/** PyTorch's run of the same recipe, the same minutes and marks. */
async function trainTorch(options: QualityOptions): Promise<void> {
  const { family, minutes, threads, out } = options;
  const args = [
    family.peerScript,
    ...family.peerArgs,
    "--threads",
    String(threads),
    "--steps",
    String(UNREACHED_STEPS),
    "--minutes",
    String(minutes.at(-1)),
    "--snapshot-minutes",
    minutes.join(","),
    "--snapshot-dir",
    join(out, "torch", "state"),
  ];
  say(`PyTorch: ${PYTHON} ${args.join(" ")}`);
  const threadEnv = String(threads);
  const result = await stream(PYTHON, args, {
    env: { OMP_NUM_THREADS: threadEnv, MKL_NUM_THREADS: threadEnv },
    onLine: (line) => console.error(`  PyTorch | ${line}`),
    timeoutMs: trainingTimeoutMs(minutes),
  });
  await Deno.mkdir(join(repoRoot, out, "torch"), { recursive: true });
  await Deno.writeTextFile(
    join(repoRoot, out, "torch", "peer.log"),
    result.stdout,
  );
  if (result.code !== 0) {
    say(`PyTorch: exited ${result.code}; scoring the snapshots it wrote`);
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(join(repoRoot, path));
    return true;
  } catch {
    return false;
  }
}

/** `deno task eval --run RUN --json` with the shared flags, as a side. */
async function score(
  run: string,
  evalArgs: string[],
): Promise<QualitySide> {
  const result = await stream(Deno.execPath(), [
    "task",
    "eval",
    "--run",
    run,
    "--json",
    ...evalArgs,
  ]);
  const report = jsonLines(result.stdout).at(-1);
  if (result.code !== 0 || !report) {
    return {
      status: "missing",
      reason: `eval of ${run} failed (exit ${result.code}): ${failure(result)}`,
    };
  }
  const metrics: Record<string, number> = {};
  for (const [key, value] of Object.entries(report)) {
    if (key !== "step" && typeof value === "number") metrics[key] = value;
  }
  return { status: "ok", step: report.step as number, metrics };
}

/** The steps PyTorch reached at each mark, from its snapshot lines. */
async function torchSteps(out: string): Promise<Map<string, number>> {
  const steps = new Map<string, number>();
  let text = "";
  try {
    text = await Deno.readTextFile(join(repoRoot, out, "torch", "peer.log"));
  } catch {
    return steps;
  }
  for (const line of jsonLines(text)) {
    if (typeof line.snapshot === "string" && typeof line.step === "number") {
      steps.set(line.snapshot, line.step);
    }
  }
  return steps;
}

/**
 * The CPU's "model name", read by /usr/bin/python3: Deno lets a script read
 * /proc/cpuinfo only under --allow-all (bench/_machine.ts).
 */
async function cpuName(): Promise<string | undefined> {
  const result = await stream(PYTHON, [
    "-c",
    "import re; print(re.search(r'^model name\\s*:\\s*(.+)$', " +
    "open('/proc/cpuinfo').read(), re.M).group(1).strip())",
  ]);
  return result.code === 0 ? result.stdout.trim() || undefined : undefined;
}

/** Every snapshot of both sides scored the same way. */
async function scoreMarks(
  options: QualityOptions,
  evalArgs: string[],
): Promise<QualityMark[]> {
  const { family, out, threads } = options;
  const peerSteps = await torchSteps(out);
  const marks: QualityMark[] = [];
  for (const minutes of options.minutes) {
    const name = snapshotName(minutes);
    const oursRun = join(out, "ours", "snapshots", name);
    say(`${name}: scoring ours (${oursRun}) ...`);
    const ours: QualitySide =
      await exists(join(oursRun, "checkpoint.safetensors"))
        ? await score(oursRun, evalArgs)
        : {
          status: "missing",
          reason: `no snapshot ${oursRun}: the run ended before ${minutes} min`,
        };
    const state = join(out, "torch", "state", `${name}.safetensors`);
    const torchRun = join(out, "torch", "snapshots", name);
    let torch: QualitySide;
    if (!await exists(state)) {
      torch = {
        status: "missing",
        reason: `no snapshot ${state}: the run ended before ${minutes} min`,
      };
    } else {
      say(`${name}: importing and scoring PyTorch (${state}) ...`);
      const imported = await stream(Deno.execPath(), [
        "task",
        "import",
        ...family.importArgs,
        "--from",
        state,
        "--out",
        torchRun,
        "--overwrite",
        "--threads",
        String(threads),
      ]);
      torch = imported.code !== 0
        ? {
          status: "missing",
          reason: `import of ${state} failed (exit ${imported.code}): ${
            failure(imported)
          }`,
        }
        : await score(torchRun, evalArgs);
      // An imported run is at step 0: the steps are the peer's.
      if (torch.status === "ok") {
        const step = peerSteps.get(name);
        torch = step === undefined
          ? {
            status: "missing",
            reason: `no snapshot line for ${name} in ${out}/torch/peer.log`,
          }
          : { ...torch, step };
      }
    }
    marks.push({ minutes, ours, torch });
  }
  return marks;
}

/** Writes the family's results and plot, and QUALITY.md from every family's. */
export async function writeQuality(
  result: QualityResult,
  dir = benchDir,
): Promise<string> {
  await Deno.writeTextFile(
    join(dir, resultsName(result.family)),
    JSON.stringify(result, null, 2) + "\n",
  );
  await writePng(join(dir, plotName(result.family)), qualityPlot(result));
  const results: QualityResult[] = [];
  for (const name of QUALITY_FAMILY_NAMES) {
    try {
      results.push(
        JSON.parse(await Deno.readTextFile(join(dir, resultsName(name)))),
      );
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
  const path = join(dir, "QUALITY.md");
  await Deno.writeTextFile(path, renderQuality(results));
  // Pads the tables as `deno fmt` would, so `deno fmt --check bench/` stays clean.
  await new Deno.Command(Deno.execPath(), {
    args: ["fmt", "--quiet", path],
    stdout: "null",
    stderr: "null",
  }).output().catch(() => {});
  return path;
}

/** The whole task: both runs one after the other, the scores, the files. */
export async function runQuality(
  options: QualityOptions,
  command: string,
): Promise<string> {
  // --score-only keeps the record of the training it scores (when, on
  // which peer, under what load): nothing it does now uses the BLAS.
  const training = options.scoreOnly
    ? await trainingRecord(options.family.name)
    : undefined;
  if (options.scoreOnly && !await exists(options.out)) {
    throw new Error(`--score-only: ${options.out} holds no runs to score`);
  }
  const record = training ?? await checkPeer(options);
  if (!options.scoreOnly) {
    await Deno.remove(join(repoRoot, options.out), { recursive: true }).catch(
      (error) => {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
      },
    );
    const most = options.minutes.at(-1)!;
    say(
      `${options.family.name}: ${most} min of ours, then ${most} min of PyTorch, then scoring`,
    );
    await trainOurs(options);
    await trainTorch(options);
    const loadAfter = loadAverage();
    if (loadAfter !== undefined) record.loadAfter = loadAfter;
  }
  const evalArgs = [
    "--threads",
    String(options.threads),
    ...(options.samples !== undefined
      ? ["--samples", String(options.samples)]
      : []),
  ];
  const marks = await scoreMarks(options, evalArgs);
  return await writeQuality({
    family: options.family.name,
    command,
    machine: describeMachine(await cpuName()),
    ...record,
    threads: options.threads,
    evalArgs,
    marks,
  });
}

/** What a result records of its training: when, the peer, the load. */
type TrainingRecord = Pick<
  QualityResult,
  "date" | "torchVersion" | "blas" | "loadBefore" | "loadAfter"
>;

/**
 * Installs and checks the peer before any training (a slow BLAS would make
 * every PyTorch number unfair: refused unless --any-blas), and starts the
 * record of the training.
 */
async function checkPeer(options: QualityOptions): Promise<TrainingRecord> {
  const torchVersion = await ensureTorch();
  const blas = await ensureOpenBlas();
  const refusal = blasRefusal(blas);
  if (refusal && !options.anyBlas) throw new Error(refusal);
  if (refusal) say(`--any-blas: going on although ${refusal}`);
  say(
    `PyTorch ${torchVersion} on ${blasLibrary(blas)}, ${
      formatGflops(blas.gflops)
    }`,
  );
  const loadBefore = loadAverage();
  return {
    date: new Date().toISOString(),
    torchVersion,
    blas,
    ...(loadBefore !== undefined ? { loadBefore } : {}),
  };
}

/** The training record of `family`'s last results, if they were written. */
async function trainingRecord(
  family: string,
  dir = benchDir,
): Promise<TrainingRecord | undefined> {
  try {
    const { date, torchVersion, blas, loadBefore, loadAfter } = JSON.parse(
      await Deno.readTextFile(join(dir, resultsName(family))),
    ) as QualityResult;
    return { date, torchVersion, blas, loadBefore, loadAfter };
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

if (import.meta.main) {
  try {
    const options = parseQualityArgs(Deno.args);
    if (options === "help") {
      console.log(HELP);
    } else {
      const command = ["deno task bench:quality", ...Deno.args].join(" ");
      const path = await runQuality(options, command);
      say(`wrote ${path}`);
    }
  } catch (error) {
    say((error as Error).message);
    Deno.exit(2);
  }
}
