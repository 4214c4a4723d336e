/**
 * The single executable: `deno task compile` builds it, and a copy alone in
 * an empty folder, run with nothing in its environment but PATH (an empty
 * folder, so no deno or node can be found) and HOME, runs the CLI with
 * threads and SIMD, trains, samples (a grid of the right size, not blank),
 * serves the web page it carries with the run, and rejects a bad flag.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { lines, ROOT } from "./_run_cli.ts";
import { assertSampleGrid } from "./_pictures.ts";

/** Runs the executable in `cwd` with only PATH and HOME set (like `env -i`). */
async function runAlone(
  executable: string,
  cwd: string,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const output = await new Deno.Command(executable, {
    args,
    cwd,
    clearEnv: true,
    env: { PATH: join(cwd, "bin"), HOME: join(cwd, "home") },
    stdin: "null",
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/**
 * `serve --run run --port 0` from the executable: the page it carries
 * (index.html, the sampler bundle, a WASM build) and the run's checkpoint,
 * cross-origin isolated; then it is stopped.
 */
async function assertServesPage(
  executable: string,
  folder: string,
): Promise<void> {
  const server = new Deno.Command(executable, {
    args: ["serve", "--run", "run", "--port", "0"],
    cwd: folder,
    clearEnv: true,
    env: { PATH: join(folder, "bin"), HOME: join(folder, "home") },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  try {
    const reader = server.stdout.pipeThrough(new TextDecoderStream())
      .getReader();
    let said = "";
    while (!/http:\/\/[\d.]+:\d+\//.test(said)) {
      const { value, done } = await reader.read();
      assert.ok(!done, `serve ended before listening: ${said}`);
      said += value;
    }
    assert.match(said, /the page this executable carries/);
    const base = said.match(/http:\/\/[\d.]+:\d+\//)![0];
    for (
      const [path, type] of [
        ["", /^text\/html/],
        ["sampler.js", /^text\/javascript/],
        ["tfjs-backend-wasm-threaded-simd.wasm", /^application\/wasm/],
        ["run/checkpoint.safetensors", /^application\/octet-stream/],
      ] as const
    ) {
      const response = await fetch(base + path);
      assert.equal(response.status, 200, path);
      assert.match(response.headers.get("content-type")!, type, path);
      assert.equal(
        response.headers.get("cross-origin-embedder-policy"),
        "require-corp",
      );
      assert.ok((await response.arrayBuffer()).byteLength > 0, path);
    }
    const escape = await fetch(base + "%2e%2e/genwasm");
    assert.equal(escape.status, 404);
    await escape.body?.cancel();
    reader.releaseLock();
  } finally {
    server.kill();
    await server.status;
    await server.stdout.cancel().catch(() => {});
    await server.stderr.cancel();
  }
}

Deno.test("deno task compile builds one executable that runs the CLI alone", async () => {
  const scratch = await Deno.makeTempDir({ prefix: "genwasm-exe-test-" });
  try {
    const built = join(scratch, "build", "genwasm");
    const compile = await new Deno.Command(Deno.execPath(), {
      args: ["task", "compile", "--out", built],
      cwd: ROOT,
      env: { NO_COLOR: "1" },
      stdin: "null",
    }).output();
    const said = new TextDecoder().decode(compile.stderr);
    assert.equal(compile.code, 0, `deno task compile failed:\n${said}`);

    const folder = join(scratch, "alone");
    await Deno.mkdir(join(folder, "bin"), { recursive: true });
    const executable = join(folder, "genwasm");
    await Deno.copyFile(built, executable);
    await Deno.chmod(executable, 0o755);
    await Deno.remove(join(scratch, "build"), { recursive: true });

    const info = await runAlone(executable, folder, [
      "info",
      "--json",
      "--threads",
      "2",
    ]);
    assert.equal(info.code, 0, info.stderr);
    const engine = JSON.parse(info.stdout);
    assert.equal(engine.backend, "wasm");
    assert.equal(engine.variant, "threaded-simd");
    assert.equal(engine.simd, true);
    assert.ok(engine.threads > 1, `threads: ${engine.threads}`);
    // Whether the bundled runtime has relaxed SIMD varies; the field is there.
    assert.equal(typeof engine.fma, "boolean");
    assert.deepEqual(engine.fallbacks, []);

    // MNIST, the WASM builds and the worker all come from the executable.
    const train = await runAlone(executable, folder, [
      "train",
      "--model",
      "vae-small",
      "--steps",
      "3",
      "--batch",
      "16",
      "--threads",
      "2",
      "--out",
      "run",
    ]);
    assert.equal(train.code, 0, train.stderr);
    assert.match(train.stdout, /trained to step 3/);
    const checkpoint = await Deno.stat(
      join(folder, "run", "checkpoint.safetensors"),
    );
    assert.ok(checkpoint.size > 1000, `checkpoint of ${checkpoint.size} bytes`);

    const sample = await runAlone(executable, folder, [
      "sample",
      "--run",
      "run",
      "--n",
      "4",
      "--threads",
      "2",
      "--out",
      "samples.png",
    ]);
    assert.equal(sample.code, 0, sample.stderr);
    // 4 MNIST samples in one row, decoded by the tests' own PNG reader.
    assertSampleGrid(
      await Deno.readFile(join(folder, "samples.png")),
      { count: 4, side: 28, channels: 1 },
      "the executable's samples.png",
    );

    await assertServesPage(executable, folder);
    const bad = await runAlone(executable, folder, ["train", "--bogus"]);
    assert.equal(bad.code, 2);
    assert.equal(bad.stdout, "");
    assert.deepEqual(lines(bad.stderr), [
      "genwasm train: unknown flag --bogus (see --help)",
    ]);
  } finally {
    await Deno.remove(scratch, { recursive: true });
  }
});
