import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  importSpecifiers,
  importViolations,
  LAYERS,
  sourceFolders,
} from "./_layers.ts";

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));

Deno.test("every folder imports only the folders below it (LAYERS)", () => {
  const found = importViolations(ROOT, LAYERS).map((v) =>
    `${v.file} (${v.from}) imports ${v.specifier} (${v.to})`
  );
  assert.deepEqual(found, []);
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
      },
      {
        file: join("models", "vae", "vae.ts"),
        specifier: "../../train/trainer.ts",
        from: "models",
        to: "train",
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
