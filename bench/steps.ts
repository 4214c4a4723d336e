/**
 * `deno task bench:steps [--json] [--models a,b] [--threads 1,2] [--timed N]
 * [--sampler-images N] [--memory-steps N] [--profile [--profiled N]]
 * [--stock-spin]`:
 * median wall time of one training step of each canonical model at batch
 * 64 (5 warm-up steps, then >= 20 timed), at 1 thread and at all threads,
 * plus images/s of each sampler. One subprocess per thread count (the
 * engine starts once per process); `--json` prints one object
 * `{model: {threads: ms_per_step}}` on stdout. `--memory-steps 1000` runs
 * that many steps in all and adds resident memory after step 100 and after
 * the last (the spec: less than 5% growth), and the peak.
 *
 * `--profile` profiles the step instead (bench/_kernel_profile.ts): per
 * model and thread count, the time and calls of each kernel per step
 * (the mean of `--profiled` steps, 5 by default, spread among `--timed`
 * unprofiled ones, 10 by default), GFLOP and GFLOPS of the convolutions
 * and matrix products, the time outside kernels (median unprofiled wall
 * minus the kernel sum), the slowest shapes, and the f32x4 multiply-add
 * ceiling of this machine (bench/_ceiling.ts); it prints
 * bench/PROFILE.md's text and writes that file (`--json`: the report as
 * JSON on stdout instead).
 *
 * `--stock-spin` runs XNNPACK's idle threads with the spin tfjs ships
 * (backends/wasm/_pthreadpool_spin.ts), to measure what the short one
 * gains; with `--profile` it writes no file, only prints.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { cpus } from "node:os";
import {
  coreCount,
  initEngine,
  MAX_WASM_THREADS,
  STOCK_SPIN_POLLS,
} from "../backends/mod.ts";
import { presetNames } from "../models/registry.ts";
import {
  CANONICAL_MODELS,
  MEMORY_BASELINE_STEP,
  type MemoryCheck,
  type StepTiming,
  timeModel,
} from "./_step_timing.ts";
import { table } from "./_markdown.ts";
import { profileModel } from "./_kernel_profile.ts";
import { measureCeilings } from "./_ceiling.ts";
import { describeMachine, loadAverage } from "./_machine.ts";
import {
  type ProfileCell,
  type ProfileReport,
  renderProfile,
} from "./_profile_markdown.ts";

const WORKER_FLAG = "--measure";
/** Images per training batch, as the trainer's default. */
const BATCH_SIZE = 64;
/** Where `--profile` writes its report. */
const PROFILE_PATH = fileURLToPath(new URL("PROFILE.md", import.meta.url));

interface Options {
  json: boolean;
  models: string[];
  threads: number[];
  warmup: number;
  timed: number;
  /** Images per sampler call; 0 skips the samplers (the 1000-step DDPM one is slow). */
  samplerImages: number;
  /** Steps of the memory check (0: none). */
  memorySteps: number;
  /** Profile the steps (`--profile`) rather than time them. */
  profile: boolean;
  /** Steps under the profiler, with `profile`. */
  profiled: number;
  /** Run XNNPACK's idle threads with tfjs's stock spin (backends/wasm/_pthreadpool_spin.ts), for an A/B. */
  stockSpin: boolean;
}

function parseOptions(args: string[]): Options & { measure: boolean } {
  const { values } = parseArgs({
    args,
    options: {
      json: { type: "boolean" },
      models: { type: "string" },
      threads: { type: "string" },
      warmup: { type: "string" },
      timed: { type: "string" },
      "sampler-images": { type: "string" },
      "memory-steps": { type: "string" },
      profile: { type: "boolean" },
      profiled: { type: "string" },
      measure: { type: "boolean" },
      "stock-spin": { type: "boolean" },
    },
  });
  const all = Math.min(coreCount(), MAX_WASM_THREADS);
  const list = (text: string | undefined, fallback: string[]) =>
    text ? text.split(",").map((s) => s.trim()).filter(Boolean) : fallback;
  const models = list(values.models, CANONICAL_MODELS);
  const threads = [...new Set(list(values.threads, ["1", String(all)]))]
    .map(Number);
  if (threads.some((t) => !Number.isInteger(t) || t < 1)) {
    throw new Error(`--threads takes whole numbers >= 1, e.g. 1,2`);
  }
  const profile = values.profile ?? false;
  // Profiled runs time fewer steps: the profiled ones come on top.
  const warmup = Number(values.warmup ?? 5);
  const timed = Number(values.timed ?? (profile ? 10 : 20));
  const profiled = Number(values.profiled ?? 5);
  if (!(Number.isInteger(profiled) && profiled >= 1)) {
    throw new Error(`--profiled takes a whole number >= 1`);
  }
  const samplerImages = Number(values["sampler-images"] ?? 64);
  if (!(Number.isInteger(samplerImages) && samplerImages >= 0)) {
    throw new Error(`--sampler-images takes a whole number >= 0`);
  }
  const memorySteps = Number(values["memory-steps"] ?? 0);
  if (!(Number.isInteger(memorySteps) && memorySteps >= 0)) {
    throw new Error(`--memory-steps takes a whole number >= 0, e.g. 1000`);
  }
  if (!(Number.isInteger(timed) && timed >= 1 && Number.isInteger(warmup))) {
    throw new Error(`--warmup and --timed take whole numbers`);
  }
  return {
    json: values.json ?? false,
    models,
    threads,
    warmup,
    timed,
    samplerImages,
    memorySteps,
    profile,
    profiled,
    measure: values.measure ?? false,
    stockSpin: values["stock-spin"] ?? false,
  };
}

/** Child process: one thread count, every model, one JSON line per model. */
async function measure(options: Options): Promise<void> {
  await initEngine({
    threads: options.threads[0],
    spinPolls: options.stockSpin ? STOCK_SPIN_POLLS : undefined,
  });
  const known = presetNames();
  for (const model of options.models) {
    if (!known.includes(model)) {
      console.log(JSON.stringify({ model, missing: true }));
      continue;
    }
    if (options.profile) {
      console.log(JSON.stringify(await profileIn(model, options)));
      continue;
    }
    const timing = timeModel(
      model,
      {
        warmup: options.warmup,
        timed: options.timed,
        memorySteps: options.memorySteps,
      },
      BATCH_SIZE,
      options.samplerImages,
    );
    console.log(JSON.stringify(timing));
  }
}

/** One model's profile, or why it failed (the other models still run). */
async function profileIn(
  model: string,
  options: Options,
): Promise<ProfileCell> {
  try {
    return await profileModel(
      model,
      {
        warmup: options.warmup,
        timed: options.timed,
        profiled: options.profiled,
      },
      options.threads[0],
      BATCH_SIZE,
    );
  } catch (error) {
    console.error(`bench:steps: ${model}: ${(error as Error).stack}`);
    return { model, failed: (error as Error).message };
  }
}

/** Runs one measuring child and parses its lines. */
async function measureIn<Line extends { model: string }>(
  threads: number,
  options: Options,
): Promise<Line[]> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      // As deno.json's train task: V8's young generation at its working
      // size from the start, so resident memory measures the model, not
      // V8 growing its heap over the first few hundred steps; gc() for the
      // memory check's two readings.
      "--v8-flags=--min-semi-space-size=16,--expose-gc",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "--allow-sys",
      fileURLToPath(import.meta.url),
      WORKER_FLAG,
      "--threads",
      String(threads),
      "--models",
      options.models.join(","),
      "--warmup",
      String(options.warmup),
      "--timed",
      String(options.timed),
      "--sampler-images",
      String(options.samplerImages),
      "--memory-steps",
      String(options.memorySteps),
      ...(options.profile
        ? ["--profile", "--profiled", String(options.profiled)]
        : []),
      ...(options.stockSpin ? ["--stock-spin"] : []),
    ],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (!output.success) {
    throw new Error(`bench:steps: the ${threads}-thread run failed`);
  }
  return new TextDecoder().decode(output.stdout).trim().split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line));
}

/**
 * Measures the multiply-add ceiling, profiles every model in a child per
 * thread count, prints PROFILE.md's text (or the report as JSON) and
 * writes bench/PROFILE.md.
 */
async function profileAll(options: Options): Promise<void> {
  const date = new Date();
  const loadBefore = loadAverage();
  console.error("bench:steps: multiply-add ceiling ...");
  const ceilings = await measureCeilings(options.threads);
  const results: ProfileReport["results"] = {};
  for (const threads of options.threads) {
    console.error(`bench:steps: profiling at ${threads} thread(s) ...`);
    for (const cell of await measureIn<ProfileCell>(threads, options)) {
      (results[cell.model] ??= {})[threads] = cell;
    }
  }
  const report: ProfileReport = {
    machine: describeMachine(cpus()[0]?.model),
    date,
    loadBefore,
    loadAfter: loadAverage(),
    counts: {
      warmup: options.warmup,
      timed: options.timed,
      profiled: options.profiled,
    },
    batchSize: BATCH_SIZE,
    ceilings,
    models: options.models,
    threads: options.threads,
    results,
  };
  const text = renderProfile(report);
  console.log(options.json ? JSON.stringify(report) : text);
  // PROFILE.md maps the default engine, not the stock spin's A/B.
  if (options.stockSpin) return;
  await Deno.writeTextFile(PROFILE_PATH, text);
  // Pads the tables as `deno fmt` would, so `deno fmt --check bench/` stays clean.
  await new Deno.Command(Deno.execPath(), {
    args: ["fmt", "--quiet", PROFILE_PATH],
  }).output();
  console.error(`bench:steps: wrote ${PROFILE_PATH}`);
}

async function main(args: string[]): Promise<void> {
  const options = parseOptions(args);
  if (options.measure) return await measure(options);
  if (options.profile) return await profileAll(options);
  const results = new Map<number, Map<string, StepTiming | undefined>>();
  for (const threads of options.threads) {
    if (!options.json) console.error(`bench:steps: ${threads} thread(s) ...`);
    const timings = await measureIn<
      StepTiming | { model: string; missing: true }
    >(threads, options);
    results.set(
      threads,
      new Map(
        timings.map((t) => [t.model, "missing" in t ? undefined : t]),
      ),
    );
  }
  if (options.json) {
    const summary: Record<string, Record<string, number>> = {};
    for (const model of options.models) {
      for (const [threads, timings] of results) {
        const timing = timings.get(model);
        if (!timing) continue;
        (summary[model] ??= {})[threads] = +timing.medianMs.toFixed(2);
      }
    }
    console.log(JSON.stringify(summary));
    return;
  }
  const rows = options.models.map((model) => {
    const cells = options.threads.map((threads) => {
      const timing = results.get(threads)!.get(model);
      return timing ? timing.medianMs.toFixed(1) : "not built yet";
    });
    const last = results.get(options.threads.at(-1)!)!.get(model);
    return [
      model,
      last ? String(last.parameters) : "",
      ...cells,
      last
        ? Object.entries(last.samplers).map(([name, rate]) =>
          `${name} ${rate.toFixed(rate < 10 ? 2 : 0)}/s`
        ).join(", ")
        : "",
      last ? `${(last.rssBytes / 2 ** 20).toFixed(0)} MiB` : "",
      ...(options.memorySteps ? [memoryCell(last?.memory)] : []),
    ];
  });
  console.log(
    table([
      "model",
      "parameters",
      ...options.threads.map((t) => `ms/step ${t}T`),
      `samplers (${options.threads.at(-1)}T)`,
      "RSS",
      ...(options.memorySteps
        ? [
          `RSS step ${MEMORY_BASELINE_STEP} -> ${options.memorySteps} (peak), growth (${
            options.threads.at(-1)
          }T)`,
        ]
        : []),
    ], rows),
  );
}

/** "212 -> 214 MiB (220), +0.9%" for a memory check. */
function memoryCell(memory: MemoryCheck | undefined): string {
  if (!memory) return "";
  const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(0);
  const growth = 100 * (memory.last / memory.baseline - 1);
  return `${mib(memory.baseline)} -> ${mib(memory.last)} MiB (${
    mib(memory.peak)
  }), ${growth >= 0 ? "+" : ""}${growth.toFixed(1)}%`;
}

if (import.meta.main) {
  try {
    await main(Deno.args);
  } catch (error) {
    console.error(`bench:steps: ${(error as Error).message}`);
    Deno.exit(2);
  }
}
