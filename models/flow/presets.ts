/**
 * Presets of the image flow: plain configuration objects found by name in
 * one table, and the strict override check that turns a preset name plus
 * overrides into a full {@link FlowConfig}.
 *
 * @module
 */
import {
  checkMultiple,
  checkWhole,
  presetFrom,
  resolvePreset,
} from "../_presets.ts";
import { COUPLING_KINDS, type CouplingKind } from "./coupling.ts";
import { PERMUTATION_KINDS, type PermutationKind } from "./flow_step.ts";

/**
 * Everything that rebuilds an image flow (weights aside), as plain JSON.
 *
 * Shapes for the canonical preset, (batch, height, width, channels):
 * 28x28x1 -> squeeze 14x14x4 -> 4 steps -> split (14x14x2 to the prior)
 * -> squeeze 7x7x8 -> 4 steps -> 7x7x8 to the prior; 392 + 392 = 784
 * latent numbers, one per pixel.
 */
export type FlowConfig = {
  /** Side of the square images; a multiple of 2^levels. */
  imageSize: number;
  /** Channels of the images. */
  channels: number;
  /** Levels (squeeze, steps, then a split except after the last). */
  levels: number;
  /** Flow steps per level. */
  stepsPerLevel: number;
  /** Hidden channels of each coupling network. */
  couplingWidth: number;
  /** "affine" (Glow) or "additive" (NICE, volume preserving). */
  coupling: CouplingKind;
  /** "conv" (Glow's 1x1 convolution), "conv-lu", "reverse" or "shuffle". */
  permutation: PermutationKind;
  /** Margin of the logit pre-processing, in (0, 0.5). */
  logitAlpha: number;
};

/** Names of the built-in presets. */
export type FlowPresetName = "flow" | "flow-small" | "flow-large";

/**
 * The canonical flow (see `shared/spec/canonical-models.md`): 2 levels of
 * 4 steps (ActNorm, 1x1 convolution, affine coupling with a
 * Conv3x3-Conv1x1-Conv3x3 network of width 64), logit alpha 0.05; 75728
 * parameters. Trained (the family's recipe, family.ts) with Adam lr 1e-3.
 */
const flow = {
  imageSize: 28,
  channels: 1,
  levels: 2,
  stepsPerLevel: 4,
  couplingWidth: 64,
  coupling: "affine",
  permutation: "conv",
  logitAlpha: 0.05,
} satisfies FlowConfig;

/** Every preset by name. `flow` is the canonical model; keep it exact. */
export const FLOW_PRESETS: Readonly<
  Record<FlowPresetName, Readonly<FlowConfig>>
> = {
  flow,
  /** 2 steps per level, width 32: quick checks; 14952 parameters. */
  "flow-small": { ...flow, stepsPerLevel: 2, couplingWidth: 32 },
  /** 8 steps per level, width 128, LU convolutions; 433792 parameters. */
  "flow-large": {
    ...flow,
    stepsPerLevel: 8,
    couplingWidth: 128,
    permutation: "conv-lu",
  },
};

/**
 * Throws unless `value` is one of `choices` (the string options of the
 * flow presets), naming the family and key.
 */
export function checkChoice(
  family: string,
  key: string,
  value: string,
  choices: readonly string[],
): void {
  if (!choices.includes(value)) {
    throw new Error(
      `${family} config key "${key}" must be ${
        choices.join(", ")
      }; got "${value}"`,
    );
  }
}

/**
 * Checks the ranges of a config's values (types are checked by
 * {@link resolveFlowConfig}).
 *
 * @throws Error naming the first key whose value is out of range.
 */
function checkFlowConfig(config: FlowConfig): void {
  checkWhole("flow", "levels", config.levels);
  checkWhole("flow", "imageSize", config.imageSize, 2 ** config.levels);
  checkMultiple("flow", "imageSize", config.imageSize, 2 ** config.levels);
  checkWhole("flow", "channels", config.channels);
  checkWhole("flow", "stepsPerLevel", config.stepsPerLevel);
  checkWhole("flow", "couplingWidth", config.couplingWidth);
  checkChoice("flow", "coupling", config.coupling, COUPLING_KINDS);
  checkChoice("flow", "permutation", config.permutation, PERMUTATION_KINDS);
  if (!(config.logitAlpha > 0 && config.logitAlpha < 0.5)) {
    throw new Error(
      `flow config key "logitAlpha" must be in (0, 0.5), got ${config.logitAlpha}`,
    );
  }
}

/**
 * Looks a preset up by name.
 *
 * @returns A fresh copy of the preset's config.
 * @throws Error naming the unknown preset and listing the known ones.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { flowPreset } from "./presets.ts";
 * assert.equal(flowPreset("flow").stepsPerLevel, 4);
 * ```
 */
export function flowPreset(name: string): FlowConfig {
  return presetFrom("flow", FLOW_PRESETS, name);
}

/**
 * A preset with some keys overridden, checked strictly: every override
 * must name a key of the config and keep its type, and the result must be
 * in range.
 *
 * @throws Error naming an unknown preset or key, a mistyped value, or a
 * value out of range.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveFlowConfig } from "./presets.ts";
 * const config = resolveFlowConfig("flow", { coupling: "additive" });
 * assert.deepEqual([config.coupling, config.levels], ["additive", 2]);
 * ```
 */
export function resolveFlowConfig(
  name: string,
  overrides: Readonly<Record<string, unknown>> = {},
): FlowConfig {
  return resolvePreset("flow", FLOW_PRESETS, name, overrides, checkFlowConfig);
}
