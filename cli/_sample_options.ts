/**
 * The sampling flags of `sample` and `eval` (`--class`, `--temperature`,
 * `--sampler`, ...), as the families declare them (see
 * models/family.ts): their parseArgs definitions, their help, and their
 * values parsed and checked by the declaring family's own code.
 *
 * @module
 */
import type { ParseArgsOptionsConfig } from "node:util";
import {
  MODEL_FAMILIES,
  type ModelFamily,
  type SampleOptionSpec,
} from "@genwasm/models/registry";
import { asUsage, UsageError } from "./_flags.ts";

/** One sampling flag and the families that honour it. */
export interface DeclaredFlag {
  spec: SampleOptionSpec<unknown>;
  families: string[];
}

/**
 * Every sampling flag some family declares, once each, in the order the
 * families (then their options) come.
 *
 * @param reserved The command's own flags, which no family may declare.
 * @throws Error when a family declares a reserved flag, or two families
 * declare one flag, one as a switch and one with a value.
 *
 * @example
 * ```ts
 * import { declaredSampleFlags } from "./_sample_options.ts";
 * console.log([...declaredSampleFlags().keys()].includes("temperature")); // true
 * ```
 */
export function declaredSampleFlags(
  families: readonly ModelFamily[] = MODEL_FAMILIES,
  reserved: readonly string[] = [],
): Map<string, DeclaredFlag> {
  const declared = new Map<string, DeclaredFlag>();
  for (const family of families) {
    for (const spec of Object.values(family.sampleOptions ?? {})) {
      if (reserved.includes(spec.flag)) {
        throw new Error(
          `${family.name} declares --${spec.flag}, a flag of the command itself`,
        );
      }
      const seen = declared.get(spec.flag);
      if (!seen) {
        declared.set(spec.flag, { spec, families: [family.name] });
      } else if (
        (seen.spec.value === undefined) !== (spec.value === undefined)
      ) {
        throw new Error(
          `--${spec.flag} is a switch for one family and takes a value for another (${
            [...seen.families, family.name].join(", ")
          })`,
        );
      } else {
        seen.families.push(family.name);
      }
    }
  }
  return declared;
}

/**
 * parseArgs definitions of every declared sampling flag.
 *
 * @param reserved The command's own flags (see {@link declaredSampleFlags}).
 */
export function sampleOptionFlags(
  families: readonly ModelFamily[] = MODEL_FAMILIES,
  reserved: readonly string[] = [],
): ParseArgsOptionsConfig {
  return Object.fromEntries(
    [...declaredSampleFlags(families, reserved)].map(([flag, { spec }]) => [
      flag,
      spec.value === undefined
        ? { type: "boolean" }
        : { type: "string", ...(spec.repeatable ? { multiple: true } : {}) },
    ]),
  );
}

/** `--flag VALUE` as help shows it. */
function flagText(spec: SampleOptionSpec<unknown>): string {
  return `--${spec.flag}${spec.value === undefined ? "" : ` ${spec.value}`}`;
}

/**
 * Help lines of every declared sampling flag: the flag, then its help
 * from column 19, continuation lines indented to it.
 *
 * @example
 * ```ts
 * import { sampleOptionsHelp } from "./_sample_options.ts";
 * console.log(sampleOptionsHelp().includes("--temperature T")); // true
 * ```
 */
export function sampleOptionsHelp(
  families: readonly ModelFamily[] = MODEL_FAMILIES,
): string {
  const lines: string[] = [];
  for (const { spec } of declaredSampleFlags(families).values()) {
    const [first, ...rest] = spec.help.split("\n");
    lines.push(`  ${flagText(spec).padEnd(15)}  ${first}`);
    for (const line of rest) lines.push(`${"".padEnd(19)}${line}`);
  }
  return lines.join("\n");
}

/**
 * The sampling flags `eval` takes, and which families they are for, as
 * help lines (empty when no family takes any).
 */
export function evaluationOptionsHelp(
  families: readonly ModelFamily[] = MODEL_FAMILIES,
): string {
  return families.filter((family) => family.evaluationOptions?.length).map(
    (family) => {
      const specs = family.sampleOptions!;
      const flags = family.evaluationOptions!.map((key) =>
        flagText(specs[key])
      );
      return `  ${flags.join(", ")}\n               how ${family.name} ` +
        "draws its samples (defaults: see sample --help)";
    },
  ).join("\n");
}

/**
 * The family's sampling options given on the command line, parsed by the
 * family's declarations; a declared flag the family does not honour (for
 * `eval`: does not list in `evaluationOptions`) is a usage error naming the
 * flag.
 *
 * @param values parseArgs values, including {@link sampleOptionFlags}'.
 * @param evaluation Whether `eval` asks (only `evaluationOptions` count).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sampleOptions } from "./_sample_options.ts";
 * import { familyOf } from "../models/registry.ts";
 * assert.deepEqual(sampleOptions({ guidance: "3" }, familyOf("ddpm")), { guidance: 3 });
 * ```
 */
export function sampleOptions(
  values: Record<string, unknown>,
  family: ModelFamily,
  { evaluation = false, families = MODEL_FAMILIES } = {},
): Record<string, unknown> {
  const specs = family.sampleOptions ?? {};
  const honoured = evaluation
    ? family.evaluationOptions ?? []
    : Object.keys(specs);
  const flags = honoured.map((key) => specs[key].flag);
  for (const flag of declaredSampleFlags(families).keys()) {
    const given = values[flag];
    if (given === undefined || given === false || flags.includes(flag)) {
      continue;
    }
    throw new UsageError(
      `--${flag} does not apply to this model` +
        (flags.length
          ? ` (it takes ${flags.map((f) => `--${f}`).join(", ")})`
          : ""),
    );
  }
  const options: Record<string, unknown> = {};
  for (const key of honoured) {
    const spec = specs[key];
    const given = values[spec.flag];
    if (given === undefined || given === false) continue;
    if (spec.value === undefined) {
      options[key] = spec.switchValue;
    } else if (spec.repeatable) {
      // Each given text parses to a list; the option is them all, in order.
      options[key] = (given as string[]).flatMap((text) =>
        asUsage(() => spec.parse(text)) as unknown[]
      );
    } else {
      options[key] = asUsage(() => spec.parse(given as string));
    }
  }
  return options;
}

/**
 * Checks parsed options against the data the run trained on (e.g. `--class`
 * below its classes), with the family's own checks; a usage error if not.
 */
export function checkSampleOptions(
  options: Record<string, unknown>,
  family: ModelFamily,
  data: { name: string; classes: number },
): void {
  for (const [key, value] of Object.entries(options)) {
    const check = family.sampleOptions?.[key]?.check;
    if (check) asUsage(() => check(value, data));
  }
}
