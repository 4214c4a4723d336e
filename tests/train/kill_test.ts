/**
 * No lost work: a trainer killed with SIGKILL at arbitrary moments (most
 * land inside a checkpoint write, since it writes one every step) always
 * leaves a checkpoint that loads, and --resume finishes the run, taking
 * over the lock the killed trainer left.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { loadCheckpoint } from "../../train/checkpoint.ts";
import { LOCK_FILE, RUN_FILES } from "../../train/run_folder.ts";
import { Rng } from "../_helpers.ts";

const CONFIG = fileURLToPath(new URL("../../deno.json", import.meta.url));
const FIXTURE = fileURLToPath(
  new URL("../fixtures/train_tiny.ts", import.meta.url),
);

function start(
  out: string,
  mode: "fresh" | "resume",
  steps: number,
  output: "piped" | "null" = "piped",
) {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--config",
      CONFIG,
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "--allow-sys",
      FIXTURE,
      out,
      mode,
      String(steps),
    ],
    stdout: output,
    stderr: output,
  }).spawn();
}

/**
 * Waits until the child printed a line matching `pattern` (or ended);
 * returns the reader so the caller can cancel the rest of the output.
 */
async function waitFor(
  child: Deno.ChildProcess,
  pattern: RegExp,
): Promise<ReadableStreamDefaultReader<string>> {
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  while (!pattern.test(seen)) {
    const { value, done } = await reader.read();
    if (done) break;
    seen += value;
  }
  return reader;
}

Deno.test("SIGKILL during training never leaves a broken checkpoint; --resume finishes the run", async () => {
  const out = await Deno.makeTempDir({ prefix: "genwasm-kill-" });
  const rng = new Rng(17);
  const path = join(out, RUN_FILES.checkpoint);
  try {
    let lastStep = 0;
    for (let round = 0; round < 4; round++) {
      const child = start(out, round === 0 ? "fresh" : "resume", 100000);
      // Let it take a step or two, then kill it at a random moment.
      const output = await waitFor(child, /step\s+\d+/);
      await new Promise((resolve) => setTimeout(resolve, rng.int(0, 120)));
      child.kill("SIGKILL");
      await child.status;
      await Promise.all([output.cancel(), child.stderr.cancel()]);
      const saved = await loadCheckpoint(path);
      assert.ok(
        saved.step >= lastStep,
        `round ${round}: step went back from ${lastStep} to ${saved.step}`,
      );
      lastStep = saved.step;
      // The killed trainer's lock stays behind; the next round takes it over.
      const lock = JSON.parse(await Deno.readTextFile(join(out, LOCK_FILE)));
      assert.equal(lock.pid, child.pid, `round ${round}: lock of ${lock.pid}`);
      const leftovers = [...Deno.readDirSync(out)].filter((e) =>
        e.name.includes(".tmp-")
      );
      // A temporary from the killed write may remain; it never replaces the checkpoint.
      assert.ok(
        leftovers.length <= round + 1,
        `temporaries: ${leftovers.map((e) => e.name)}`,
      );
    }
    const finish = start(out, "resume", lastStep + 3, "null");
    assert.equal((await finish.status).code, 0);
    assert.equal((await loadCheckpoint(path)).step, lastStep + 3);
    assert.ok(
      ![...Deno.readDirSync(out)].some((e) => e.name === LOCK_FILE),
      "the finished run removed its lock",
    );
    console.log(
      `SIGKILL: 4 kills survived, the checkpoint loaded after each (last at step ${lastStep}), --resume finished, 0 steps of saved work lost`,
    );
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
