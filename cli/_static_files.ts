/**
 * The files `serve` answers with, and nothing more: a URL path is mapped to
 * a file inside one folder only after it is decoded and checked, so `..`
 * (also percent-encoded), absolute paths, NUL bytes, backslashes and
 * symbolic links that lead out of the folder find no file.
 *
 * @module
 */
import { join, sep } from "node:path";

/** Content types of the files a page is made of. */
const CONTENT_TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  css: "text/css; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  wasm: "application/wasm",
  png: "image/png",
  json: "application/json",
  safetensors: "application/octet-stream",
};

/** The content type for `path`, by its extension. */
export function contentType(path: string): string {
  const extension = path.slice(path.lastIndexOf(".") + 1).toLowerCase();
  return CONTENT_TYPES[extension] ?? "application/octet-stream";
}

/**
 * The path relative to a folder that URL path `urlPath` names, or
 * undefined when it names none (an escape, a malformed escape, a NUL, a
 * backslash, an empty or dot segment). `/` and folder paths are not files
 * either.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { relativeFilePath } from "./_static_files.ts";
 * assert.equal(relativeFilePath("/main.js"), "main.js");
 * assert.equal(relativeFilePath("/%2e%2e/deno.json"), undefined);
 * ```
 */
export function relativeFilePath(urlPath: string): string | undefined {
  if (!urlPath.startsWith("/")) return undefined;
  const segments = urlPath.slice(1).split("/");
  const decoded: string[] = [];
  for (const segment of segments) {
    let text: string;
    try {
      text = decodeURIComponent(segment);
    } catch {
      return undefined;
    }
    if (
      text === "" || text === "." || text === ".." || text.includes("/") ||
      text.includes("\\") || text.includes("\0")
    ) {
      return undefined;
    }
    decoded.push(text);
  }
  return decoded.join("/");
}

/**
 * The real path of the regular file `relative` names inside `folder`, or
 * undefined when there is none or it lies outside the folder once links
 * are followed.
 */
export async function fileInside(
  folder: string,
  relative: string,
): Promise<string | undefined> {
  try {
    const root = await Deno.realPath(folder);
    const real = await Deno.realPath(join(root, relative));
    if (!real.startsWith(root + sep)) return undefined;
    return (await Deno.stat(real)).isFile ? real : undefined;
  } catch {
    return undefined;
  }
}
