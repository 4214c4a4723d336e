/**
 * The engine: threaded start-up in this process, and in subprocesses the
 * fallbacks (unwritable worker folder -> single-thread SIMD; plain WASM on
 * request), the cpu backend, where the worker script goes, argument checks,
 * and that a process that used the threaded engine exits by itself.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { tf } from "../../backends/tf.ts";
import { activeSimdKernels } from "../../backends/wasm/simd/kernels.ts";
import {
  describeEngine,
  type EngineInfo,
  engineInfo,
  initEngine,
} from "../../backends/engine.ts";
import { MAX_WASM_THREADS } from "../../backends/wasm/_loader.ts";
import {
  assertBackendsAgree,
  quietCpuBackend,
  Rng,
  sizeOf,
} from "../_helpers.ts";

const info = await initEngine({ threads: 2 });
quietCpuBackend();

const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const CONFIG = fileURLToPath(new URL("../../deno.json", import.meta.url));
const fixture = (name: string) =>
  fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));

interface FixtureRun {
  code: number;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  seconds: number;
}

/**
 * Runs a fixture with `deno run` and the repo's deno.json; kills it (SIGKILL)
 * and reports `timedOut` if it has not exited after `timeoutMs`.
 */
async function runFixture(
  name: string,
  args: string[] = [],
  { env = {}, timeoutMs = 30_000, allowWrite = "--allow-write" }: {
    env?: Record<string, string>;
    timeoutMs?: number;
    /** The write permission flag, e.g. "--allow-write=/tmp/x". */
    allowWrite?: string;
  } = {},
): Promise<FixtureRun> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--config",
      CONFIG,
      "--allow-read",
      allowWrite,
      "--allow-env",
      "--allow-sys",
      fixture(name),
      ...args,
    ],
    cwd: REPO_ROOT,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const start = performance.now();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill("SIGKILL");
  }, timeoutMs);
  try {
    const output = await child.output();
    const decoder = new TextDecoder();
    return {
      code: output.code,
      timedOut,
      stdout: decoder.decode(output.stdout),
      stderr: decoder.decode(output.stderr),
      seconds: (performance.now() - start) / 1000,
    };
  } finally {
    clearTimeout(timer);
  }
}

/** The last stdout line of a fixture, parsed as JSON. */
function lastJson<T>(run: FixtureRun): T {
  const context = `exit ${run.code}${run.timedOut ? " (killed)" : ""}\n` +
    `stdout: ${run.stdout}\nstderr: ${run.stderr}`;
  assert.ok(!run.timedOut, `fixture did not exit by itself: ${context}`);
  assert.equal(run.code, 0, `fixture failed: ${context}`);
  const lines = run.stdout.trim().split("\n");
  try {
    return JSON.parse(lines[lines.length - 1]) as T;
  } catch {
    return assert.fail(`no JSON line from fixture: ${context}`);
  }
}

type EngineReport =
  | {
    ok: true;
    info: EngineInfo;
    backend: string;
    description: string;
    product: number[][];
  }
  | { ok: false; error: string };

/** Runs tests/fixtures/engine_info.ts with `options`; worker files go to a temp dir. */
async function engineIn(
  options: Record<string, unknown>,
  cacheDir?: string,
): Promise<EngineReport> {
  const dir = cacheDir ?? await Deno.makeTempDir({ prefix: "genwasm-test-" });
  try {
    return lastJson<EngineReport>(
      await runFixture("engine_info.ts", [JSON.stringify(options)], {
        env: { GENWASM_CACHE_DIR: dir },
      }),
    );
  } finally {
    if (!cacheDir) await Deno.remove(dir, { recursive: true });
  }
}

function started(report: EngineReport): EngineReport & { ok: true } {
  if (!report.ok) assert.fail(`initEngine threw: ${report.error}`);
  assert.deepEqual(report.product, [[19, 22], [43, 50]], "2x2 matmul");
  return report;
}

Deno.test("initEngine with threads 2 starts the threaded SIMD build", () => {
  assert.equal(info.backend, "wasm");
  assert.equal(info.variant, "threaded-simd", describeEngine(info));
  assert.equal(info.simd, true);
  assert.equal(info.threads, 2);
  assert.equal(info.cores, navigator.hardwareConcurrency);
  // The threaded build pre-spawns its whole pool, whatever `threads`.
  assert.equal(info.workers, MAX_WASM_THREADS, `workers: ${info.workers}`);
  assert.deepEqual(info.fallbacks, []);
  // Deno's V8 has relaxed SIMD: genwasm's kernels are built with FMA, and
  // their pool has a thread per engine thread.
  assert.equal(info.fma, true);
  assert.equal(activeSimdKernels()?.pool.threads, 2);
  assert.equal(info.tfjs, tf.version.tfjs);
  assert.equal(tf.getBackend(), "wasm");
  assert.deepEqual(engineInfo(), info);
});

Deno.test("describeEngine names the build, the threads and the fallbacks", () => {
  assert.equal(
    describeEngine(info),
    `wasm threaded-simd, 2 threads (${info.cores} cores)`,
  );
  const fellBack: EngineInfo = {
    ...info,
    variant: "simd",
    threads: 1,
    workers: 0,
    fallbacks: ["threaded-simd: no worker"],
  };
  assert.equal(
    describeEngine(fellBack),
    `wasm simd, 1 thread (${info.cores} cores); fell back after threaded-simd: no worker`,
  );
  assert.equal(
    describeEngine({ ...info, backend: "cpu", variant: "cpu" }),
    `tfjs cpu backend (${info.cores} cores)`,
  );
});

Deno.test("threaded wasm matches the cpu backend on work big enough to use the threads", async () => {
  const rng = new Rng(2);
  const a = rng.uniform(128 * 96), b = rng.uniform(96 * 112);
  const x = rng.uniform(4 * 16 * 16 * 8), w = rng.uniform(4 * 4 * 8 * 16);
  const dy = rng.uniform(sizeOf([4, 8, 8, 16]));
  await assertBackendsAgree(() => {
    const input = tf.tensor4d(x, [4, 16, 16, 8]);
    const filter = tf.tensor4d(w, [4, 4, 8, 16]);
    const grads = tf.grads((i, f) =>
      tf.conv2d(i as tf.Tensor4D, f as tf.Tensor4D, 2, "same")
    )([input, filter], tf.tensor4d(dy, [4, 8, 8, 16]));
    return [
      tf.matMul(tf.tensor2d(a, [128, 96]), tf.tensor2d(b, [96, 112])),
      ...grads,
    ];
  }, ["matMul 128x96x112", "conv2d dx", "conv2d dW"]);
});

Deno.test("initEngine falls back to single-thread SIMD when the worker script cannot be written", async () => {
  const report = started(
    await engineIn({ threads: 2, cacheDir: "/proc/genwasm-cannot-write" }),
  );
  assert.equal(report.info.variant, "simd");
  assert.equal(report.info.simd, true);
  assert.equal(report.info.threads, 1);
  assert.equal(report.info.workers, 0);
  assert.equal(report.info.fallbacks.length, 1, report.info.fallbacks.join());
  assert.match(report.info.fallbacks[0], /^threaded-simd: /);
  assert.equal(report.backend, "wasm");
  assert.match(report.description, /fell back after threaded-simd: /);
});

Deno.test("initEngine with variants [plain] runs WASM without SIMD", async () => {
  const report = started(await engineIn({ variants: ["plain"] }));
  assert.equal(report.info.variant, "plain");
  assert.equal(report.info.simd, false);
  assert.equal(report.info.fma, false);
  assert.equal(report.info.threads, 1);
  assert.equal(report.info.workers, 0);
  assert.deepEqual(report.info.fallbacks, []);
  assert.equal(report.backend, "wasm");
});

Deno.test("initEngine with threads 1 starts single-thread SIMD without trying threads", async () => {
  const report = started(await engineIn({ threads: 1 }));
  assert.equal(report.info.variant, "simd");
  assert.equal(report.info.threads, 1);
  assert.deepEqual(report.info.fallbacks, []);
});

Deno.test("initEngine with backend cpu selects the tfjs cpu backend", async () => {
  const report = started(await engineIn({ backend: "cpu" }));
  assert.equal(report.backend, "cpu");
  assert.equal(report.info.backend, "cpu");
  assert.equal(report.info.variant, "cpu");
  assert.equal(report.info.simd, false);
  assert.equal(report.info.workers, 0);
  assert.match(report.description, /^tfjs cpu backend/);
});

Deno.test("initEngine rejects a bad thread count or backend", async () => {
  for (
    const [options, pattern] of [
      [{ threads: 0 }, /threads must be a whole number >= 1/],
      [{ threads: 1.5 }, /threads must be a whole number >= 1/],
      [{ backend: "gpu" }, /unknown backend "gpu"/],
    ] as const
  ) {
    const report = await engineIn(options);
    assert.equal(report.ok, false, JSON.stringify(options));
    if (!report.ok) assert.match(report.error, pattern);
  }
});

Deno.test("the threaded build writes its worker scripts (tfjs's and genwasm's kernel pool's) to GENWASM_CACHE_DIR", async () => {
  const dir = await Deno.makeTempDir({ prefix: "genwasm-test-" });
  try {
    const report = started(await engineIn({ threads: 2 }, dir));
    assert.equal(report.info.variant, "threaded-simd");
    const files = [...Deno.readDirSync(dir)].map((entry) => entry.name).sort();
    assert.equal(files.length, 2, `files: ${files.join(", ")}`);
    assert.match(files[0], /^genwasm-kernel-worker-[0-9a-f]{8}\.cjs$/);
    assert.match(files[1], /^tfjs-wasm-worker-[0-9a-f]{8}\.cjs$/);
    // A second start reuses the file.
    started(await engineIn({ threads: 2 }, dir));
    assert.deepEqual(
      [...Deno.readDirSync(dir)].map((e) => e.name).sort(),
      files,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the threaded engine starts when only the cache folder is writable (read-only install)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "genwasm-test-" });
  try {
    const report = started(lastJson<EngineReport>(
      await runFixture("engine_info.ts", [JSON.stringify({ threads: 2 })], {
        env: { GENWASM_CACHE_DIR: dir },
        allowWrite: `--allow-write=${dir}`,
      }),
    ));
    assert.equal(report.info.variant, "threaded-simd");
    assert.deepEqual(report.info.fallbacks, []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a process that ran the threaded engine exits by itself with code 0", async () => {
  const dir = await Deno.makeTempDir({ prefix: "genwasm-test-" });
  try {
    const run = await runFixture("threaded_work.ts", [], {
      env: { GENWASM_CACHE_DIR: dir },
      timeoutMs: 30_000,
    });
    const result = lastJson<{ variant: string; workers: number; sum: number }>(
      run,
    );
    assert.equal(result.variant, "threaded-simd");
    assert.equal(result.workers, MAX_WASM_THREADS);
    assert.equal(result.sum, 128 * 112 * 96);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
