/**
 * `--set KEY=VALUE` preset overrides. VALUE is read as JSON when it parses
 * (numbers, true/false, arrays), else as a plain string; the family then
 * checks keys and types strictly.
 *
 * @module
 */
import { UsageError } from "./_flags.ts";

/**
 * Turns `["latentSize=32", "loss=mse"]` into `{ latentSize: 32, loss: "mse" }`.
 * A key may name a key of a config block, `text.injection`: it is kept
 * whole, for the command to place.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseOverrides } from "./_overrides.ts";
 * assert.deepEqual(parseOverrides(["widths=[8,16]", "loss=mse"]), { widths: [8, 16], loss: "mse" });
 * ```
 */
export function parseOverrides(pairs: string[]): Record<string, unknown> {
  const overrides: Record<string, unknown> = {};
  for (const pair of pairs) {
    const match = pair.match(
      /^([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?)=(.*)$/s,
    );
    if (!match) throw new UsageError(`--set needs KEY=VALUE, got "${pair}"`);
    const [, key, text] = match;
    if (key in overrides) throw new UsageError(`--set ${key} given twice`);
    let value: unknown = text;
    try {
      value = JSON.parse(text);
    } catch { /* a plain string */ }
    overrides[key] = value;
  }
  return overrides;
}
