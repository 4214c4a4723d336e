/**
 * The `genwasm` command line: routes `genwasm <command> [flags]` to
 * `cli/<command>.ts`. A bad flag or value prints one line and exits 2; any
 * other failure prints one line and exits 1 (set GENWASM_DEBUG=1 for the
 * stack).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { run } from "./main.ts";
 * const code = await run(["info", "--json"]);
 * assert.equal(code, 0);
 * ```
 *
 * @module
 */
import { UsageError } from "./_flags.ts";
import { TrainingInterrupted } from "@genwasm/train/trainer";

/** What each command module exports. */
interface Command {
  SUMMARY: string;
  main(args: string[]): Promise<void>;
}

/** The commands, loaded on demand so `--help` stays quick. */
const COMMANDS: Record<string, () => Promise<Command>> = {
  info: () => import("./info.ts"),
  train: () => import("./train.ts"),
  sample: () => import("./sample.ts"),
  eval: () => import("./eval.ts"),
  encode: () => import("./encode.ts"),
  export: () => import("./export.ts"),
  import: () => import("./import.ts"),
  serve: () => import("./serve.ts"),
};

async function globalHelp(): Promise<string> {
  const lines = [
    "genwasm: train image generative models on the CPU (tfjs WASM SIMD, threads)",
    "",
    "Usage: deno task <command> [flags]   (see deno.json for the permissions each task grants)",
    "",
    "Commands:",
  ];
  for (const [name, load] of Object.entries(COMMANDS)) {
    lines.push(`  ${name.padEnd(8)} ${(await load()).SUMMARY}`);
  }
  lines.push("", "Run `<command> --help` for its flags.");
  return lines.join("\n");
}

/** The error as one line: its message with line breaks folded. */
function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.trim().replace(/\s*\n\s*/g, "; ") || "failed";
}

/**
 * Runs one command line and returns the exit code: 0 done, 1 failed, 2 bad
 * usage. Errors go to stderr as `genwasm <command>: <message>`.
 *
 * @param args The arguments after the program name, command first.
 * @returns The process exit code.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { run } from "./main.ts";
 * assert.equal(await run(["--help"]), 0);
 * assert.equal(await run(["train", "--no-such-flag"]), 2); // bad usage
 * ```
 */
export async function run(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  if (command === undefined || command === "--help" || command === "-h") {
    console.log(await globalHelp());
    return 0;
  }
  const load = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  if (!load) {
    console.error(
      `genwasm: unknown command "${command}" (commands: ${
        Object.keys(COMMANDS).join(", ")
      }; see --help)`,
    );
    return 2;
  }
  try {
    await (await load()).main(rest);
    return 0;
  } catch (error) {
    console.error(
      `genwasm ${command}: ${oneLine(error)}${permissionHint(error)}`,
    );
    if (debugWanted() && error instanceof Error) {
      console.error(error.stack);
    }
    if (error instanceof TrainingInterrupted) return 130;
    return error instanceof UsageError ? 2 : 1;
  }
}

/**
 * Whether GENWASM_DEBUG asks for stack traces; false where the command runs
 * without env access to it (serve's task), rather than failing on the read.
 */
function debugWanted(): boolean {
  const access = Deno.permissions.querySync({
    name: "env",
    variable: "GENWASM_DEBUG",
  });
  return access.state === "granted" && Boolean(Deno.env.get("GENWASM_DEBUG"));
}

/**
 * What to do about a refused permission: the deno.json tasks grant writes
 * only under runs/ and the worker cache, and reads of the repository, the
 * Debian datasets and the cache.
 */
function permissionHint(error: unknown): string {
  if (!(error instanceof Deno.errors.NotCapable)) return "";
  return " (deno task allows writes only under runs/ and the worker cache, " +
    "reads of this folder and /usr/share/datasets: use --out runs/..., or run " +
    "cli/main.ts with your own --allow-read/--allow-write)";
}

if (import.meta.main) {
  Deno.exit(await run(Deno.args));
}
