/**
 * Run folders: what `train --out` writes and `sample`, `eval` and `encode
 * --run` read. This module opens them, for writing ({@link RunFolder.claim})
 * and for reading ({@link loadRun}), and names their files.
 *
 * Writing never loses work: a folder that holds a checkpoint is opened only
 * to resume it or, when asked, to overwrite it; and one writer at a time
 * holds its {@link LOCK_FILE}, which names the writer (PID, host, start
 * time). Under Deno that file carries an OS lock (flock) that the kernel
 * drops when its holder dies, SIGKILL included, so a lock file nobody holds
 * is stale and is taken over. The Node single executable (build/), whose
 * Deno shim has no file locks, takes over a lock file whose process no
 * longer runs on this host instead.
 *
 * @module
 */
import { dirname, join } from "node:path";
import {
  type CheckpointContents,
  loadCheckpoint,
  type LoadedRun,
  restoreModel,
} from "./checkpoint.ts";

export type { LoadedRun } from "./checkpoint.ts";
import type { TrainableModel } from "@genwasm/models/contract";

/** File names inside a run folder. */
export const RUN_FILES = {
  checkpoint: "checkpoint.safetensors",
  metrics: "metrics.jsonl",
  samples: "samples.png",
  lossPlot: "loss.png",
  evalPlot: "eval.png",
} as const;

/** The writer's lock file, present while a run trains into the folder. */
export const LOCK_FILE = "train.lock";

/** Who holds a run folder's lock, as its lock file says. */
export interface LockHolder {
  pid: number;
  /** The holder's host name, when it may read it. */
  host?: string;
  /** When it took the lock (ISO 8601). */
  started: string;
}

/** How {@link RunFolder.claim} may treat a folder that holds a checkpoint. */
export interface ClaimOptions {
  /** The run continues the checkpoint there. */
  resume?: boolean;
  /** The run starts again, replacing the checkpoint there. */
  overwrite?: boolean;
}

/** How often a claim retries when the lock file it locked was just removed. */
const CLAIM_ATTEMPTS = 5;

/** A run folder opened for writing: the lock is held until {@link release}. */
export class RunFolder {
  /** The checkpoint's path. */
  readonly checkpoint: string;
  #lock: Deno.FsFile | undefined;
  #held = true;
  #made: string[];

  private constructor(
    /** The folder. */
    readonly dir: string,
    /** Whether the run continues the checkpoint there. */
    readonly resume: boolean,
    made: string[],
    lock: Deno.FsFile | undefined,
  ) {
    this.checkpoint = join(dir, RUN_FILES.checkpoint);
    this.#made = made;
    this.#lock = lock;
  }

  /**
   * Opens `dir` (created if missing) for one training run.
   *
   * @throws Error (one line) when another live process trains into it, or
   * when it holds a checkpoint and neither `resume` nor `overwrite` is set.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { RunFolder } from "./run_folder.ts";
   * const dir = await Deno.makeTempDir();
   * const folder = await RunFolder.claim(dir, { resume: true });
   * try {
   *   // ... train into dir; a second claim meanwhile is refused:
   *   await assert.rejects(RunFolder.claim(dir), /is in use/);
   * } finally {
   *   await folder.release();
   *   await Deno.remove(dir, { recursive: true });
   * }
   * ```
   */
  static async claim(
    dir: string,
    { resume = false, overwrite = false }: ClaimOptions = {},
  ): Promise<RunFolder> {
    const made = await makeFolder(dir);
    let lock;
    try {
      lock = await takeLock(dir);
    } catch (error) {
      await removeIfEmpty(made);
      throw error;
    }
    const folder = new RunFolder(dir, resume, made, lock);
    try {
      if (!resume && !overwrite && await holdsCheckpoint(dir)) {
        throw new Error(
          `${dir} already holds a checkpoint: continue it with --resume or replace it with --overwrite`,
        );
      }
    } catch (error) {
      await folder.release();
      throw error;
    }
    return folder;
  }

  /** The path of one of the run's files. */
  file(name: keyof typeof RUN_FILES): string {
    return join(this.dir, RUN_FILES[name]);
  }

  /**
   * Removes the lock file and lets go of the lock, and the folders the
   * claim made when nothing was written there; later calls do nothing.
   */
  async release(): Promise<void> {
    if (!this.#held) return;
    this.#held = false;
    try {
      // Removed before it is unlocked: a claim that locks the old file
      // after this sees it gone and tries again.
      await Deno.remove(join(this.dir, LOCK_FILE));
    } catch { /* gone already; a lock file left behind is stale */ }
    this.#lock?.close();
    await removeIfEmpty(this.#made);
  }
}

/** Makes `dir` and its missing parents; returns those it made, deepest first. */
async function makeFolder(dir: string): Promise<string[]> {
  try {
    await Deno.mkdir(dir);
    return [dir];
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists) return [];
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  const parent = dirname(dir);
  const parents = parent === dir ? [] : await makeFolder(parent);
  try {
    await Deno.mkdir(dir);
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists) return parents;
    throw error;
  }
  return [dir, ...parents];
}

/**
 * Removes the folders `made` (deepest first) while they are empty: a
 * command that wrote nothing leaves no empty run folder behind.
 */
async function removeIfEmpty(made: string[]): Promise<void> {
  for (const dir of made) {
    try {
      await Deno.remove(dir);
    } catch {
      return; // not empty, or gone
    }
  }
}

/** Whether `dir` holds a checkpoint. */
async function holdsCheckpoint(dir: string): Promise<boolean> {
  try {
    await Deno.stat(join(dir, RUN_FILES.checkpoint));
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/**
 * Takes `dir`'s lock and writes this process into its lock file; returns
 * the locked file (undefined where the runtime has no file locks).
 */
async function takeLock(dir: string): Promise<Deno.FsFile | undefined> {
  const path = join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++) {
    const file = await Deno.open(path, {
      read: true,
      write: true,
      create: true,
    });
    let locked = false;
    try {
      if (typeof file.tryLock !== "function") {
        await takeLockByPid(dir, path);
        return undefined;
      }
      if (!(await file.tryLock(true))) {
        throw inUse(dir, await readHolder(path));
      }
      // The holder before may have removed the file while this opened it.
      if (!(await isSameFile(file, path))) continue;
      await file.truncate(0);
      await file.write(new TextEncoder().encode(JSON.stringify(thisHolder())));
      locked = true;
      return file;
    } finally {
      if (!locked) file.close();
    }
  }
  throw inUse(dir, undefined);
}

/** The Node executable's lock: the PID in the file, probed with signal 0. */
async function takeLockByPid(dir: string, path: string): Promise<void> {
  const holder = await readHolder(path);
  if (holder && (holder.host !== hostName() || processRuns(holder.pid))) {
    throw inUse(dir, holder);
  }
  await Deno.writeTextFile(path, JSON.stringify(thisHolder()));
}

/** Whether process `pid` runs on this host (signal 0 probes, sends nothing). */
function processRuns(pid: number): boolean {
  try {
    Deno.kill(pid, 0 as unknown as Deno.Signal);
    return true;
  } catch (error) {
    return !(error instanceof Deno.errors.NotFound ||
      (error as { code?: string }).code === "ESRCH");
  }
}

/** Whether the open `file` is still the one at `path`. */
async function isSameFile(file: Deno.FsFile, path: string): Promise<boolean> {
  try {
    const [opened, named] = await Promise.all([file.stat(), Deno.stat(path)]);
    return opened.ino === named.ino && opened.dev === named.dev;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

function thisHolder(): LockHolder {
  const host = hostName();
  return {
    pid: Deno.pid,
    ...(host !== undefined ? { host } : {}),
    started: new Date().toISOString(),
  };
}

/** The host name, when the permissions grant it (no prompt otherwise). */
function hostName(): string | undefined {
  try {
    const granted = Deno.permissions.querySync({
      name: "sys",
      kind: "hostname",
    }).state === "granted";
    return granted ? Deno.hostname() : undefined;
  } catch {
    return undefined;
  }
}

/** What a lock file says, or undefined when it is empty or unreadable. */
async function readHolder(path: string): Promise<LockHolder | undefined> {
  try {
    const holder = JSON.parse(await Deno.readTextFile(path));
    return Number.isSafeInteger(holder?.pid) ? holder : undefined;
  } catch {
    return undefined;
  }
}

function inUse(dir: string, holder: LockHolder | undefined): Error {
  const who = holder
    ? ` (process ${holder.pid}${holder.host ? ` on ${holder.host}` : ""}${
      holder.started ? `, since ${holder.started}` : ""
    })`
    : "";
  return new Error(
    `${dir} is in use: another train is writing into it${who}; wait for it to end or stop it`,
  );
}

/**
 * Loads `dir`'s checkpoint into the model `build` makes from its preset
 * and config: the EMA weights when the run kept them (unless `useAverage`
 * is false), else the trained weights, and the buffers.
 *
 * @example
 * ```ts ignore
 * // Not run as a doc test: it needs a trained run folder.
 * const run = await loadRun("runs/vae", (preset, config) => familyOf(preset).create(preset, config, 0));
 * ```
 */
export async function loadRun<M extends TrainableModel>(
  dir: string,
  build: (preset: string, config: CheckpointContents["config"]) => M,
  options: { useAverage?: boolean } = {},
): Promise<LoadedRun<M>> {
  const path = join(dir, RUN_FILES.checkpoint);
  return restoreModel(await loadCheckpoint(path), build, options, path);
}
