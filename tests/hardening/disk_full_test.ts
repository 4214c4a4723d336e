/**
 * A full disk during a checkpoint write: on a small tmpfs filled to the
 * last page, the trainer's next checkpoint cannot be written; the run stops
 * with an error that names the file and says the previous checkpoint is
 * intact, which it is (it loads, at its step), and no temporary file is
 * left behind. Needs to mount a tmpfs (CI runs as root); where a probe
 * mount is refused the test is ignored and the file prints why.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { initEngine } from "../../backends/engine.ts";
import { loadCheckpoint } from "../../train/checkpoint.ts";
import {
  RUN_FILES,
  train,
  TRAINING_DEFAULTS,
  type TrainingOptions,
} from "../../train/trainer.ts";
import { tinyImages, tinyModel } from "../train/_tiny_model.ts";

/**
 * Why a tmpfs cannot be mounted here, found by mounting (and unmounting) a
 * tiny one in a temporary folder; undefined when it can. Having `mount` is
 * not enough: without root, or in a container without CAP_SYS_ADMIN, the
 * mount itself is refused.
 */
function mountRefusal(): string | undefined {
  const probe = Deno.makeTempDirSync({ prefix: "genwasm_mount_probe_" });
  const attempt = (command: string, args: string[]): string | undefined => {
    try {
      const { success, code, stderr } = new Deno.Command(command, {
        args,
        stdout: "null",
        stderr: "piped",
      }).outputSync();
      if (success) return undefined;
      const said = new TextDecoder().decode(stderr).replace(/\s+/g, " ").trim();
      return `${command} failed: ${said || `exit ${code}`}`;
    } catch (error) {
      return `cannot run ${command}: ${(error as Error).message}`;
    }
  };
  const refusal =
    attempt("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", probe]) ??
      attempt("umount", [probe]);
  try {
    Deno.removeSync(probe);
  } catch { /* still mounted after a failed umount: leave it */ }
  return refusal;
}

const refusal = mountRefusal();
if (refusal) {
  console.log(
    `disk_full_test: ignored, a tmpfs cannot be mounted (${refusal})`,
  );
}

async function run(command: string, args: string[]): Promise<void> {
  const { success, stderr } = await new Deno.Command(command, {
    args,
    stderr: "piped",
  }).output();
  if (!success) {
    throw new Error(
      `${command} ${args.join(" ")}: ${new TextDecoder().decode(stderr)}`,
    );
  }
}

/** Writes zeros to `path` until the filesystem refuses; returns bytes written. */
async function fillUp(path: string): Promise<number> {
  const file = await Deno.open(path, { write: true, create: true });
  const chunk = new Uint8Array(4096);
  let written = 0;
  try {
    for (;;) written += await file.write(chunk);
  } catch (error) {
    assert.ok(String(error).match(/No space left|ENOSPC/), String(error));
  } finally {
    file.close();
  }
  return written;
}

Deno.test({
  name:
    "disk full during a checkpoint write: clear error, previous checkpoint intact, no data lost",
  ignore: refusal !== undefined,
  permissions: { read: true, write: true, run: true, env: true, sys: true },
  async fn() {
    await initEngine({ threads: 2 });
    const mountPoint = await Deno.makeTempDir({ prefix: "genwasm_full_" });
    await run("mount", ["-t", "tmpfs", "-o", "size=512k", "tmpfs", mountPoint]);
    try {
      const options: TrainingOptions = {
        ...TRAINING_DEFAULTS,
        steps: 6,
        batchSize: 8,
        learningRate: 0.05,
        logEvery: 1,
        checkpointEvery: 1,
        sampleEvery: 0,
      };
      const quiet = { write: () => {}, interactive: false };
      const data = tinyImages(40, 3);
      const model = tinyModel();
      const path = join(mountPoint, RUN_FILES.checkpoint);
      let saved: Uint8Array | undefined;
      let failures = 0;
      await assert.rejects(
        () =>
          train(model, data, options, {
            out: mountPoint,
            ...quiet,
            // After step 3's checkpoint, the disk fills up.
            monitor: {
              every: 3,
              measure: async (step) => {
                if (step === 3) {
                  saved = await Deno.readFile(path);
                  assert.ok(await fillUp(join(mountPoint, "filler")) > 0);
                }
                return {};
              },
            },
          }),
        (error: Error) => {
          failures++;
          assert.match(
            error.message,
            /could not write .*checkpoint\.safetensors: No space left.*the previous file, if any, is intact/,
          );
          assert.ok(!error.message.includes("\n"));
          return true;
        },
      );
      model.dispose();
      assert.deepEqual(
        await Deno.readFile(path),
        saved,
        "the previous checkpoint is untouched",
      );
      assert.equal((await loadCheckpoint(path)).step, 3);
      const leftovers = [...Deno.readDirSync(mountPoint)].map((e) => e.name)
        .filter((name) => name.includes(".tmp-"));
      assert.deepEqual(leftovers, [], "no temporary file left behind");
      console.log(
        `disk full: ${failures} checkpoint write refused by the filesystem, previous checkpoint intact (step 3), 0 temporary files left, 0 bytes of saved work lost`,
      );
    } finally {
      await run("umount", [mountPoint]);
      await Deno.remove(mountPoint, { recursive: true });
    }
  },
});
