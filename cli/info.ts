/**
 * `genwasm info`: starts the engine and says what is running.
 *
 * @module
 */
import {
  describeEngine,
  type EngineInfo,
  initEngine,
} from "@genwasm/backend/engine";
import {
  COMMON_FLAGS,
  COMMON_HELP,
  engineOptions,
  parseFlags,
} from "./_flags.ts";

/** One line for the command list. */
export const SUMMARY = "show the compute engine: backend, SIMD, threads";

/** The command's `--help`. */
export const HELP = `genwasm info: ${SUMMARY}

Usage: deno task info [--json] [--threads N] [--backend wasm|cpu]

  --json               print one JSON object instead of text
${COMMON_HELP}`;

/**
 * The engine in a few human lines.
 *
 * @example
 * ```ts
 * import { formatEngineInfo } from "./info.ts";
 * console.log(formatEngineInfo({
 *   backend: "wasm", variant: "threaded-simd", simd: true, threads: 2,
 *   cores: 2, workers: 8, fma: true, tfjs: "4.22.0", fallbacks: [],
 * }));
 * ```
 */
export function formatEngineInfo(info: EngineInfo): string {
  const build = info.backend === "wasm"
    ? `${info.variant} build`
    : "JavaScript";
  const lines = [
    describeEngine(info),
    `backend    ${info.backend} (${build})`,
    `simd       ${info.simd ? "yes" : "no"}`,
    `fma        ${
      info.fma ? "yes (relaxed SIMD, in genwasm's conv filter gradient)" : "no"
    }`,
    `threads    ${info.threads} of ${info.cores} cores, ${info.workers} workers`,
    `tfjs       ${info.tfjs}`,
    `fallbacks  ${info.fallbacks.length ? "" : "none"}`,
  ];
  for (const fallback of info.fallbacks) lines.push(`  ${fallback}`);
  return lines.join("\n");
}

/**
 * Runs `info` with its arguments (the command name removed).
 *
 * @example
 * ```ts
 * import { main } from "./info.ts";
 * await main(["--json", "--threads", "2"]);
 * ```
 */
export async function main(args: string[]): Promise<void> {
  const values = parseFlags(args, {
    ...COMMON_FLAGS,
    json: { type: "boolean" },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const info = await initEngine(engineOptions(values));
  console.log(values.json ? JSON.stringify(info) : formatEngineInfo(info));
}
