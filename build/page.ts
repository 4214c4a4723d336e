/**
 * `deno task page`: builds the web page that samples a trained run in the
 * browser into `dist/page/` (or `--out DIR`):
 *
 * - `index.html`, `page.css` and `main.js` (the page's main thread);
 * - `sampler.js`: the sampling path in one classic-worker bundle (tfjs, its
 *   wasm backend, genwasm's kernels and the model families; no Node or Deno
 *   API);
 * - tfjs-backend-wasm's glue scripts and binaries, copied as they are, and
 *   its pthread worker written out as a real script: not minified, so the
 *   threaded build's workers load exactly what tfjs ships;
 * - genwasm's kernel module assembled here, for fused and separate
 *   multiply-adds on a shared or unshared heap (a browser has no wabt).
 *
 * The pool's tasks travel to its workers as their functions' source text,
 * so the bundle is minified without `keepNames` (its `__name` wrapper is
 * outside the text) and the tasks define no named inner functions.
 *
 * @module
 */
import * as esbuild from "esbuild";
import { parseArgs } from "node:util";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { workspaceMembers } from "./_workspace_plugin.ts";
import { ROOT } from "./_root.ts";
import {
  BINARY,
  GLUE,
  pthreadWorkerSource,
} from "../backends/wasm/_emscripten.ts";
import { PTHREAD_WORKER } from "../backends/browser.ts";
import {
  kernelBinaryName,
  kernelModuleWat,
} from "../backends/wasm/simd/kernels.ts";
import { assembleWat } from "../backends/wasm/simd/assemble.ts";

/** The page's static files, copied as they are. */
const STATIC_FILES = ["index.html", "page.css"];

/** What {@link buildPage} wrote: each file's bytes, by name. */
export type PageFiles = Record<string, number>;

const wasmOut = (file: string) =>
  fileURLToPath(
    import.meta.resolve(`@tensorflow/tfjs-backend-wasm/wasm-out/${file}`),
  );

async function bundle(entry: string, outfile: string): Promise<void> {
  await esbuild.build({
    entryPoints: [join(ROOT, "page", entry)],
    outfile,
    bundle: true,
    platform: "browser",
    format: "iife",
    target: "chrome110",
    minify: true,
    legalComments: "none",
    logLevel: "error",
    alias: {
      "@tensorflow/tfjs": join(ROOT, "page", "_tfjs_core.ts"),
      pngjs: join(ROOT, "page", "_no_pngjs.ts"),
    },
    plugins: [workspaceMembers()],
  });
}

/**
 * Builds the page into `out` (created if missing; files of an earlier
 * build are replaced).
 *
 * @returns Each written file's size in bytes.
 */
export async function buildPage(out: string): Promise<PageFiles> {
  await Deno.mkdir(out, { recursive: true });
  try {
    await bundle("main.ts", join(out, "main.js"));
    await bundle("sampler_worker.ts", join(out, "sampler.js"));
  } finally {
    await esbuild.stop();
  }
  for (const file of STATIC_FILES) {
    await Deno.copyFile(join(ROOT, "page", file), join(out, file));
  }
  for (
    const file of new Set([...Object.values(GLUE), ...Object.values(BINARY)])
  ) {
    await Deno.copyFile(wasmOut(file), join(out, file));
  }
  const { wasmWorkerContents } = createRequire(import.meta.url)(
    wasmOut(PTHREAD_WORKER),
  ) as { wasmWorkerContents: string };
  await Deno.writeTextFile(
    join(out, PTHREAD_WORKER),
    pthreadWorkerSource(wasmWorkerContents),
  );
  for (const fused of [true, false]) {
    for (const shared of [true, false]) {
      await Deno.writeFile(
        join(out, kernelBinaryName(fused, shared)),
        await assembleWat(kernelModuleWat(fused, shared), fused),
      );
    }
  }
  const files: PageFiles = {};
  for await (const entry of Deno.readDir(out)) {
    if (entry.isFile) {
      files[entry.name] = (await Deno.stat(join(out, entry.name))).size;
    }
  }
  return files;
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: { out: { type: "string" }, help: { type: "boolean" } },
  });
  if (values.help) {
    console.log("usage: deno task page [--out dist/page]");
    Deno.exit(0);
  }
  const out = resolve(values.out ?? join(ROOT, "dist", "page"));
  const files = await buildPage(out);
  const total = Object.values(files).reduce((sum, bytes) => sum + bytes, 0);
  const kib = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;
  console.log(
    `wrote ${out}: ${Object.keys(files).length} files, ${kib(total)}`,
  );
  for (const [name, bytes] of Object.entries(files).sort()) {
    console.log(`  ${name.padEnd(44)} ${kib(bytes).padStart(9)}`);
  }
}
