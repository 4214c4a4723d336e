/**
 * The progress bar the commands hand to long model computations (a
 * diffusion model's sampling) as their progress callback: on a terminal
 * only, so piped output stays clean.
 *
 * @module
 */
import type { ProgressCallback } from "@genwasm/models/contract";
import { progressBar } from "@genwasm/train/progress";

/**
 * `{ progress }` with a bar when stdout is a terminal, else `{}`: spread
 * into a sample request or evaluation data.
 *
 * @example
 * ```ts
 * import { terminalProgress } from "./_progress.ts";
 * const request = { count: 16, ...terminalProgress() };
 * ```
 */
export function terminalProgress(): { progress?: ProgressCallback } {
  return Deno.stdout.isTerminal() ? { progress: progressBar() } : {};
}
