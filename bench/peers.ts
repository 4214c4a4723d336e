/**
 * `deno task bench:peers [--models a,b] [--threads 1,2] [--warmup 5]
 * [--timed 20]`: ms per training step of the canonical models in genwasm
 * and in PyTorch, side by side, written to bench/PEERS.md with the ratio
 * ours/PyTorch at each thread count.
 *
 * Installs Debian's python3-torch with apt-get when /usr/bin/python3
 * cannot import torch (PyPI is not reachable here), with OpenBLAS, and
 * OpenBLAS alone where torch loads another BLAS. Before timing anything it
 * measures the peer's BLAS (`bench/peers/blas.py`) and refuses, leaving
 * PEERS.md as it was, below 30 GFLOPS (`MIN_PEER_GFLOPS`): Debian's torch
 * on netlib's reference BLAS is no fair peer. Each model, side and
 * thread count runs in a fresh process (the engine and PyTorch's thread
 * pools start once per process), ours then PyTorch, so both see the same
 * load. Our side is the measuring child of `deno task bench:steps`
 * (`bench/steps.ts --measure`, samplers off); the peer is
 * `bench/peers/steps.py`.
 *
 * Needs --allow-run (deno, python3, apt-get), --allow-read, --allow-write
 * (PEERS.md), --allow-env and --allow-sys (load average, OS, uid).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { CANONICAL_MODELS } from "./_step_timing.ts";
import { describeMachine, loadAverage } from "./_machine.ts";
import {
  blasLibrary,
  blasRefusal,
  formatGflops,
  OPENBLAS_PACKAGE,
  parsePeerBlas,
  type PeerBlas,
  usesOpenBlas,
} from "./peers/_blas.ts";
import {
  type PeerCell,
  type PeerReport,
  renderPeers,
  type SideResult,
} from "./peers/_markdown.ts";

/** Debian's interpreter: python3-torch installs for it (a pyenv may shadow it on PATH). */
export const PYTHON = "/usr/bin/python3";
/** A run that hangs is stopped after this long. */
const RUN_TIMEOUT_MS = 30 * 60 * 1000;

const benchDir = fileURLToPath(new URL(".", import.meta.url));
const repoRoot = fileURLToPath(new URL("..", import.meta.url));

interface Options {
  models: string[];
  threads: number[];
  warmup: number;
  timed: number;
}

function parseOptions(args: string[]): Options {
  const { values } = parseArgs({
    args,
    options: {
      models: { type: "string" },
      threads: { type: "string" },
      warmup: { type: "string" },
      timed: { type: "string" },
    },
  });
  const list = (text: string | undefined, fallback: string[]) =>
    text ? text.split(",").map((s) => s.trim()).filter(Boolean) : fallback;
  const models = list(values.models, CANONICAL_MODELS);
  const unknown = models.filter((m) => !CANONICAL_MODELS.includes(m));
  if (unknown.length) {
    throw new Error(
      `unknown model ${unknown.join(", ")}; use ${CANONICAL_MODELS.join(", ")}`,
    );
  }
  const threads = [...new Set(list(values.threads, ["1", "2"]))].map(Number);
  const warmup = Number(values.warmup ?? 5), timed = Number(values.timed ?? 20);
  if (
    threads.some((t) => !Number.isInteger(t) || t < 1) ||
    !Number.isInteger(timed) || timed < 1 ||
    !Number.isInteger(warmup) || warmup < 0
  ) {
    throw new Error(
      "--threads and --timed take whole numbers >= 1, --warmup >= 0",
    );
  }
  return { models, threads, warmup, timed };
}

/** The last `count` lines of `text`, for error messages. */
export function tail(text: string, count = 3): string {
  return text.trimEnd().split("\n").slice(-count).join(" | ");
}

/** Runs a command; never throws (a failure to start is exit code -1). */
async function run(
  command: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const output = await new Deno.Command(command, {
      args,
      cwd: repoRoot,
      env,
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(RUN_TIMEOUT_MS),
    }).output();
    const decoder = new TextDecoder();
    return {
      code: output.code,
      stdout: decoder.decode(output.stdout),
      stderr: decoder.decode(output.stderr),
    };
  } catch (error) {
    return { code: -1, stdout: "", stderr: String(error) };
  }
}

/**
 * PyTorch's version (and the Debian package's), or undefined where
 * /usr/bin/python3 cannot import it.
 */
async function torchVersion(): Promise<string | undefined> {
  const result = await run(PYTHON, [
    "-c",
    "import torch; print(torch.__version__)",
  ]);
  if (result.code !== 0) return undefined;
  const debian = await run("dpkg-query", [
    "--show",
    "--showformat=${Version}",
    "python3-torch",
  ]);
  const version = result.stdout.trim();
  return debian.code === 0 && debian.stdout
    ? `${version} (Debian python3-torch ${debian.stdout.trim()})`
    : version;
}

/** How to install `packages` by hand, for the error messages. */
function manualInstall(packages: string[]): string {
  return `install ${
    packages.length > 1 ? "them" : "it"
  } yourself (as root: apt-get install -y ${
    packages.join(" ")
  }) and run bench:peers again`;
}

/**
 * Installs Debian packages with apt-get (as root), refreshing the package
 * lists and trying once more where the first install fails.
 *
 * @param why what is wrong without them, to start the messages with
 * @throws Error saying what to do where apt-get cannot be used or fails.
 */
async function aptInstall(packages: string[], why: string): Promise<void> {
  const manual = manualInstall(packages);
  if (Deno.uid() !== 0) {
    throw new Error(
      `${why} and this is not root, so apt-get cannot install ${
        packages.join(" ")
      }: ${manual}`,
    );
  }
  const apt = (args: string[]) => {
    console.error(`bench:peers: running apt-get ${args.join(" ")} ...`);
    return run("apt-get", args, { DEBIAN_FRONTEND: "noninteractive" });
  };
  console.error(`bench:peers: ${why}; installing ${packages.join(" ")}`);
  let result = await apt(["install", "-y", ...packages]);
  if (result.code === -1) {
    throw new Error(`apt-get could not be run (${result.stderr}): ${manual}`);
  }
  if (result.code !== 0) {
    // Stale package lists are the usual cause; refresh them and try again.
    console.error(`bench:peers: apt-get failed: ${tail(result.stderr)}`);
    await apt(["update"]);
    result = await apt(["install", "-y", ...packages]);
  }
  if (result.code !== 0) {
    throw new Error(
      `apt-get install ${packages.join(" ")} failed: ${
        tail(result.stderr)
      }; ${manual}`,
    );
  }
}

/**
 * Makes sure /usr/bin/python3 imports torch, installing Debian's
 * python3-torch with apt-get (as root) when it does not, with OpenBLAS:
 * the BLAS Debian's torch would otherwise get is netlib's (bench/peers/_blas.ts).
 *
 * @throws Error saying what to do where apt-get cannot be used or fails.
 */
export async function ensureTorch(): Promise<string> {
  const found = await torchVersion();
  if (found) return found;
  const packages = ["python3-torch", OPENBLAS_PACKAGE];
  await aptInstall(packages, `${PYTHON} cannot import torch`);
  const version = await torchVersion();
  if (!version) {
    throw new Error(
      `python3-torch installed but ${PYTHON} still cannot import torch: ${
        manualInstall(packages)
      }`,
    );
  }
  return version;
}

/**
 * The BLAS PyTorch runs on and its GFLOPS, from bench/peers/blas.py.
 *
 * @throws Error where the probe fails or prints no JSON.
 */
async function probeBlas(): Promise<PeerBlas> {
  const result = await run(PYTHON, [`${benchDir}peers/blas.py`]);
  if (result.code !== 0) {
    throw new Error(
      `bench/peers/blas.py failed (exit ${result.code}): ${
        tail(result.stderr)
      }`,
    );
  }
  return parsePeerBlas(jsonLines(result.stdout).at(-1));
}

/**
 * The peer's BLAS, installing OpenBLAS first (as root) where torch loads
 * another one, such as netlib's reference BLAS.
 *
 * @throws Error where the probe fails, or where OpenBLAS cannot be
 * installed in place of a BLAS too slow for a fair comparison.
 */
export async function ensureOpenBlas(): Promise<PeerBlas> {
  const blas = await probeBlas();
  if (usesOpenBlas(blas)) return blas;
  try {
    await aptInstall(
      [OPENBLAS_PACKAGE],
      `PyTorch loads ${blasLibrary(blas)} (${
        formatGflops(blas.gflops)
      }), not OpenBLAS`,
    );
  } catch (error) {
    // Another fast BLAS (BLIS, MKL) still makes a fair peer; only a slow
    // one has to be replaced.
    if (blasRefusal(blas)) throw error;
    console.error(
      `bench:peers: ${(error as Error).message}; going on with the BLAS it has`,
    );
    return blas;
  }
  return await probeBlas();
}

/** The JSON lines a measuring process printed. */
export function jsonLines(stdout: string): Record<string, unknown>[] {
  return stdout.split("\n").filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line));
}

/** A JSON line as a side's result. */
function sideOf(line: Record<string, unknown>): SideResult {
  return {
    status: "ok",
    parameters: line.parameters as number,
    medianMs: line.medianMs as number,
    stepsMs: line.stepsMs as number[],
  };
}

/** Our step time of one model in a fresh process. */
async function measureOurs(
  model: string,
  threads: number,
  options: Options,
): Promise<SideResult> {
  const result = await run(Deno.execPath(), [
    "run",
    "--allow-read",
    "--allow-write",
    "--allow-env",
    "--allow-sys",
    `${benchDir}steps.ts`,
    "--measure",
    "--threads",
    String(threads),
    "--models",
    model,
    "--sampler-images",
    "0",
    "--warmup",
    String(options.warmup),
    "--timed",
    String(options.timed),
  ]);
  const line = jsonLines(result.stdout).find((line) => line.model === model);
  if (line?.missing) return { status: "not built" };
  if (line && result.code === 0) return sideOf(line);
  return {
    status: "failed",
    reason: `exit ${result.code}: ${tail(result.stderr)}`,
  };
}

/** PyTorch's step time of one model in a fresh process. */
async function measureTorch(
  model: string,
  threads: number,
  options: Options,
): Promise<{ side: SideResult; line?: Record<string, unknown> }> {
  const result = await run(PYTHON, [
    `${benchDir}peers/steps.py`,
    "--threads",
    String(threads),
    "--models",
    model,
    "--warmup",
    String(options.warmup),
    "--timed",
    String(options.timed),
  ], {
    OMP_NUM_THREADS: String(threads),
    MKL_NUM_THREADS: String(threads),
  });
  const line = jsonLines(result.stdout).find((line) => line.model === model);
  if (line && result.code === 0) return { side: sideOf(line), line };
  return {
    side: {
      status: "failed",
      reason: `exit ${result.code}: ${tail(result.stderr)}`,
    },
  };
}

function describe(side: SideResult): string {
  return side.status === "ok"
    ? `${side.medianMs.toFixed(1)} ms/step, ${side.parameters} parameters`
    : side.status === "failed"
    ? `failed (${side.reason})`
    : side.status;
}

/** Runs both sides of every model at every thread count; writes PEERS.md. */
export async function writePeers(options: Options): Promise<string> {
  const version = await ensureTorch();
  console.error(`bench:peers: PyTorch ${version}`);
  const blas = await ensureOpenBlas();
  // Before any measurement: a slow BLAS would make every peer time unfair.
  const refusal = blasRefusal(blas);
  if (refusal) throw new Error(refusal);
  console.error(
    `bench:peers: BLAS ${blasLibrary(blas)}, ${formatGflops(blas.gflops)}`,
  );
  const date = new Date();
  const loadBefore = loadAverage();
  const results: Record<string, Record<number, PeerCell>> = {};
  const expectedParameters: Record<string, number> = {};
  let cpu: string | undefined;
  for (const threads of options.threads) {
    for (const model of options.models) {
      console.error(`bench:peers: ${model}, ${threads} thread(s): ours ...`);
      const ours = await measureOurs(model, threads, options);
      console.error(`bench:peers:   ours: ${describe(ours)}; PyTorch ...`);
      const { side: torch, line } = await measureTorch(
        model,
        threads,
        options,
      );
      console.error(`bench:peers:   PyTorch: ${describe(torch)}`);
      if (line) {
        expectedParameters[model] = line.expected as number;
        cpu ??= line.cpu as string;
      }
      (results[model] ??= {})[threads] = { ours, torch };
    }
  }
  const report: PeerReport = {
    machine: describeMachine(cpu),
    date,
    torchVersion: version,
    blas,
    warmup: options.warmup,
    timed: options.timed,
    threads: options.threads,
    models: options.models,
    expectedParameters,
    results,
    loadBefore,
    loadAfter: loadAverage(),
  };
  const path = `${benchDir}PEERS.md`;
  await Deno.writeTextFile(path, renderPeers(report));
  // Pads the tables as `deno fmt` would, so `deno fmt --check bench/` stays clean.
  await run(Deno.execPath(), ["fmt", "--quiet", path]);
  return path;
}

if (import.meta.main) {
  try {
    const path = await writePeers(parseOptions(Deno.args));
    console.error(`bench:peers: wrote ${path}`);
  } catch (error) {
    console.error(`bench:peers: ${(error as Error).message}`);
    Deno.exit(2);
  }
}
