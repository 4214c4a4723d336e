/**
 * VAE presets: plain configuration objects found by name in one table, and
 * the strict override check that turns a preset name plus overrides into a
 * full {@link VaeConfig}.
 *
 * @module
 */
import {
  checkMultiple,
  checkWhole,
  presetFrom,
  resolvePreset,
} from "../_presets.ts";

/**
 * Everything that rebuilds a VAE (weights aside), as plain JSON data.
 *
 * Shapes for the canonical preset, (batch, height, width, channels):
 * encoder 28x28x1 -> 14x14x32 -> 7x7x64 -> 3136 -> 2 x 16 (mean, log-variance);
 * decoder 16 -> 3136 -> 7x7x64 -> 14x14x32 -> 28x28x1 (pixel logits).
 */
export type VaeConfig = {
  /** Side of the square images; a multiple of 4 (two stride-2 stages). */
  imageSize: number;
  /** Channels of the images. */
  channels: number;
  /** Length of the latent code z. */
  latentSize: number;
  /** Channels of the first convolution; the second has twice as many. */
  baseWidth: number;
  /**
   * Dynamic binarisation, the usual protocol for MNIST likelihoods: every
   * training batch is drawn as 0/1 pixels (grey level = probability) and
   * the test set is binarised once (seed 0) for the ELBO. Off: Bernoulli
   * cross-entropy on grey levels, whose targets alone hold 45.5 nats of
   * entropy per MNIST test image (measured), a floor no model goes below.
   */
  binarize: boolean;
};

/** Names of the built-in presets. */
export type VaePresetName = "vae" | "vae-small" | "vae-large";

/**
 * The canonical VAE (see `shared/spec/canonical-models.md`): latent 16,
 * Conv(1->32, k4, s2), Conv(32->64, k4, s2), Dense(3136->32) and the mirror
 * decoder; 220385 parameters. Trained (the family's recipe, family.ts) with
 * Adam lr 1e-3, batch 64.
 */
const vae = {
  imageSize: 28,
  channels: 1,
  latentSize: 16,
  baseWidth: 32,
  binarize: false,
} satisfies VaeConfig;

/** Every preset by name. `vae` is the canonical model; keep it exact. */
export const VAE_PRESETS: Readonly<Record<VaePresetName, Readonly<VaeConfig>>> =
  {
    vae,
    /** Half the width, half the latent: 16/32 channels, 8 latents, 56177 parameters. */
    "vae-small": { ...vae, latentSize: 8, baseWidth: 16 },
    /** Twice the width and latent: 64/128 channels, 32 latents, 872897 parameters. */
    "vae-large": { ...vae, latentSize: 32, baseWidth: 64 },
  };

/**
 * Checks the ranges of a config's values (types are checked by
 * {@link resolveVaeConfig}).
 *
 * @throws Error naming the first key whose value is out of range.
 */
function checkVaeConfig(config: VaeConfig): void {
  checkWhole("vae", "imageSize", config.imageSize, 4);
  checkMultiple("vae", "imageSize", config.imageSize, 4);
  checkWhole("vae", "channels", config.channels);
  checkWhole("vae", "latentSize", config.latentSize);
  checkWhole("vae", "baseWidth", config.baseWidth);
}

/**
 * Looks a preset up by name.
 *
 * @param name E.g. "vae".
 * @returns A fresh copy of the preset's config.
 * @throws Error naming the unknown preset and listing the known ones.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { vaePreset } from "./presets.ts";
 * assert.equal(vaePreset("vae").latentSize, 16);
 * ```
 */
export function vaePreset(name: string): VaeConfig {
  return presetFrom("vae", VAE_PRESETS, name);
}

/**
 * A preset with some of its keys overridden, checked strictly: every
 * override must name a key of the config and keep its type, and the result
 * must be in range.
 *
 * @param name The preset to start from, e.g. "vae".
 * @param overrides Keys to replace, e.g. `{ latentSize: 32 }`.
 * @returns The full config.
 * @throws Error naming an unknown preset, an unknown key, a key given a
 * value of the wrong type, or a value out of range.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveVaeConfig } from "./presets.ts";
 * const config = resolveVaeConfig("vae", { latentSize: 2 });
 * assert.deepEqual([config.latentSize, config.baseWidth], [2, 32]);
 * ```
 */
export function resolveVaeConfig(
  name: string,
  overrides: Readonly<Record<string, unknown>> = {},
): VaeConfig {
  return resolvePreset("vae", VAE_PRESETS, name, overrides, checkVaeConfig);
}
