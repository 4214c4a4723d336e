import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  importSpecifiers,
  importViolations,
  LAYERS,
  sourceFolders,
  workspaceMembers,
} from "./_layers.ts";

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));

Deno.test("every folder imports only the folders below it (LAYERS), and members reach each other by name", () => {
  const found = importViolations(ROOT, LAYERS, workspaceMembers(ROOT)).map((
    v,
  ) => `${v.file} (${v.from}) imports ${v.specifier} (${v.to}): ${v.reason}`);
  assert.deepEqual(found, []);
});

Deno.test("the workspace's members are the architecture, each a package with a door and a README", async () => {
  const members = workspaceMembers(ROOT);
  assert.deepEqual(Object.entries(members).sort(), [
    ["@genwasm/backend", "backends"],
    ["@genwasm/cli", "cli"],
    ["@genwasm/data", "data"],
    ["@genwasm/eval", "eval"],
    ["@genwasm/models", "models"],
    ["@genwasm/train", "train"],
  ]);
  for (const folder of Object.values(members)) {
    const config = JSON.parse(
      await Deno.readTextFile(join(ROOT, folder, "deno.json")),
    );
    assert.match(config.version, /^\d+\.\d+\.\d+$/, `${folder}: version`);
    assert.equal(config.exports["."], "./mod.ts", `${folder}: its door`);
    for (const target of Object.values(config.exports) as string[]) {
      await Deno.stat(join(ROOT, folder, target)); // every export exists
    }
    const readme = await Deno.readTextFile(join(ROOT, folder, "README.md"));
    assert.match(
      readme,
      new RegExp(`^# ${config.name}`),
      `${folder}/README.md`,
    );
  }
});

Deno.test("LAYERS names every top-level source folder, and only those", () => {
  assert.deepEqual(Object.keys(LAYERS).sort(), sourceFolders(ROOT));
});

Deno.test("LAYERS is an order: no folder may import one that may import it", () => {
  for (const [folder, allowed] of Object.entries(LAYERS)) {
    for (const below of allowed) {
      assert.ok(below in LAYERS, `${folder} allows unknown ${below}`);
      assert.ok(
        !LAYERS[below].includes(folder),
        `${folder} and ${below} may import each other`,
      );
    }
  }
});

Deno.test("importSpecifiers() reads static, multi-line, re-export, side-effect and dynamic imports, not comments", () => {
  const source = `/**
 * @example
 * \`\`\`ts
 * import { train } from "../train/trainer.ts";
 * \`\`\`
 */
import type { tf } from "../backends/tf.ts";
import {
  a,
  b,
} from "./local.ts";
export * from "./mod.ts";
export { c } from "../data/c.ts";
import "./side_effect.ts";
// import { nope } from "../cli/main.ts";
const load = () => import("./lazy.ts");
import { parseArgs } from "node:util";
`;
  assert.deepEqual(importSpecifiers(source).sort(), [
    "../backends/tf.ts",
    "../data/c.ts",
    "./lazy.ts",
    "./local.ts",
    "./mod.ts",
    "./side_effect.ts",
    "node:util",
  ]);
});

Deno.test("importViolations() fails on a planted upward import, naming the file and both folders", async () => {
  const root = await Deno.makeTempDir({ prefix: "genwasm_layers_" });
  try {
    const write = async (path: string, text: string) => {
      await Deno.mkdir(dirname(join(root, path)), { recursive: true });
      await Deno.writeTextFile(join(root, path), text);
    };
    await write("train/trainer.ts", `export const train = 1;\n`);
    await write(
      "models/vae/vae.ts",
      `import { tf } from "../../backends/tf.ts";\n` +
        `import { train } from "../../train/trainer.ts";\n`,
    );
    await write("backends/tf.ts", `export const tf = 1;\n`);
    await write("data/png.ts", `import "../mod.ts";\n`);
    assert.deepEqual(importViolations(root, LAYERS), [
      {
        file: join("data", "png.ts"),
        specifier: "../mod.ts",
        from: "data",
        to: ".",
        reason: "upward",
      },
      {
        file: join("models", "vae", "vae.ts"),
        specifier: "../../train/trainer.ts",
        from: "models",
        to: "train",
        reason: "upward",
      },
    ]);
    // The same import passes once the table allows it.
    assert.deepEqual(
      importViolations(root, { ...LAYERS, models: [...LAYERS.models, "train"] })
        .map(
          (v) => v.file,
        ),
      [join("data", "png.ts")],
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("importViolations() fails on an upward import by member name, and on a member reaching another by a relative path", async () => {
  const root = await Deno.makeTempDir({ prefix: "genwasm_layers_" });
  try {
    const write = async (path: string, text: string) => {
      await Deno.mkdir(dirname(join(root, path)), { recursive: true });
      await Deno.writeTextFile(join(root, path), text);
    };
    await write(
      "models/vae/vae.ts",
      `import { tf } from "@genwasm/backend/tf";\n` +
        `import { train } from "@genwasm/train";\n` +
        `import { png } from "../../data/png.ts";\n`,
    );
    await write("tests/vae_test.ts", `import "../models/vae/vae.ts";\n`);
    const members = {
      "@genwasm/backend": "backends",
      "@genwasm/data": "data",
      "@genwasm/models": "models",
      "@genwasm/train": "train",
    };
    assert.deepEqual(
      importViolations(root, LAYERS, members).map((v) => [
        v.specifier,
        v.to,
        v.reason,
      ]),
      [
        ["@genwasm/train", "train", "upward"],
        ["../../data/png.ts", "data", "relative"],
      ],
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
