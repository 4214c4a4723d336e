/**
 * Runs `cli/main.ts` in a subprocess with the permissions the deno.json tasks
 * grant, and hands back its exit code and output.
 *
 * @module
 */
import { fileURLToPath } from "node:url";

/** The repository root. */
export const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** The permissions CLI runs in tests get (the tasks' kinds, unrestricted). */
export const PERMISSIONS = [
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-sys",
];

/** What a CLI run gave back. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `genwasm` with `args` from the repository root, colours off, with
 * {@link PERMISSIONS} and any further `permissions`.
 */
export function runCli(
  args: string[],
  env: Record<string, string> = {},
  permissions: string[] = [],
): Promise<CliResult> {
  return runCommand(Deno.execPath(), {
    args: ["run", ...PERMISSIONS, ...permissions, "cli/main.ts", ...args],
    env: { NO_COLOR: "1", ...env },
  });
}

/**
 * Runs `command` to its end (from the repository root unless `options`
 * say otherwise) and hands back its exit code and decoded output.
 */
export async function runCommand(
  command: string,
  options: Deno.CommandOptions,
): Promise<CliResult> {
  const output = await new Deno.Command(command, {
    cwd: ROOT,
    ...options,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/** The non-empty lines of `text`. */
export function lines(text: string): string[] {
  return text.split("\n").filter((line) => line.trim() !== "");
}
