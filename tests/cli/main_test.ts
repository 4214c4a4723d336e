import assert from "node:assert/strict";
import { lines, runCli } from "./_run_cli.ts";

/** Asserts a usage failure: exit 2, nothing on stdout, one stderr line. */
async function assertUsageError(
  args: string[],
  pattern: RegExp,
): Promise<void> {
  const { code, stdout, stderr } = await runCli(args);
  assert.equal(code, 2, `exit code for ${args.join(" ")}; stderr: ${stderr}`);
  assert.equal(stdout, "");
  assert.equal(lines(stderr).length, 1, `one stderr line, got: ${stderr}`);
  assert.match(stderr.trim(), pattern);
}

Deno.test("run() exits 2 with one stderr line for an unknown flag", async () => {
  await assertUsageError(
    ["train", "--bogus"],
    /^genwasm train: unknown flag --bogus \(see --help\)$/,
  );
});

Deno.test("run() exits 2 for --threads 0", async () => {
  await assertUsageError(
    ["train", "--threads", "0"],
    /^genwasm train: --threads must be a whole number >= 1, got "0"$/,
  );
  await assertUsageError(
    ["info", "--threads", "0"],
    /^genwasm info: --threads/,
  );
});

Deno.test("run() exits 2 for bad flag values", async () => {
  await assertUsageError(
    ["info", "--backend", "gpu"],
    /--backend must be wasm or cpu/,
  );
  await assertUsageError(
    ["train", "--steps", "ten"],
    /--steps must be a whole number/,
  );
  await assertUsageError(["train", "--lr=-1"], /--lr must be a number > 0/);
  await assertUsageError(["train", "--batch"], /argument missing/);
  await assertUsageError(
    ["train", "--lr", "-1"],
    /--lr needs a value; write a value that starts with "-" as --lr=VALUE/,
  );
  await assertUsageError(["train", "extra"], /unexpected argument "extra"/);
});

Deno.test("run() exits 2 for an unknown command", async () => {
  await assertUsageError(["fly"], /^genwasm: unknown command "fly"/);
});

Deno.test("run() prints the global and per-command help and exits 0", async () => {
  const global = await runCli(["--help"]);
  assert.equal(global.code, 0);
  assert.match(global.stdout, /Commands:\n\s+info\s.*\n\s+train\s/);
  for (const command of ["info", "train"]) {
    const { code, stdout } = await runCli([command, "--help"]);
    assert.equal(code, 0);
    assert.match(stdout, new RegExp(`^genwasm ${command}: `));
    assert.match(stdout, /--threads N/);
  }
});

Deno.test("info --json prints one JSON object describing the engine", async () => {
  const { code, stdout, stderr } = await runCli(["info", "--json"]);
  assert.equal(code, 0, stderr);
  assert.equal(lines(stdout).length, 1);
  const info = JSON.parse(stdout);
  for (const key of ["backend", "simd", "threads", "cores", "tfjs"]) {
    assert.ok(key in info, `missing ${key}`);
  }
  assert.equal(info.backend, "wasm");
  assert.ok(Number.isInteger(info.threads) && info.threads >= 1);
  assert.ok(info.cores >= 1);
  assert.equal(typeof info.simd, "boolean");
});

Deno.test("info prints the engine in human lines", async () => {
  const { code, stdout } = await runCli(["info", "--threads", "1"]);
  assert.equal(code, 0);
  assert.match(stdout, /^wasm \S+, 1 thread \(\d+ cores?\)/);
  assert.match(stdout, /\nsimd +(yes|no)\n/);
  assert.match(stdout, /\ntfjs +\d+\.\d+\.\d+\n/);
});
