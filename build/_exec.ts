/**
 * Runs a build step's program and turns a failure into an error that says
 * what ran and what it printed.
 *
 * @module
 */

/** Options for {@link exec}. */
export interface ExecOptions {
  cwd?: string;
  /** Give up (and fail) after this many milliseconds. */
  timeoutMs?: number;
}

/**
 * Runs `program` with `args`, output captured.
 *
 * @returns What it wrote to stdout.
 * @throws Error naming the command, its exit code and its output if it fails.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { exec } from "./_exec.ts";
 * const version = await exec(Deno.execPath(), ["--version"]); // or "node" ...
 * assert.match(version, /^deno \d+\.\d+\.\d+/);
 * ```
 */
export async function exec(
  program: string,
  args: string[],
  { cwd, timeoutMs }: ExecOptions = {},
): Promise<string> {
  const signal = timeoutMs ? AbortSignal.timeout(timeoutMs) : undefined;
  const { code, stdout, stderr } = await new Deno.Command(program, {
    args,
    cwd,
    signal,
    stdin: "null",
    env: { NO_COLOR: "1" },
  }).output();
  const decoder = new TextDecoder();
  if (code !== 0) {
    const output = `${decoder.decode(stdout)}${decoder.decode(stderr)}`.trim();
    throw new Error(
      `${program} ${args.join(" ")} failed (exit ${code}${
        signal?.aborted ? ", timed out" : ""
      }):\n${output}`,
    );
  }
  return decoder.decode(stdout);
}
