/**
 * Preset tables shared by every family: look a preset up by name, apply
 * overrides strictly (a known key, the same JSON type), check ranges with
 * messages that name the family and the key.
 *
 * @module
 */

/** The JSON type of a value, telling arrays and null apart from objects. */
function kindOf(value: unknown): string {
  if (value === null) return "null";
  return Array.isArray(value) ? "array" : typeof value;
}

/**
 * A deep copy of preset `name` from `table`.
 *
 * @throws Error naming the unknown preset and listing the known ones.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { presetFrom } from "./_presets.ts";
 * assert.deepEqual(presetFrom("vae", { vae: { latentSize: 16 } }, "vae"), { latentSize: 16 });
 * assert.throws(() => presetFrom("vae", { vae: { latentSize: 16 } }, "vea"), /vea/);
 * ```
 */
export function presetFrom<T>(
  family: string,
  table: Readonly<Record<string, T>>,
  name: string,
): T {
  if (!Object.hasOwn(table, name)) {
    throw new Error(
      `unknown ${family} preset "${name}": use ${
        Object.keys(table).join(", ")
      }`,
    );
  }
  return structuredClone(table[name]);
}

/**
 * Replaces keys of `config` by `overrides`, in place, and returns it.
 *
 * @throws Error naming an unknown key or a value of another JSON type.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { applyOverrides } from "./_presets.ts";
 * assert.deepEqual(applyOverrides("vae", { latentSize: 16 }, { latentSize: 2 }), { latentSize: 2 });
 * assert.throws(() => applyOverrides("vae", { latentSize: 16 }, { latentSize: "2" }));
 * ```
 */
export function applyOverrides<T extends object>(
  family: string,
  config: T,
  overrides: Readonly<Record<string, unknown>>,
): T {
  const slots = config as Record<string, unknown>;
  for (const [key, value] of Object.entries(overrides)) {
    if (!Object.hasOwn(config, key)) {
      throw new Error(
        `unknown ${family} config key "${key}": use ${
          Object.keys(config).join(", ")
        }`,
      );
    }
    const expected = kindOf(slots[key]);
    if (kindOf(value) !== expected) {
      throw new Error(
        `${family} config key "${key}" must be a${
          expected === "array" ? "n" : ""
        } ${expected}, ` +
          `got ${kindOf(value)} ${JSON.stringify(value)}`,
      );
    }
    slots[key] = structuredClone(value);
  }
  return config;
}

/**
 * The whole lookup every family's `resolve...Config` does: the preset by
 * name (a fresh copy), `overrides` applied strictly, then the family's
 * range `check`.
 *
 * @throws Error naming an unknown preset or key, a mistyped value, or
 * (from `check`) a value out of range.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolvePreset } from "./_presets.ts";
 * const presets = { small: { width: 8 } };
 * assert.deepEqual(resolvePreset("demo", presets, "small", { width: 4 }, () => {}), { width: 4 });
 * ```
 */
export function resolvePreset<T extends object>(
  family: string,
  presets: Readonly<Record<string, Readonly<T>>>,
  name: string,
  overrides: Readonly<Record<string, unknown>>,
  check: (config: T) => void,
): T {
  const config = applyOverrides(
    family,
    presetFrom(family, presets, name),
    overrides,
  );
  check(config);
  return config;
}

/** Throws unless `value` is a whole number >= `minimum`. */
export function checkWhole(
  family: string,
  key: string,
  value: number,
  minimum = 1,
): void {
  if (!Number.isInteger(value) || value < minimum) {
    throw new Error(
      `${family} config key "${key}" must be a whole number >= ${minimum}, got ${value}`,
    );
  }
}

/** Throws unless `value` is a multiple of `factor`. */
export function checkMultiple(
  family: string,
  key: string,
  value: number,
  factor: number,
): void {
  if (value % factor !== 0) {
    throw new Error(
      `${family} config key "${key}" must be a multiple of ${factor}, got ${value}`,
    );
  }
}
