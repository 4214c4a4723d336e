/**
 * Checked examples: `deno task test` runs `deno test --doc` over every file
 * whose documentation holds an example, so each one type-checks and runs.
 * A folder missing from the task would have its examples skipped without a
 * word, and an example fenced `ts ignore` must say why on its first line.
 */
import assert from "node:assert/strict";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
/** Not sources: dependencies, run folders, builds, scratch (all git-ignored). */
const SKIPPED = new Set(["node_modules", "runs", "dist", "scratch"]);
const EXAMPLE = /^\s*\*\s*@example\b/m;
const IGNORED_FENCE = /^\s*\*\s*```ts ignore\s*\n\s*\*\s*(.*)$/gm;

/** Every .ts file below `folder`, as a path relative to the root with "/". */
function* typescriptFiles(folder: string): Generator<string> {
  for (const entry of Deno.readDirSync(folder)) {
    const path = join(folder, entry.name);
    if (entry.name.startsWith(".") || SKIPPED.has(entry.name)) continue;
    if (entry.isDirectory) yield* typescriptFiles(path);
    else if (entry.isFile && entry.name.endsWith(".ts")) {
      yield relative(ROOT, path).replaceAll("\\", "/");
    }
  }
}

function documented(): Map<string, string> {
  const files = new Map<string, string>();
  for (const path of typescriptFiles(ROOT)) {
    const text = Deno.readTextFileSync(join(ROOT, path));
    if (EXAMPLE.test(text)) files.set(path, text);
  }
  return files;
}

Deno.test("deno task test runs the doc tests of every file with an @example", async () => {
  const config = JSON.parse(await Deno.readTextFile(join(ROOT, "deno.json")));
  const words: string[] = config.tasks.test.split(/\s+/);
  assert.deepEqual(words.slice(0, 3), ["deno", "test", "--doc"]);
  const folders = words.slice(3).filter((word) => !word.startsWith("-"))
    .map((word) => word.replace(/\/$/, ""));
  const files = [...documented().keys()];
  assert.ok(files.length > 100, `only ${files.length} files with examples`);
  const left = files.filter((path) =>
    !folders.some((folder) => path === folder || path.startsWith(`${folder}/`))
  );
  assert.deepEqual(left, [], "add their folders to the test task");
});

Deno.test("an example that is not run says why on its first line", () => {
  for (const [path, text] of documented()) {
    for (const [, first] of text.matchAll(IGNORED_FENCE)) {
      assert.match(
        first,
        /^\/\/ /,
        `${path}: a ts ignore example without a reason`,
      );
    }
  }
});
