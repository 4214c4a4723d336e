/**
 * Builds the executable the Deno way: `deno compile`, with the embedded files
 * named by `--include` (MNIST is read by path, not imported, so it would not
 * be picked up otherwise). `deno compile` copies a `denort` runtime, which it
 * downloads unless `DENORT_BIN` names one.
 *
 * @module
 */
import { exec } from "./_exec.ts";
import { embeddedFiles } from "./payload.ts";

/** The permissions the deno.json tasks grant, baked into the executable. */
const PERMISSIONS = [
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-sys",
];

/** Options for {@link buildWithDeno}. */
export interface DenoBuildOptions {
  /** Where the executable goes. */
  output: string;
  /** The repository root. */
  root: string;
  /** Give up after this long (a download that hangs). */
  timeoutMs?: number;
}

/**
 * Runs `deno compile` on `cli/main.ts`.
 *
 * @throws Error with deno's output if it fails (offline without a denort).
 */
export async function buildWithDeno(
  { output, root, timeoutMs }: DenoBuildOptions,
): Promise<void> {
  const includes = [...embeddedFiles().values()].flatMap((
    path,
  ) => ["--include", path]);
  await exec(Deno.execPath(), [
    "compile",
    "--no-check", // `deno check` is CI's job; a failed download fails sooner
    ...PERMISSIONS,
    ...includes,
    "--output",
    output,
    "cli/main.ts",
  ], { cwd: root, timeoutMs });
}
