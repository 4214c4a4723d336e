/**
 * `deno task compile`: builds `dist/genwasm`, one executable that carries the
 * code, the WASM builds, their pthread worker and MNIST, and runs every CLI
 * command with threads and SIMD on a machine without Deno.
 *
 * Two routes give the same program:
 * - `deno`: `deno compile`, when a denort runtime is at hand (downloaded, or
 *   named by `DENORT_BIN`);
 * - `node`: an esbuild bundle with a Deno shim, packed into a copy of `node`
 *   as a single executable application (needs Node >= 20.16 on the build
 *   machine; the executable needs nothing).
 *
 * `--route auto` (the default) tries `deno` and falls back to `node` when
 * `deno compile` fails; with `DENORT_BIN` set it uses `deno` only.
 *
 * Usage: `deno task compile [--out dist/genwasm] [--route auto|deno|node] [--node PATH]`
 *
 * @module
 */
import { parseArgs } from "node:util";
import { dirname, join, resolve } from "node:path";
import { exec } from "./_exec.ts";
import { buildWithDeno } from "./deno_route.ts";
import { buildWithNode } from "./node_route.ts";
import { buildPage } from "./page.ts";
import { ROOT } from "./_root.ts";

/** How the executable gets built. */
export type Route = "auto" | "deno" | "node";

/** Options for {@link compile}. */
export interface CompileOptions {
  /** Where the executable goes; default `dist/genwasm` in the repository. */
  output?: string;
  route?: Route;
  /** The `node` binary for the node route; default `node` on PATH. */
  node?: string;
  /** Progress lines; default stderr. */
  log?: (line: string) => void;
}

/** What {@link compile} built. */
export interface CompileResult {
  output: string;
  route: "deno" | "node";
  bytes: number;
}

/** Oldest Node whose single executables can carry assets and reach them. */
const MIN_NODE = [20, 16];

/** Longest a `deno compile` may take (a denort download that hangs). */
const DENO_TIMEOUT_MS = 180_000;

/** Finds `node` and checks it is new enough; returns its real path. */
async function findNode(node: string): Promise<string> {
  const script =
    "console.log(process.execPath);console.log(process.versions.node)";
  const printed = await exec(node, ["-e", script]).catch((error) => {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    throw new Error(
      `no "${node}" to build with: the offline route needs Node >= ${
        MIN_NODE.join(".")
      } (or give --node PATH, or DENORT_BIN for deno compile)`,
    );
  });
  const [path, version] = printed.trim().split("\n");
  const [major, minor] = version.split(".").map(Number);
  if (major < MIN_NODE[0] || (major === MIN_NODE[0] && minor < MIN_NODE[1])) {
    throw new Error(
      `node ${version} at ${path} is too old: single executables need >= ${
        MIN_NODE.join(".")
      }`,
    );
  }
  return path;
}

/**
 * Runs the built executable's `--help` with an empty environment: a runtime
 * that ignored the embedded program (say, a `DENORT_BIN` that is a full
 * `deno`) fails here rather than in the user's hands.
 */
async function smokeTest(output: string): Promise<void> {
  const { code, stdout, stderr } = await new Deno.Command(output, {
    args: ["--help"],
    clearEnv: true,
    stdin: "null",
  }).output();
  const text = new TextDecoder().decode(stdout);
  if (code !== 0 || !text.startsWith("genwasm:")) {
    const said = `${text}${new TextDecoder().decode(stderr)}`.trim()
      .split("\n").slice(0, 3).join(" / ");
    throw new Error(
      `${output} does not run genwasm (exit ${code}: ${said})`,
    );
  }
}

/** deno's error line and its deepest cause, e.g. the failed download. */
function summary(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const lines = message.split("Stack backtrace:")[0].split("\n")
    .map((line) => line.trim()).filter(Boolean);
  const head = lines.find((line) => line.startsWith("error:")) ?? lines[0];
  const causes = lines.filter((line) => /^\d+: /.test(line));
  const cause = causes.at(-1)?.replace(/^\d+: /, "");
  return cause ? `${head} (${cause})` : head ?? "failed";
}

/**
 * Builds the executable.
 *
 * @throws Error if the chosen route fails, or if the result does not run.
 *
 * @example
 * ```ts ignore
 * // Not run as a doc test: it takes a minute; tests/cli/executable_test.ts builds it.
 * import { compile } from "./compile.ts";
 * const { output, route, bytes } = await compile({ route: "node" });
 * console.log(output, route, bytes);
 * ```
 */
export async function compile(
  options: CompileOptions = {},
): Promise<CompileResult> {
  const output = resolve(options.output ?? `${ROOT}dist/genwasm`);
  const log = options.log ?? ((line: string) => console.error(line));
  const requested = options.route ?? "auto";
  const denort = Deno.env.get("DENORT_BIN");
  // Built and checked in a scratch folder, so a failed build never leaves a
  // broken executable at `output`.
  const workDir = await Deno.makeTempDir({ prefix: "genwasm-compile-" });
  try {
    const candidate = join(workDir, "genwasm");
    let route: "deno" | "node" = requested === "node" ? "node" : "deno";
    if (route === "deno") {
      log(`deno compile${denort ? ` (DENORT_BIN=${denort})` : ""}`);
      try {
        await buildWithDeno({
          output: candidate,
          root: ROOT,
          timeoutMs: DENO_TIMEOUT_MS,
        });
      } catch (error) {
        if (requested === "deno" || denort) throw error;
        log(`  failed: ${summary(error)}`);
        route = "node";
      }
    }
    if (route === "node") {
      const node = await findNode(options.node ?? "node");
      log(`node single executable (${node}), esbuild bundle, the web page`);
      const page = join(workDir, "page");
      await buildPage(page);
      await buildWithNode({ output: candidate, node, workDir, page });
    }
    try {
      await smokeTest(candidate);
    } catch (error) {
      if (route === "deno" && denort) {
        throw new Error(
          `DENORT_BIN=${denort} is not a denort runtime (the executable ran as something else); unset it to build with Node`,
          { cause: error },
        );
      }
      throw error;
    }
    // Copy beside `output`, then rename: works across file systems and over
    // an executable that is running.
    await Deno.mkdir(dirname(output), { recursive: true });
    const temporary = `${output}.tmp-${Deno.pid}`;
    await Deno.copyFile(candidate, temporary);
    await Deno.chmod(temporary, 0o755);
    await Deno.rename(temporary, output);
    return { output, route, bytes: (await Deno.stat(output)).size };
  } finally {
    await Deno.remove(workDir, { recursive: true });
  }
}

if (import.meta.main) {
  const usage = (message: string): never => {
    console.error(`genwasm compile: ${message}`);
    return Deno.exit(2);
  };
  let values: { out?: string; route: string; node?: string } = {
    route: "auto",
  };
  try {
    values = parseArgs({
      args: Deno.args,
      options: {
        out: { type: "string" },
        route: { type: "string", default: "auto" },
        node: { type: "string" },
      },
      strict: true,
      allowPositionals: false,
    }).values as typeof values;
  } catch (error) {
    usage(error instanceof Error ? error.message : String(error));
  }
  if (!["auto", "deno", "node"].includes(values.route)) {
    usage(`--route must be auto, deno or node, got "${values.route}"`);
  }
  const started = performance.now();
  const { output, route, bytes } = await compile({
    output: values.out,
    route: values.route as Route,
    node: values.node,
  }).catch((error) => {
    console.error(`genwasm compile: ${error.message}`);
    if (error.cause) console.error(`  ${error.cause.message}`);
    return Deno.exit(1);
  });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(
    `wrote ${output} (${
      (bytes / 2 ** 20).toFixed(1)
    } MiB, ${route} route, ${seconds}s)`,
  );
}
