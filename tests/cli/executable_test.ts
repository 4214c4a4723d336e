/**
 * The single executable: `deno task compile` builds it, and a copy alone in
 * an empty folder, run with nothing in its environment but PATH (an empty
 * folder, so no deno or node can be found) and HOME, runs the CLI with
 * threads and SIMD, trains, samples (a grid of the right size, not blank)
 * and rejects a bad flag.
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
