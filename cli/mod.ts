/**
 * The `genwasm` command line (`deno task train | sample | eval | encode |
 * info`): flags parsed and help rendered from what each model family
 * declares, one-line errors with exit codes (2 for usage, 1 otherwise).
 * {@link run} takes the arguments after the program name and returns the
 * exit code.
 *
 * @example
 * ```ts
 * import { run } from "./mod.ts";
 * console.log(await run(["info", "--json"])); // 0
 * ```
 *
 * @module
 */
export { run } from "./main.ts";
