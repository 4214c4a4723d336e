/**
 * `deno task bench:report`: runs every bench suite three times as
 * `deno bench --json` subprocesses (wasm on 1 thread, wasm on all cores
 * capped at 8, and tfjs's cpu backend) and writes bench/REPORT.md.
 *
 * Each engine gets its own process because the engine starts once per
 * process. Needs --allow-run (the subprocesses), --allow-read, --allow-write
 * (REPORT.md), --allow-env and --allow-sys (load average, OS release).
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { MAX_WASM_THREADS } from "../backends/mod.ts";
import { parseBenchOutput } from "./_bench_json.ts";
import { describeMachine, loadAverage } from "./_machine.ts";
import { type EngineRun, renderReport } from "./_report_markdown.ts";

/** The permissions the suites need, as the `bench` task grants them. */
const BENCH_PERMISSIONS = [
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-sys",
];

/** A run that hangs is stopped after this long (the cpu run takes ~2 min). */
const RUN_TIMEOUT_MS = 8 * 60 * 1000;

const benchDir = fileURLToPath(new URL(".", import.meta.url));
const repoRoot = fileURLToPath(new URL("..", import.meta.url));

/** The last `count` lines of `text`, for error messages. */
function tail(text: string, count = 15): string {
  return text.trimEnd().split("\n").slice(-count).join("\n");
}

/** Runs all suites once on one engine; never throws. */
async function runSuites(
  title: string,
  backend: "wasm" | "cpu",
  threads: number,
): Promise<EngineRun> {
  console.error(`bench:report: ${title} ...`);
  const run: EngineRun = {
    title,
    backend,
    threads,
    seconds: 0,
    loadBefore: loadAverage(),
  };
  const started = performance.now();
  try {
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["bench", "--json", ...BENCH_PERMISSIONS, benchDir],
      cwd: repoRoot,
      env: { GENWASM_BACKEND: backend, GENWASM_THREADS: String(threads) },
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(RUN_TIMEOUT_MS),
    }).output();
    const stdout = new TextDecoder().decode(output.stdout);
    const stderr = new TextDecoder().decode(output.stderr);
    try {
      run.results = parseBenchOutput(stdout);
    } catch (error) {
      run.error = `no results (exit ${output.code}): ${String(error)}`;
      console.error(tail(stderr));
    }
    // A failing bench exits 1 but still prints its JSON; the report says which.
    if (!output.success && run.results && !run.results.failures.size) {
      run.error = `exit ${output.code}${
        output.signal ? ` (${output.signal})` : ""
      }`;
      console.error(tail(stderr));
    }
  } catch (error) {
    run.error = `did not run: ${String(error)}`;
  }
  run.seconds = (performance.now() - started) / 1000;
  run.loadAfter = loadAverage();
  console.error(
    `bench:report: ${title} done in ${run.seconds.toFixed(0)} s` +
      (run.error ? ` (${run.error})` : ""),
  );
  return run;
}

/** Runs the three engines and writes bench/REPORT.md; returns its path. */
export async function writeReport(): Promise<string> {
  const date = new Date();
  const cores = navigator.hardwareConcurrency || 1;
  const allThreads = Math.min(cores, MAX_WASM_THREADS);
  const single = await runSuites("wasm 1T", "wasm", 1);
  const multi = await runSuites(`wasm ${allThreads}T`, "wasm", allThreads);
  const cpu = await runSuites("cpu", "cpu", 1);
  const denoCpu = single.results?.cpu ?? multi.results?.cpu ??
    cpu.results?.cpu;
  const report = renderReport({
    machine: describeMachine(denoCpu),
    date,
    single,
    multi,
    cpu,
  });
  const path = `${benchDir}REPORT.md`;
  await Deno.writeTextFile(path, report);
  // Pads the tables as `deno fmt` would, so `deno fmt --check bench/` stays clean.
  await new Deno.Command(Deno.execPath(), {
    args: ["fmt", "--quiet", path],
    cwd: repoRoot,
  }).output();
  return path;
}

if (import.meta.main) {
  const path = await writeReport();
  console.error(`bench:report: wrote ${path}`);
}
