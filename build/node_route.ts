/**
 * Builds the executable without a Deno runtime to embed: esbuild bundles the
 * CLI (with a Deno shim) into one CommonJS file, and Node's single executable
 * application support packs it, with the embedded files as assets, into a
 * copy of the `node` binary (Node >= 20.16).
 *
 * @module
 */
import * as esbuild from "esbuild";
import { gzipSync } from "node:zlib";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { exec } from "./_exec.ts";
import { workspaceMembers } from "./_workspace_plugin.ts";
import { embeddedFiles } from "./payload.ts";
import { type Manifest, MANIFEST_ASSET } from "./manifest.ts";

/** The sentinel that marks where Node looks for its SEA blob. */
const SEA_FUSE = "NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2";

const runtime = (file: string) =>
  fileURLToPath(new URL(`./runtime/${file}`, import.meta.url));

/** Bundles the CLI into one CommonJS file for Node. */
async function bundle(outfile: string): Promise<void> {
  try {
    await esbuild.build({
      entryPoints: [runtime("entry.ts")],
      outfile,
      bundle: true,
      platform: "node",
      format: "cjs",
      target: "node20",
      minify: true,
      keepNames: true,
      legalComments: "none",
      logLevel: "error",
      define: {
        "import.meta.resolve": "__genwasmResolve",
        "import.meta.url": "__genwasmMetaUrl",
        "import.meta.main": "false",
      },
      inject: [runtime("meta_url.ts"), runtime("import_meta.ts")],
      plugins: [workspaceMembers()],
    });
  } finally {
    await esbuild.stop();
  }
}

/** Writes the gzipped assets and the manifest; returns the SEA asset table. */
async function packAssets(
  dir: string,
  page: string,
): Promise<Record<string, string>> {
  const assets: Record<string, string> = {};
  const manifest: Manifest = { hash: "", files: {} };
  const hash = createHash("sha256");
  let index = 0;
  for (const [specifier, path] of embeddedFiles(page)) {
    const bytes = await Deno.readFile(path);
    hash.update(specifier).update(bytes);
    const asset = `file-${index++}.gz`;
    await Deno.writeFile(join(dir, asset), gzipSync(bytes));
    assets[asset] = join(dir, asset);
    manifest.files[specifier] = { asset, size: bytes.length };
  }
  manifest.hash = hash.digest("hex").slice(0, 16);
  await Deno.writeTextFile(join(dir, MANIFEST_ASSET), JSON.stringify(manifest));
  assets[MANIFEST_ASSET] = join(dir, MANIFEST_ASSET);
  return assets;
}

/** Options for {@link buildWithNode}. */
export interface NodeBuildOptions {
  /** Where the executable goes. */
  output: string;
  /** The `node` binary to copy (>= 20.16: SEA assets, `process.getBuiltinModule`). */
  node: string;
  /** A scratch folder for the bundle, assets and blob. */
  workDir: string;
  /** The built web page, carried for `genwasm serve`. */
  page: string;
}

/**
 * Builds the executable as a Node single executable application.
 *
 * @throws Error if bundling, blob generation or injection fails.
 */
export async function buildWithNode(
  { output, node, workDir, page }: NodeBuildOptions,
): Promise<void> {
  const main = join(workDir, "genwasm.cjs");
  await bundle(main);
  const config = {
    main,
    output: join(workDir, "sea.blob"),
    disableExperimentalSEAWarning: true,
    useCodeCache: true,
    assets: await packAssets(workDir, page),
  };
  const configPath = join(workDir, "sea-config.json");
  await Deno.writeTextFile(configPath, JSON.stringify(config));
  await exec(node, ["--experimental-sea-config", configPath]);
  await Deno.copyFile(node, output);
  await Deno.chmod(output, 0o755);
  const postject = fileURLToPath(import.meta.resolve("postject"));
  await exec(node, [
    join(postject, "..", "cli.js"),
    output,
    "NODE_SEA_BLOB",
    config.output,
    "--sentinel-fuse",
    SEA_FUSE,
  ]);
}
