/**
 * Flag parsing shared by every command: `node:util`'s `parseArgs` in strict
 * mode, the engine flags all commands take, value checks, and the error type
 * that makes the dispatcher exit with code 2.
 *
 * @module
 */
import { parseArgs, type ParseArgsOptionsConfig } from "node:util";
import type { BackendName, EngineOptions } from "@genwasm/backend/engine";
import { readPositiveNumber, readWholeNumber } from "@genwasm/models/options";

/** A bad flag or value: the dispatcher prints it on one line and exits 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** Flags every command takes. */
export const COMMON_FLAGS = {
  threads: { type: "string" },
  backend: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const satisfies ParseArgsOptionsConfig;

/** Help lines for {@link COMMON_FLAGS}. */
export const COMMON_HELP =
  `  --threads N          WASM worker threads (default: all cores, at most 8)
  --backend wasm|cpu   compute backend (default: wasm)
  -h, --help           show this help`;

type Values<T extends ParseArgsOptionsConfig> = ReturnType<
  typeof parseArgs<{ options: T; strict: true; allowPositionals: false }>
>["values"];

function usageMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: string }).code;
  const unknown = message.match(/^Unknown option '([^']+)'/);
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && unknown) {
    return `unknown flag ${unknown[1]} (see --help)`;
  }
  const unexpected = message.match(/^Unexpected argument '([^']*)'/);
  if (code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL" && unexpected) {
    return `unexpected argument "${unexpected[1]}" (see --help)`;
  }
  const ambiguous = message.match(/^Option '([^']+)' argument is ambiguous/);
  if (ambiguous) {
    return `${
      ambiguous[1]
    } needs a value; write a value that starts with "-" as ${
      ambiguous[1]
    }=VALUE`;
  }
  const [first] = message.split("\n");
  return first.charAt(0).toLowerCase() + first.slice(1);
}

/**
 * Parses `args` strictly against `options`: unknown flags, missing values
 * and positional arguments are {@link UsageError}s.
 *
 * @param args The command's arguments, without the command name.
 * @param options `parseArgs` option specs, usually `{ ...COMMON_FLAGS, ... }`.
 * @returns The parsed values.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { COMMON_FLAGS, parseFlags } from "./_flags.ts";
 * const values = parseFlags(["--threads", "2"], COMMON_FLAGS);
 * assert.equal(values.threads, "2");
 * ```
 */
export function parseFlags<T extends ParseArgsOptionsConfig>(
  args: string[],
  options: T,
): Values<T> {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false })
      .values as Values<T>;
  } catch (error) {
    throw new UsageError(usageMessage(error));
  }
}

/**
 * Reads a whole-number flag value.
 *
 * @param flag The flag's name without dashes, for the message.
 * @param text The value as typed.
 * @param minimum Smallest allowed value; default 1.
 * @throws UsageError unless `text` is a whole number >= `minimum`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { UsageError, wholeNumber } from "./_flags.ts";
 * assert.equal(wholeNumber("steps", "300"), 300);
 * assert.throws(() => wholeNumber("steps", "1.5"), UsageError);
 * ```
 */
export function wholeNumber(flag: string, text: string, minimum = 1): number {
  return asUsage(() => readWholeNumber(flag, text, minimum));
}

/**
 * Runs `read` (a value reader, or a family's parse or check), its error a
 * {@link UsageError} with the same message.
 */
export function asUsage<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/**
 * Reads a positive real flag value such as a learning rate.
 *
 * @throws UsageError unless `text` is a finite number > 0.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { positiveNumber } from "./_flags.ts";
 * assert.equal(positiveNumber("lr", "1e-3"), 0.001);
 * ```
 */
export function positiveNumber(flag: string, text: string): number {
  return asUsage(() => readPositiveNumber(flag, text));
}

const BACKENDS: BackendName[] = ["wasm", "cpu"];

/**
 * Turns the common `--threads` and `--backend` values into engine options.
 *
 * @throws UsageError for a bad thread count or backend name.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { engineOptions } from "./_flags.ts";
 * assert.deepEqual(engineOptions({ threads: "2" }), { backend: "wasm", threads: 2 });
 * ```
 */
export function engineOptions(
  values: { threads?: string; backend?: string },
): EngineOptions {
  const backend = values.backend ?? "wasm";
  if (!BACKENDS.includes(backend as BackendName)) {
    throw new UsageError(
      `--backend must be ${BACKENDS.join(" or ")}, got "${backend}"`,
    );
  }
  const options: EngineOptions = { backend: backend as BackendName };
  if (values.threads !== undefined) {
    options.threads = wholeNumber("threads", values.threads);
  }
  return options;
}
