/**
 * Gives the bundled program the globals it expects from Deno when it runs in
 * the Node single-executable: `Deno` (from `@deno/shim-deno`, with the few
 * methods and errors it lacks filled in) and `navigator`.
 *
 * Imported first by `entry.ts`, so it runs before any project module.
 *
 * @module
 */
import { Deno as shim } from "@deno/shim-deno";
import { fsync, fsyncSync } from "node:fs";
import { availableParallelism } from "node:os";
import { promisify } from "node:util";

type FileWithRid = { rid: number };

// The shim throws "Method not implemented" for FsFile.sync, which
// data/atomic_write.ts needs to make checkpoints durable.
const fsyncAsync = promisify(fsync);
Object.assign(shim.FsFile.prototype, {
  sync(this: FileWithRid): Promise<void> {
    return fsyncAsync(this.rid);
  },
  syncSync(this: FileWithRid): void {
    fsyncSync(this.rid);
  },
});

// Deno 2 reports refused permissions as Deno.errors.NotCapable, which the
// shim (written for Deno 1) lacks; the CLI tests `instanceof` against it.
const errors = shim.errors as Record<string, unknown>;
errors.NotCapable ??= class NotCapable extends Error {
  override name = "NotCapable";
};

const global = globalThis as Record<string, unknown>;
global.Deno = shim;
// Node 20 has no `navigator`; the engine reads the core count from it.
if (global.navigator === undefined) {
  global.navigator = { hardwareConcurrency: availableParallelism() };
}
