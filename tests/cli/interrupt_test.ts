/**
 * Ctrl-C during `train`: the step in flight finishes, a checkpoint is
 * written (although the next scheduled one is far off), the process exits
 * 130 with one line saying where, and --resume continues from there.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadCheckpoint } from "../../train/checkpoint.ts";
import { ROOT } from "./_run_cli.ts";
import { runCli } from "./_run_cli.ts";

Deno.test("SIGINT stops train after the step, saves a checkpoint, exits 130; --resume goes on", async () => {
  const out = await Deno.makeTempDir({ prefix: "genwasm_sigint_" });
  try {
    const args = [
      "run",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "--allow-sys",
      "cli/main.ts",
      "train",
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
    ];
    const child = new Deno.Command(Deno.execPath(), {
      args,
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
    while (!/step\s+3\//.test(seen)) {
      const { value, done } = await reader.read();
      if (done) break;
      seen += value;
    }
    child.kill("SIGINT");
    while (!(await reader.read()).done) { /* drain */ }
    const status = await child.status;
    clearTimeout(watchdog);
    const message = (await stderr).trim();
    assert.equal(status.code, 130, message);
    const match = message.match(/interrupted at step (\d+); saved .*--resume/);
    assert.ok(match, message);
    const step = Number(match[1]);
    assert.ok(step >= 3, message);
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
