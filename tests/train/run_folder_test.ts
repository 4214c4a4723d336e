/**
 * Run folders never lose work: a folder holding a checkpoint is opened only
 * to resume or overwrite it, one writer at a time holds its lock (a lock
 * whose holder died is taken over), and the EMA weights a run keeps are
 * handed back in memory, equal to what its checkpoint saves.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { initEngine } from "../../backends/engine.ts";
import { tf } from "../../backends/tf.ts";
import {
  loadRun,
  LOCK_FILE,
  RUN_FILES,
  RunFolder,
} from "../../train/run_folder.ts";
import { DivergenceError, train } from "../../train/trainer.ts";
import { loadCheckpoint } from "../../train/checkpoint.ts";
import {
  quiet,
  tinyImages,
  tinyModel,
  tinyOptions as options,
  withTempDir,
} from "./_tiny_model.ts";
import { PERMISSIONS } from "../cli/_run_cli.ts";

await initEngine({ threads: 2 });

const FIXTURE = fileURLToPath(
  new URL("../fixtures/hold_run_folder.ts", import.meta.url),
);
const data = tinyImages(40, 3);
function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** The PID of a process that has ended. */
async function deadPid(): Promise<number> {
  const child = new Deno.Command("true").spawn();
  await child.status;
  return child.pid;
}

function writeLock(dir: string, holder: Record<string, unknown>): void {
  Deno.writeTextFileSync(join(dir, LOCK_FILE), JSON.stringify(holder));
}

Deno.test("RunFolder.claim() refuses a folder that holds a checkpoint unless resuming or overwriting; the checkpoint stays as it was", async () => {
  await withTempDir(async (dir) => {
    const model = tinyModel();
    await train(model, data, options(), { out: dir, ...quiet });
    const checkpoint = join(dir, RUN_FILES.checkpoint);
    const before = await Deno.readFile(checkpoint);
    for (
      const claim of [
        () => RunFolder.claim(dir),
        () => train(model, data, options(), { out: dir, ...quiet }),
      ]
    ) {
      await assert.rejects(claim, (error: Error) => {
        assert.equal(
          error.message,
          `${dir} already holds a checkpoint: continue it with --resume or replace it with --overwrite`,
        );
        return true;
      });
    }
    assert.deepEqual(await Deno.readFile(checkpoint), before);
    assert.ok(!exists(join(dir, LOCK_FILE)), "a refused claim leaves no lock");
    for (const mode of [{ resume: true }, { overwrite: true }]) {
      const folder = await RunFolder.claim(dir, mode);
      assert.equal(folder.resume, mode.resume ?? false);
      await folder.release();
    }
    await train(model, data, options({ steps: 1 }), {
      out: dir,
      overwrite: true,
      ...quiet,
    });
    assert.equal((await loadCheckpoint(checkpoint)).step, 1);
    model.dispose();
  });
});

Deno.test("train() holds the run folder's lock while it trains and removes it at the end, after an error too", async () => {
  await withTempDir(async (dir) => {
    const model = tinyModel();
    const lock = join(dir, LOCK_FILE);
    let held: Record<string, unknown> | undefined;
    await train(model, data, options(), {
      out: dir,
      ...quiet,
      monitor: {
        every: 100,
        measure: async () => {
          held = JSON.parse(await Deno.readTextFile(lock));
          await assert.rejects(
            () => RunFolder.claim(dir, { overwrite: true }),
            new RegExp(
              `is in use: another train is writing into it \\(process ${Deno.pid}\\b`,
            ),
          );
          return {};
        },
      },
    });
    assert.equal(held?.pid, Deno.pid);
    assert.equal(held?.host, Deno.hostname());
    assert.ok(!Number.isNaN(Date.parse(held?.started as string)));
    assert.ok(!exists(lock), "lock removed after the run");
    const diverging = tinyModel({ nanFromStep: 1 });
    await assert.rejects(
      () =>
        train(diverging, data, options(), {
          out: dir,
          overwrite: true,
          ...quiet,
        }),
      DivergenceError,
    );
    assert.ok(!exists(lock), "lock removed after an error");
    model.dispose();
    diverging.dispose();
  });
});

Deno.test("RunFolder.claim() refuses a folder a live process holds, in one line naming it; once that process is SIGKILLed its lock is taken over", async () => {
  await withTempDir(async (dir) => {
    const holder = new Deno.Command(Deno.execPath(), {
      args: ["run", ...PERMISSIONS, FIXTURE, dir],
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    try {
      const reader = holder.stdout.pipeThrough(new TextDecoderStream())
        .getReader();
      let seen = "";
      while (!seen.includes("held")) {
        const { value, done } = await reader.read();
        if (done) break;
        seen += value;
      }
      await reader.cancel();
      assert.match(seen, /held/);
      await assert.rejects(
        () => RunFolder.claim(dir, { overwrite: true }),
        (error: Error) => {
          assert.ok(!error.message.includes("\n"));
          assert.match(
            error.message,
            new RegExp(
              `^${dir} is in use: another train is writing into it \\(process ${holder.pid} on \\S+, since \\S+\\); wait for it to end or stop it$`,
            ),
          );
          return true;
        },
      );
    } finally {
      holder.kill("SIGKILL");
      await holder.status;
    }
    // The SIGKILLed holder left its lock file behind, naming it.
    const stale = JSON.parse(await Deno.readTextFile(join(dir, LOCK_FILE)));
    assert.equal(stale.pid, holder.pid);
    const folder = await RunFolder.claim(dir);
    assert.equal(
      JSON.parse(await Deno.readTextFile(join(dir, LOCK_FILE))).pid,
      Deno.pid,
    );
    await folder.release();
    assert.ok(!exists(join(dir, LOCK_FILE)));
  });
});

Deno.test("RunFolder.claim() takes over a lock file whose process is dead, and refuses a second claim in the same process", async () => {
  await withTempDir(async (dir) => {
    writeLock(dir, {
      pid: await deadPid(),
      host: Deno.hostname(),
      started: "2020-01-01T00:00:00.000Z",
    });
    const folder = await RunFolder.claim(dir);
    assert.equal(
      JSON.parse(await Deno.readTextFile(join(dir, LOCK_FILE))).pid,
      Deno.pid,
    );
    await assert.rejects(() => RunFolder.claim(dir), /is in use/);
    await folder.release();
    await folder.release();
    assert.ok(!exists(join(dir, LOCK_FILE)));
  });
});

Deno.test("RunFolder.claim() makes a missing folder and its parents; released with nothing written, they are gone again", async () => {
  await withTempDir(async (dir) => {
    const fresh = join(dir, "runs", "fresh");
    const unused = await RunFolder.claim(fresh);
    assert.ok(exists(join(fresh, LOCK_FILE)));
    await unused.release();
    assert.ok(!exists(join(dir, "runs")), "unused new folders are removed");
    assert.ok(exists(dir), "the folder that was there stays");
    const used = await RunFolder.claim(fresh);
    await Deno.writeTextFile(used.file("metrics"), "{}\n");
    await used.release();
    assert.deepEqual([...Deno.readDirSync(fresh)].map((e) => e.name), [
      RUN_FILES.metrics,
    ]);
    const empty = join(dir, "empty");
    await Deno.mkdir(empty);
    const kept = await RunFolder.claim(empty);
    await kept.release();
    assert.ok(exists(empty), "an empty folder that was there stays");
  });
});

Deno.test("without file locks (the Node executable's Deno shim), a lock whose PID runs is refused and one whose PID is dead is taken over", async () => {
  const proto = Deno.FsFile.prototype as unknown as Record<string, unknown>;
  const tryLock = Object.getOwnPropertyDescriptor(proto, "tryLock")!;
  Object.defineProperty(proto, "tryLock", {
    value: undefined,
    configurable: true,
    writable: true,
  });
  try {
    await withTempDir(async (dir) => {
      const host = Deno.hostname(), started = "2020-01-01T00:00:00.000Z";
      for (
        const holder of [{ pid: Deno.pid, host, started }, {
          pid: await deadPid(),
          host: "elsewhere",
          started,
        }]
      ) {
        writeLock(dir, holder);
        await assert.rejects(
          () => RunFolder.claim(dir),
          new RegExp(
            `in use: another train is writing into it \\(process ${holder.pid} on ${holder.host}, since ${started}\\)`,
          ),
        );
      }
      writeLock(dir, { pid: await deadPid(), host, started });
      const folder = await RunFolder.claim(dir);
      assert.equal(
        JSON.parse(await Deno.readTextFile(join(dir, LOCK_FILE))).pid,
        Deno.pid,
      );
      await assert.rejects(() => RunFolder.claim(dir), /in use/);
      await folder.release();
      assert.ok(!exists(join(dir, LOCK_FILE)));
    });
  } finally {
    Object.defineProperty(proto, "tryLock", tryLock);
  }
});

Deno.test("train() with keepAverage hands back the EMA weights in memory: the checkpoint's ema.* tensors, and the numbers of the model loadRun rebuilds", async () => {
  await withTempDir(async (dir) => {
    const model = tinyModel();
    const result = await train(model, data, options({ emaDecay: 0.9 }), {
      out: dir,
      keepAverage: true,
      ...quiet,
    });
    const average = result.average;
    assert.ok(average, "the averages come back");
    try {
      const saved = await loadCheckpoint(result.checkpoint);
      type Tiny = ReturnType<typeof tinyModel>;
      const weightsOf = (m: Tiny) =>
        new Map([...m.weights].map(([name, w]) => [name, [...w.dataSync()]]));
      // What an evaluation sees: pictures the weights draw from fixed noise.
      const picture = (m: Tiny) =>
        tf.tidy(() => [...m.generate!(4, 11).dataSync()]);
      const [inMemory, drawn] = average.withAverages(
        () => [weightsOf(model), picture(model)] as const,
      );
      for (const [name, values] of inMemory) {
        const stored = (prefix: string) => [
          ...saved.tensors.get(`${prefix}${name}`)!.data,
        ];
        assert.deepEqual(values, stored("ema."), name);
        // The raw weights differ, so the equality above picks the averages.
        assert.notDeepEqual(
          values,
          stored("model."),
          `${name}: not the weights`,
        );
      }
      const reloaded = await loadRun(dir, () => tinyModel({ seed: 7 }));
      assert.ok(reloaded.averaged);
      assert.deepEqual(weightsOf(reloaded.model), inMemory);
      assert.deepEqual(picture(reloaded.model), drawn);
      // Raw weights draw another picture (no value to expect): the equality
      // above is the averages' picture.
      assert.notDeepEqual(picture(model), drawn, "the weights draw others");
      reloaded.model.dispose();
      // The trained weights are back in place after the in-memory evaluation.
      for (const [name, values] of weightsOf(model)) {
        assert.deepEqual(values, [
          ...saved.tensors.get(`model.${name}`)!.data,
        ], name);
      }
    } finally {
      average.dispose();
    }
    const unkept = await train(model, data, options({ emaDecay: 0.9 }), {
      out: dir,
      overwrite: true,
      ...quiet,
    });
    assert.equal(unkept.average, undefined);
    model.dispose();
  });
});
