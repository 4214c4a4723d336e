/**
 * The autoencoder's preset, `ae`, and the strict override check that turns
 * a preset name plus overrides into a full {@link AeConfig}.
 *
 * @module
 */
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

function isPresetName(name: string): name is AePresetName {
  return Object.hasOwn(AE_PRESETS, name);
}

function checkWhole(key: string, value: number, minimum = 1): void {
  if (!Number.isInteger(value) || value < minimum) {
    throw new Error(
      `ae config key "${key}" must be a whole number >= ${minimum}, got ${value}`,
    );
  }
}

/** The JSON type of a value, telling arrays and null apart from objects. */
function kindOf(value: unknown): string {
  if (value === null) return "null";
  return Array.isArray(value) ? "array" : typeof value;
}

/** Checks the ranges of a config's values. */
function checkAeConfig(config: AeConfig): void {
  checkWhole("imageSize", config.imageSize, 4);
  if (config.imageSize % 4 !== 0) {
    throw new Error(
      `ae config key "imageSize" must be a multiple of 4, got ${config.imageSize}`,
    );
  }
  checkWhole("channels", config.channels);
  checkWhole("codeSize", config.codeSize);
  checkWhole("seed", config.seed, 0);
  if (config.widths.length !== 2) {
    throw new Error(
      `ae config key "widths" must hold 2 channel counts, got ${
        JSON.stringify(config.widths)
      }`,
    );
  }
  for (const width of config.widths) checkWhole("widths", width);
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
 * import { aePreset } from "./presets.ts";
 * console.log(aePreset("ae").loss); // "bce"
 * ```
 */
export function aePreset(name: string): AeConfig {
  if (!isPresetName(name)) {
    throw new Error(
      `unknown ae preset "${name}": use ${Object.keys(AE_PRESETS).join(", ")}`,
    );
  }
  const preset = AE_PRESETS[name];
  return { ...preset, widths: [...preset.widths] };
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
 * import { resolveAeConfig } from "./presets.ts";
 * console.log(resolveAeConfig("ae", { loss: "mse" }).loss); // "mse"
 * ```
 */
export function resolveAeConfig(
  name: string,
  overrides: Readonly<Record<string, unknown>> = {},
): AeConfig {
  const config = aePreset(name);
  const slots = config as Record<string, unknown>;
  for (const [key, value] of Object.entries(overrides)) {
    if (!Object.hasOwn(config, key)) {
      throw new Error(
        `unknown ae config key "${key}": use ${Object.keys(config).join(", ")}`,
      );
    }
    const expected = kindOf(slots[key]);
    if (kindOf(value) !== expected) {
      throw new Error(
        `ae config key "${key}" must be a${
          expected === "array" ? "n" : ""
        } ${expected}, got ${kindOf(value)} ${JSON.stringify(value)}`,
      );
    }
    slots[key] = Array.isArray(value) ? [...value] : value;
  }
  checkAeConfig(config);
  return config;
}
