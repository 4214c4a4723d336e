/**
 * The layering of the repository as a table, and the check that reads the
 * import statements of every .ts file and reports each import of a folder
 * its folder may not use, by path or by workspace member name (Deno
 * resolves every member by name from anywhere in the workspace, so the
 * order needs a check of its own), and each member that reaches another
 * by a relative path.
 *
 * @module
 */
import { dirname, join, relative, resolve, sep } from "node:path";

/** Folder -> the other folders its files may import (their own is implied). */
export type Layers = Readonly<Record<string, readonly string[]>>;

/**
 * The declared order, lowest first: backends < data < eval < models <
 * train < cli. The web page's browser code (page) sits beside the CLI; the
 * tools on top (build, then bench, which measures what build makes) and the
 * tests may use the library below them.
 */
export const LAYERS: Layers = {
  backends: [],
  data: ["backends"],
  eval: ["backends", "data"],
  models: ["backends", "data", "eval"],
  train: ["backends", "data", "eval", "models"],
  cli: ["backends", "data", "eval", "models", "train"],
  page: ["backends", "data", "eval", "models", "train"],
  bench: [
    "backends",
    "data",
    "eval",
    "models",
    "train",
    "cli",
    "page",
    "build",
  ],
  build: ["backends", "data", "eval", "models", "train", "cli", "page"],
  tests: [
    "backends",
    "data",
    "eval",
    "models",
    "train",
    "cli",
    "page",
    "bench",
    "build",
  ],
};

/** One import a file's folder may not use, or may not write that way. */
export interface Violation {
  /** The importing file, relative to the root. */
  file: string;
  /** The specifier as written. */
  specifier: string;
  /** The importing file's folder and the imported one. */
  from: string;
  to: string;
  /**
   * "upward": `from` may not import `to` at all; "relative": a workspace
   * member reaches another member by a relative path, not by its name.
   */
  reason: "upward" | "relative";
}

/**
 * The workspace members of the root deno.json: package name -> folder
 * (each member's deno.json names it).
 */
export function workspaceMembers(root: string): Record<string, string> {
  const config = JSON.parse(Deno.readTextFileSync(join(root, "deno.json")));
  const members: Record<string, string> = {};
  for (const entry of (config.workspace ?? []) as string[]) {
    const folder = entry.replace(/^\.\//, "").replace(/\/$/, "");
    const member = JSON.parse(
      Deno.readTextFileSync(join(root, folder, "deno.json")),
    );
    members[member.name] = folder;
  }
  return members;
}

/** The member folder a bare specifier names (`@scope/name` or `@scope/name/sub`), if any. */
function memberFolder(
  specifier: string,
  members: Record<string, string>,
): string | undefined {
  const name = specifier.split("/").slice(0, 2).join("/");
  return members[name];
}

/**
 * The specifiers of a module's static imports and re-exports (`import ...
 * from`, `export ... from`, `import "x"`) and dynamic `import("x")` calls.
 * Statements must start their line; lines of comments (JSDoc examples
 * included) are skipped.
 */
export function importSpecifiers(source: string): string[] {
  const code = source.split("\n").filter((line) =>
    !/^\s*(\*|\/\/|\/\*)/.test(line)
  ).join("\n");
  const specifiers: string[] = [];
  const patterns = [
    /^\s*(?:import|export)\b[^;]*?\bfrom\s*["']([^"']+)["']/gm,
    /^\s*import\s*["']([^"']+)["']/gm,
    /\bimport\s*\(\s*["']([^"']+)["']\s*\)/g,
  ];
  for (const pattern of patterns) {
    for (const match of code.matchAll(pattern)) specifiers.push(match[1]);
  }
  return specifiers;
}

/** Every .ts file under `folder`, recursively (node_modules skipped). */
function* typescriptFiles(folder: string): Generator<string> {
  for (const entry of Deno.readDirSync(folder)) {
    const path = join(folder, entry.name);
    if (entry.isDirectory && entry.name !== "node_modules") {
      yield* typescriptFiles(path);
    } else if (entry.isFile && entry.name.endsWith(".ts")) {
      yield path;
    }
  }
}

/**
 * The top-level folders of `root` that hold .ts files, less hidden ones and
 * those its .gitignore names (node_modules/, runs/, scratch/, ...).
 */
export function sourceFolders(root: string): string[] {
  let ignored: string[] = [];
  try {
    ignored = Deno.readTextFileSync(join(root, ".gitignore")).split("\n")
      .map((line) => line.trim().replace(/^\//, "").replace(/\/$/, ""));
  } catch { /* no .gitignore */ }
  return [...Deno.readDirSync(root)]
    .filter((entry) =>
      entry.isDirectory && !entry.name.startsWith(".") &&
      !ignored.includes(entry.name) &&
      !typescriptFiles(join(root, entry.name)).next().done
    )
    .map((entry) => entry.name)
    .sort();
}

/**
 * Every import in the folders of `layers` under `root` that reaches a
 * folder its own may not import (a folder missing from the table may
 * import nothing, and nothing may import the root's own files), whether by
 * a relative path or by a workspace member's name (`members`: name ->
 * folder); and every relative import from one member into another (members
 * reach each other by name, as Deno resolves them).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { importViolations, LAYERS, workspaceMembers } from "./_layers.ts";
 * // [] when the layering holds (run from the repository's root)
 * assert.deepEqual(importViolations(".", LAYERS, workspaceMembers(".")), []);
 * ```
 */
export function importViolations(
  root: string,
  layers: Layers,
  members: Record<string, string> = {},
): Violation[] {
  const violations: Violation[] = [];
  const memberFolders = new Set(Object.values(members));
  for (const from of Object.keys(layers)) {
    const folder = join(root, from);
    try {
      Deno.statSync(folder);
    } catch {
      continue;
    }
    for (const path of typescriptFiles(folder)) {
      const file = relative(root, path);
      for (const specifier of importSpecifiers(Deno.readTextFileSync(path))) {
        let to: string;
        if (specifier.startsWith(".")) {
          const target = relative(
            resolve(root),
            resolve(dirname(path), specifier),
          );
          const parts = target.split(sep);
          to = parts.length > 1 && parts[0] !== ".." ? parts[0] : ".";
          if (
            to !== from && memberFolders.has(from) && memberFolders.has(to)
          ) {
            violations.push({ file, specifier, from, to, reason: "relative" });
            continue;
          }
        } else {
          const named = memberFolder(specifier, members);
          if (named === undefined) continue; // packages, node: built-ins
          to = named;
        }
        if (to === from || layers[from].includes(to)) continue;
        violations.push({ file, specifier, from, to, reason: "upward" });
      }
    }
  }
  return violations;
}
