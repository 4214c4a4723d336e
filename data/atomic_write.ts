/**
 * Atomic file writes: the bytes go to a temporary file beside the target,
 * are flushed to disk, and the temporary file is renamed over the target.
 * A crash (even SIGKILL) or a full disk at any moment leaves either the old
 * file or the new one, never a mix; a failed write removes its temporary.
 *
 * @module
 */
import { dirname } from "node:path";

/**
 * Writes `bytes` to `path` atomically.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { writeFileAtomic } from "./atomic_write.ts";
 * const path = await Deno.makeTempFile();
 * await writeFileAtomic(path, new TextEncoder().encode("hi"));
 * assert.equal(await Deno.readTextFile(path), "hi");
 * await Deno.remove(path);
 * ```
 */
export async function writeFileAtomic(
  path: string,
  bytes: Uint8Array,
): Promise<void> {
  const temporary = `${path}.tmp-${Deno.pid}-${
    crypto.randomUUID().slice(0, 8)
  }`;
  try {
    const file = await Deno.open(temporary, { write: true, createNew: true });
    try {
      let written = 0;
      while (written < bytes.length) {
        written += await file.write(bytes.subarray(written));
      }
      await file.sync();
    } finally {
      file.close();
    }
    await Deno.rename(temporary, path);
  } catch (error) {
    await Deno.remove(temporary).catch(() => {});
    // A refused permission, not a failed write: name the target itself.
    if (error instanceof Deno.errors.NotCapable) {
      throw new Deno.errors.NotCapable(`Requires write access to "${path}"`);
    }
    const why = error instanceof Error ? error.message : String(error);
    throw new Error(
      `could not write ${path}: ${why}; the previous file, if any, is intact`,
    );
  }
  // Persist the rename itself (the directory entry).
  try {
    const directory = await Deno.open(dirname(path), { read: true });
    try {
      await directory.sync();
    } finally {
      directory.close();
    }
  } catch { /* some filesystems cannot sync a directory; the rename stands */ }
}
