/**
 * Ctrl-C during `train`: the step in flight finishes, a checkpoint is
 * written (although the next scheduled one is far off), the process exits
 * 130 with one line saying where, and --resume continues from there. A
 * Ctrl-C after the last step skips the final evaluation the same way.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadCheckpoint } from "../../train/checkpoint.ts";
import { ROOT } from "./_run_cli.ts";
import { runCli } from "./_run_cli.ts";

/**
 * Runs `train` with `args`, sends SIGINT once stdout matches `when`, and
 * hands back the exit code and stderr.
 */
async function interruptTrain(
  args: string[],
  when: RegExp,
): Promise<{ code: number; stderr: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "--allow-sys",
      "cli/main.ts",
      "train",
      ...args,
    ],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  // A child that never prints its steps must fail the test, not hang it.
  const watchdog = setTimeout(() => child.kill("SIGKILL"), 180_000);
  const reader = child.stdout.pipeThrough(new TextDecoderStream())
    .getReader();
  let seen = "";
  while (!when.test(seen)) {
    const { value, done } = await reader.read();
    if (done) break;
    seen += value;
  }
  child.kill("SIGINT");
  while (!(await reader.read()).done) { /* drain */ }
  const status = await child.status;
  clearTimeout(watchdog);
  return { code: status.code, stderr: (await stderr).trim() };
}

Deno.test("SIGINT stops train after the step, saves a checkpoint, exits 130; --resume goes on", async () => {
  const out = await Deno.makeTempDir({ prefix: "genwasm_sigint_" });
  try {
    const { code, stderr } = await interruptTrain([
      "--model",
      "vae-small",
      "--log-every",
      "1",
      "--checkpoint-every",
      "100000",
      "--sample-every",
      "0",
      "--steps",
      "100000",
      "--out",
      out,
    ], /step\s+3\//);
    assert.equal(code, 130, stderr);
    const match = stderr.match(/interrupted at step (\d+); saved .*--resume/);
    assert.ok(match, stderr);
    const step = Number(match[1]);
    assert.ok(step >= 3, stderr);
    const saved = await loadCheckpoint(join(out, "checkpoint.safetensors"));
    assert.equal(saved.step, step);

    const resumed = await runCli([
      "train",
      "--model",
      "vae-small",
      "--steps",
      String(step + 2),
      "--out",
      out,
      "--resume",
    ]);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.equal(
      (await loadCheckpoint(join(out, "checkpoint.safetensors"))).step,
      step + 2,
    );
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("SIGINT after the last step skips the final evaluation and exits 130", async () => {
  const out = await Deno.makeTempDir({ prefix: "genwasm_sigint_end_" });
  try {
    // The last step's checkpoint, samples and monitor (bits/dim of 1000 test
    // images) take long enough for the signal to arrive during them.
    const { code, stderr } = await interruptTrain([
      "--model",
      "flow-small",
      "--log-every",
      "1",
      "--steps",
      "2",
      "--eval-every",
      "2",
      "--out",
      out,
    ], /step\s+2\/2/);
    assert.equal(code, 130, stderr);
    assert.match(
      stderr,
      /interrupted at step 2; saved .* \(final evaluation skipped; run deno task eval --run /,
    );
    assert.doesNotMatch(stderr, /\btest\b.*bits_per_dim/);
    assert.equal(
      (await loadCheckpoint(join(out, "checkpoint.safetensors"))).step,
      2,
    );
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
