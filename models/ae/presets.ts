/**
 * The autoencoder's preset, `ae`, and the strict override check that turns
 * a preset name plus overrides into a full {@link AeConfig}.
 *
 * @module
 */
import {
  checkMultiple,
  checkWhole,
  presetFrom,
  resolvePreset,
} from "../_presets.ts";
import { AUTOENCODER_DEFAULTS, type AutoencoderConfig } from "./model.ts";
import {
  RECONSTRUCTION_LOSSES,
  type ReconstructionLossName,
} from "./objective.ts";

/**
 * Everything that rebuilds a trainable autoencoder, as plain JSON data: the
 * network's {@link AutoencoderConfig} and the loss it is trained on.
 */
export type AeConfig = AutoencoderConfig & {
  /** "bce" (per-pixel sigmoid cross-entropy) or "mse". */
  loss: ReconstructionLossName;
};

/** Names of the built-in presets. */
export type AePresetName = "ae";

/** Every preset by name; `ae` is the autoencoder `deno task train` trains. */
export const AE_PRESETS: Readonly<Record<AePresetName, Readonly<AeConfig>>> = {
  ae: {
    ...AUTOENCODER_DEFAULTS,
    widths: [...AUTOENCODER_DEFAULTS.widths],
    loss: "bce",
  },
};
/** Checks the ranges of a config's values. */
function checkAeConfig(config: AeConfig): void {
  checkWhole("ae", "imageSize", config.imageSize, 4);
  checkMultiple("ae", "imageSize", config.imageSize, 4);
  checkWhole("ae", "channels", config.channels);
  checkWhole("ae", "codeSize", config.codeSize);
  checkWhole("ae", "seed", config.seed, 0);
  if (config.widths.length !== 2) {
    throw new Error(
      `ae config key "widths" must hold 2 channel counts, got ${
        JSON.stringify(config.widths)
      }`,
    );
  }
  for (const width of config.widths) checkWhole("ae", "widths", width);
  if (!Object.hasOwn(RECONSTRUCTION_LOSSES, config.loss)) {
    throw new Error(
      `ae config key "loss" must be ${
        Object.keys(RECONSTRUCTION_LOSSES).join(" or ")
      }, got "${config.loss}"`,
    );
  }
}

/**
 * Looks a preset up by name.
 *
 * @param name "ae".
 * @returns A fresh copy of the preset's config.
 * @throws Error naming the unknown preset and listing the known ones.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { aePreset } from "./presets.ts";
 * assert.equal(aePreset("ae").loss, "bce");
 * ```
 */
export function aePreset(name: string): AeConfig {
  return presetFrom("ae", AE_PRESETS, name);
}

/**
 * A preset with some of its keys overridden, checked strictly: every
 * override must name a key of the config and keep its type, and the result
 * must be in range.
 *
 * @param name The preset to start from, "ae".
 * @param overrides Keys to replace, e.g. `{ loss: "mse", codeSize: 8 }`.
 * @returns The full config.
 * @throws Error naming an unknown preset, an unknown key, a key given a
 * value of the wrong type, or a value out of range.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveAeConfig } from "./presets.ts";
 * assert.equal(resolveAeConfig("ae", { loss: "mse" }).loss, "mse");
 * ```
 */
export function resolveAeConfig(
  name: string,
  overrides: Readonly<Record<string, unknown>> = {},
): AeConfig {
  return resolvePreset("ae", AE_PRESETS, name, overrides, checkAeConfig);
}
