/**
 * The list of model families the CLI can train, sample and evaluate, found
 * by preset name (`vae`, `vae-small`, `ae`, ...). Each family declares
 * itself in its own folder (its `family.ts`, see ../family.ts); adding one
 * is adding its folder and one line to {@link MODEL_FAMILIES}.
 *
 * @module
 */
import type { TrainableModel } from "./contract.ts";
import type { ModelFamily } from "./family.ts";
import { aeFamily } from "./ae/family.ts";
import { vaeFamily } from "./vae/family.ts";
import { classifierFamily } from "./classifier/family.ts";
import { flowFamily } from "./flow/family.ts";
import { flow2dFamily } from "./flow/flow2d_family.ts";
import { ganFamily } from "./gan/family.ts";
import { ddpmFamily } from "./ddpm/family.ts";

export type {
  EvaluationData,
  ModelData,
  ModelFamily,
  SampleOptionSpec,
  SampleOptionSpecs,
  SampleRequest,
  TrainingSetting,
} from "./family.ts";

/** Every family, in the order `--help` lists them. */
export const MODEL_FAMILIES: readonly ModelFamily[] = [
  vaeFamily,
  aeFamily,
  classifierFamily,
  flowFamily,
  flow2dFamily,
  ganFamily,
  ddpmFamily,
];

/** Every preset name of `families` (default: all). */
export function presetNames(
  families: readonly ModelFamily[] = MODEL_FAMILIES,
): string[] {
  return families.flatMap((family) => [...family.presets]);
}

/**
 * The family that builds `preset`.
 *
 * @param families Where to look; default {@link MODEL_FAMILIES}.
 * @throws Error naming the unknown preset and listing the known ones.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { familyOf } from "./registry.ts";
 * assert.equal(familyOf("vae-small").name, "vae");
 * ```
 */
export function familyOf(
  preset: string,
  families: readonly ModelFamily[] = MODEL_FAMILIES,
): ModelFamily {
  const family = families.find((f) => f.presets.includes(preset));
  if (!family) {
    throw new Error(
      `unknown model "${preset}" (models: ${presetNames(families).join(", ")})`,
    );
  }
  return family;
}

/**
 * Rebuilds the model a checkpoint holds from its stored config (weights
 * are the caller's to load). Keys that checkpoints of earlier versions
 * stored and the config no longer has (the family's `retiredKeys`, such as
 * the learning rate, a training option since) are dropped, so those
 * checkpoints still load; keys they lack get the values they were trained
 * with where a default has changed since (the family's `storedConfig`);
 * any other unknown key is refused.
 *
 * @example
 * ```ts
 * import { familyOf, rebuildModel } from "./registry.ts";
 * // A config as the VAE stored it before the learning rate left it.
 * const old = { imageSize: 28, channels: 1, latentSize: 8, baseWidth: 16, binarize: false, learningRate: 1e-3, batchSize: 64 };
 * const vae = rebuildModel(familyOf("vae-small"), "vae-small", old);
 * console.log(vae.config.latentSize); // 8
 * vae.dispose();
 * ```
 */
export function rebuildModel(
  family: ModelFamily,
  preset: string,
  config: Readonly<Record<string, unknown>>,
): TrainableModel {
  const retired = family.retiredKeys ?? [];
  const current = Object.fromEntries(
    Object.entries(config).filter(([key]) => !retired.includes(key)),
  );
  return family.create(preset, family.storedConfig?.(current) ?? current, 0);
}
