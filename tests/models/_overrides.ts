/**
 * A helper of the presets tests: checks that a family's `resolve...Config`
 * applies an override of every key. The test's own input is checked
 * first: an override equal to the preset's value would pass even where the
 * resolver dropped it, so each must differ.
 *
 * @module
 */
import assert from "node:assert/strict";

/**
 * Asserts that `resolve(name, overrides)` gives `overrides` back, where
 * `overrides` names every key of `preset` with a value of its own.
 */
export function assertEveryKeyOverrides<T extends object>(
  resolve: (name: string, overrides: Readonly<Record<string, unknown>>) => T,
  name: string,
  preset: Readonly<T>,
  overrides: T,
): void {
  assert.deepEqual(
    Object.keys(overrides).sort(),
    Object.keys(preset).sort(),
    "the test must override every key of the preset",
  );
  for (const [key, value] of Object.entries(overrides)) {
    assert.notDeepEqual(
      value,
      (preset as Record<string, unknown>)[key],
      `the test's override of "${key}" is the preset's own value`,
    );
  }
  assert.deepEqual(
    resolve(name, overrides as Readonly<Record<string, unknown>>),
    overrides,
  );
}
