/**
 * The layering of the repository as a table, and the check that reads the
 * import statements of every .ts file and reports each import of a folder
 * its folder may not use. Written against any root and table so the same
 * check can run per workspace member.
 *
 * @module
 */
import { dirname, join, relative, resolve, sep } from "node:path";

/** Folder -> the other folders its files may import (their own is implied). */
export type Layers = Readonly<Record<string, readonly string[]>>;

/**
 * The declared order, lowest first: backends < data < eval < models <
 * train < cli. The tools on top (bench, build) and the tests may use the
 * library below them.
 */
export const LAYERS: Layers = {
  backends: [],
  data: ["backends"],
  eval: ["backends", "data"],
  models: ["backends", "data", "eval"],
  train: ["backends", "data", "eval", "models"],
  cli: ["backends", "data", "eval", "models", "train"],
  bench: ["backends", "data", "eval", "models", "train"],
  build: ["backends", "data", "eval", "models", "train", "cli"],
  tests: [
    "backends",
    "data",
    "eval",
    "models",
    "train",
    "cli",
    "bench",
    "build",
  ],
};

/** One import a file's folder may not use. */
export interface Violation {
  /** The importing file, relative to the root. */
  file: string;
  /** The specifier as written. */
  specifier: string;
  /** The importing file's folder and the imported one. */
  from: string;
  to: string;
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
 * Every relative import in the folders of `layers` under `root` that
 * reaches a folder its own may not import (a folder missing from the table
 * may import nothing, and nothing may import the root's own files).
 *
 * @example
 * ```ts ignore
 * const found = importViolations(".", LAYERS); // [] when the layering holds
 * ```
 */
export function importViolations(root: string, layers: Layers): Violation[] {
  const violations: Violation[] = [];
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
        if (!specifier.startsWith(".")) continue; // packages, node: built-ins
        const target = relative(
          resolve(root),
          resolve(dirname(path), specifier),
        );
        const parts = target.split(sep);
        const to = parts.length > 1 && parts[0] !== ".." ? parts[0] : ".";
        if (to === from || layers[from].includes(to)) continue;
        violations.push({ file, specifier, from, to });
      }
    }
  }
  return violations;
}
