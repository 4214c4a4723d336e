/**
 * Diffusion presets: plain configuration objects found by name in one
 * table, and the strict override check that turns a preset name plus
 * overrides into a full {@link DdpmConfig}.
 *
 * @module
 */
import {
  applyOverrides,
  checkMultiple,
  checkWhole,
  presetFrom,
  resolvePreset,
} from "../_presets.ts";
import {
  defaultTextConfig as sharedTextConfig,
  resolveTextConfig,
  type TextConfig,
} from "../text/config.ts";
export { resolveTextConfig } from "../text/config.ts";

/** Beta schedules (see `schedule.ts`). */
export const SCHEDULE_NAMES = ["linear", "cosine"] as const;
/** What the network is trained to predict (see `process.ts`). */
export const PREDICTION_TARGETS = ["epsilon", "x0", "v"] as const;
/** Variance of the ancestral sampler's steps: beta-tilde or beta. */
export const ANCESTRAL_VARIANCES = ["posterior", "beta"] as const;
/** Initial weights of the U-Net's convolutions and dense layers. */
export const UNET_INITS = ["torch", "glorot"] as const;
/**
 * How a text model's prompt reaches the U-Net: its pooled vector added to
 * the time embedding, cross-attention from the image features to its
 * tokens, or both (see `model.ts`).
 */
export const TEXT_INJECTIONS = ["pooled", "cross", "both"] as const;

/**
 * Everything that rebuilds a diffusion model (weights aside), as plain JSON
 * data.
 *
 * U-Net shapes for the canonical preset, (batch, height, width, channels):
 * 28x28x1 -> 28x28x32 -> 14x14x64 -> 7x7x64 (middle) -> 14x14x64 ->
 * 28x28x32 -> 28x28x1 (predicted noise). Time embedding 32 -> 128.
 */
export type DdpmConfig = {
  /** Side of the square images; divisible by 2^(levels - 1). */
  imageSize: number;
  /** Channels of the images. */
  channels: number;
  /**
   * Channels at the first resolution; also the length of the sinusoidal
   * time features, and a quarter of the time embedding's width.
   */
  baseWidth: number;
  /** Channels of each resolution level as multiples of `baseWidth`. */
  channelMultipliers: number[];
  /** Resolutions (sides) whose blocks get single-head self-attention. */
  attentionResolutions: number[];
  /** Groups of every GroupNorm; every channel count is a multiple of it. */
  normGroups: number;
  /** Diffusion steps T. */
  timesteps: number;
  /** Beta schedule: "linear" (Ho et al.) or "cosine" (Nichol & Dhariwal). */
  schedule: (typeof SCHEDULE_NAMES)[number];
  /** Network target: "epsilon" (the noise), "x0" (the image) or "v". */
  prediction: (typeof PREDICTION_TARGETS)[number];
  /** Ancestral (`--sampler ddpm`) step variance: "posterior" (beta-tilde) or "beta". */
  ancestralVariance: (typeof ANCESTRAL_VARIANCES)[number];
  /**
   * Initial weights of the U-Net's convolutions and dense layers: "torch"
   * (PyTorch's default, U(±1/sqrt(fan in)), biases too) or "glorot"
   * (Glorot-uniform kernels, zero biases; the default before session 9).
   * At equal steps "torch" trains faster early on: the canonical
   * conditional U-Net's mean loss over steps 101-150 was 0.086 against
   * 0.133 with "glorot" (same seed and data), PyTorch's own run 0.086 at
   * step 100.
   */
  init: (typeof UNET_INITS)[number];
  /** Class-conditional with classifier-free guidance. */
  conditional: boolean;
  /** Number of classes (conditional models); the label table has one more row. */
  classes: number;
  /**
   * Fraction of training labels replaced by the "no label" row (of
   * prompts replaced by the empty prompt, text models).
   */
  labelDropout: number;
  /**
   * Text-conditioned models only (no preset has it): the prompt encoder,
   * its vocabulary and where its training captions come from. A model
   * conditions on class labels (`conditional`) or on text, not both.
   */
  text?: DdpmTextConfig;
};

/**
 * The text block of a ddpm config: the shared text settings (see
 * `models/text/config.ts`) and how the prompt reaches the U-Net.
 */
export type DdpmTextConfig = TextConfig & {
  /**
   * "pooled": the pooled prompt vector added to the time embedding (what
   * a checkpoint without the key had, see {@link storedDdpmConfig});
   * "cross": cross-attention to the prompt's tokens after the ResBlocks of
   * `crossResolutions`; "both" (the default): the two together.
   */
  injection: (typeof TEXT_INJECTIONS)[number];
  /**
   * Resolutions (sides) whose blocks get cross-attention, with "cross" or
   * "both"; empty (the default) resolves to the lowest one, e.g. [7].
   */
  crossResolutions: number[];
};

/**
 * The text settings a ddpm text model starts from: the shared defaults
 * (see `models/text/config.ts`), the pooled prompt vector and
 * cross-attention at the lowest resolution ("both"). After 60 minutes on
 * 2 threads (MNIST, `--held-out thick:4`) "both" drew the prompt's digit in
 * 95% of prompted samples (thickness 81%, slant 85%), "pooled" in 60%
 * (thickness 89%, slant 50%).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultTextConfig } from "./presets.ts";
 * const text = defaultTextConfig();
 * assert.deepEqual([text.injection, text.crossResolutions, text.width], ["both", [], 64]);
 * ```
 */
export function defaultTextConfig(): DdpmTextConfig {
  return { ...sharedTextConfig(), injection: "both", crossResolutions: [] };
}

/**
 * A stored ddpm config as its model was built: a text block from before
 * `injection` existed (checkpoints of sessions before 11) is "pooled",
 * today's default being "both".
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { storedDdpmConfig } from "./presets.ts";
 * const old = storedDdpmConfig({ text: { width: 64 } });
 * assert.deepEqual(old.text, { width: 64, injection: "pooled" });
 * ```
 */
export function storedDdpmConfig(
  config: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const text = config.text;
  if (
    text === null || typeof text !== "object" || Array.isArray(text) ||
    "injection" in text
  ) {
    return { ...config };
  }
  return { ...config, text: { ...text, injection: "pooled" } };
}

/** Names of the built-in presets. */
export type DdpmPresetName = "ddpm" | "ddpm-small" | "ddpm-large";

/**
 * The canonical DDPM (see `shared/spec/canonical-models.md`): T = 1000,
 * linear betas 1e-4 .. 0.02, epsilon prediction, U-Net channels 32/64/64 at
 * 28/14/7 without attention (Adam lr 2e-4 and EMA 0.999 are the family's
 * training recipe); 694561 parameters (695969 conditional).
 */
const ddpm = {
  imageSize: 28,
  channels: 1,
  baseWidth: 32,
  channelMultipliers: [1, 2, 2],
  attentionResolutions: [],
  normGroups: 8,
  timesteps: 1000,
  schedule: "linear",
  prediction: "epsilon",
  ancestralVariance: "posterior",
  init: "torch",
  conditional: false,
  classes: 10,
  labelDropout: 0.1,
} satisfies DdpmConfig;

/** Every preset by name. `ddpm` is the canonical model; keep it exact. */
export const DDPM_PRESETS: Readonly<
  Record<DdpmPresetName, Readonly<DdpmConfig>>
> = {
  ddpm,
  /** Half the width: 16/32/32 channels, 174737 parameters. */
  "ddpm-small": { ...ddpm, baseWidth: 16 },
  /** Twice the width and attention at 7x7: 64/128/128 channels, 2968385 parameters. */
  "ddpm-large": { ...ddpm, baseWidth: 64, attentionResolutions: [7] },
};

/** Throws unless `value` is one of `choices`. */
function checkChoice(
  key: string,
  value: string,
  choices: readonly string[],
): void {
  if (!choices.includes(value)) {
    throw new Error(
      `ddpm config key "${key}" must be ${
        choices.join(" or ")
      }, got "${value}"`,
    );
  }
}

/** Sides of the U-Net's levels, e.g. [28, 14, 7]. */
export function levelResolutions(config: DdpmConfig): number[] {
  return config.channelMultipliers.map((_, level) =>
    config.imageSize / 2 ** level
  );
}

/**
 * Checks the ranges of a config's values (types are checked by
 * {@link resolveDdpmConfig}).
 *
 * @throws Error naming the first key whose value is out of range.
 */
function checkDdpmConfig(config: DdpmConfig): void {
  checkWhole("ddpm", "channels", config.channels);
  checkWhole("ddpm", "baseWidth", config.baseWidth, 4);
  checkMultiple("ddpm", "baseWidth", config.baseWidth, 2);
  checkWhole("ddpm", "normGroups", config.normGroups);
  checkWhole("ddpm", "timesteps", config.timesteps, 2);
  checkWhole("ddpm", "classes", config.classes);
  checkChoice("schedule", config.schedule, SCHEDULE_NAMES);
  checkChoice("prediction", config.prediction, PREDICTION_TARGETS);
  checkChoice(
    "ancestralVariance",
    config.ancestralVariance,
    ANCESTRAL_VARIANCES,
  );
  checkChoice("init", config.init, UNET_INITS);
  if (!(config.labelDropout >= 0 && config.labelDropout < 1)) {
    throw new Error(
      `ddpm config key "labelDropout" must be in [0, 1), got ${config.labelDropout}`,
    );
  }
  const multipliers = config.channelMultipliers;
  if (multipliers.length < 1) {
    throw new Error(`ddpm config key "channelMultipliers" must not be empty`);
  }
  for (const multiplier of multipliers) {
    checkWhole("ddpm", "channelMultipliers", multiplier);
    if ((multiplier * config.baseWidth) % config.normGroups !== 0) {
      throw new Error(
        `ddpm: ${
          multiplier * config.baseWidth
        } channels (baseWidth x ${multiplier}) do not split into ${config.normGroups} normGroups`,
      );
    }
  }
  const factor = 2 ** (multipliers.length - 1);
  checkWhole("ddpm", "imageSize", config.imageSize, factor);
  if (config.imageSize % factor !== 0) {
    throw new Error(
      `ddpm config key "imageSize" must be a multiple of ${factor} ` +
        `(${multipliers.length} levels), got ${config.imageSize}`,
    );
  }
  const resolutions = levelResolutions(config);
  for (const resolution of config.attentionResolutions) {
    if (!resolutions.includes(resolution)) {
      throw new Error(
        `ddpm config key "attentionResolutions": ${resolution} is not a level ` +
          `resolution (${resolutions.join(", ")})`,
      );
    }
  }
}

/**
 * Looks a preset up by name.
 *
 * @param name E.g. "ddpm".
 * @returns A fresh copy of the preset's config.
 * @throws Error naming the unknown preset and listing the known ones.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ddpmPreset } from "./presets.ts";
 * assert.deepEqual(ddpmPreset("ddpm").channelMultipliers, [1, 2, 2]);
 * ```
 */
export function ddpmPreset(name: string): DdpmConfig {
  return presetFrom("ddpm", DDPM_PRESETS, name);
}

/**
 * A preset with some of its keys overridden, checked strictly: every
 * override must name a key of the config and keep its type, and the result
 * must be in range.
 *
 * @param name The preset to start from, e.g. "ddpm".
 * @param overrides Keys to replace, e.g. `{ conditional: true }`.
 * @returns The full config.
 * @throws Error naming an unknown preset, an unknown key, a key given a
 * value of the wrong type, or a value out of range.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveDdpmConfig } from "./presets.ts";
 * const config = resolveDdpmConfig("ddpm", { schedule: "cosine" });
 * assert.deepEqual([config.schedule, config.timesteps], ["cosine", 1000]);
 * // A text model: the default text block with some keys overridden.
 * const text = resolveDdpmConfig("ddpm-small", { text: { layers: 1 } }).text;
 * assert.deepEqual([text?.layers, text?.tokens], [1, 17]);
 * ```
 */
export function resolveDdpmConfig(
  name: string,
  overrides: Readonly<Record<string, unknown>> = {},
): DdpmConfig {
  // `text` is in no preset (a text model is a preset plus its text block),
  // so it is resolved apart from the preset's keys.
  const { text, ...rest } = overrides;
  const config = resolvePreset(
    "ddpm",
    DDPM_PRESETS,
    name,
    rest,
    checkDdpmConfig,
  );
  if (text === undefined) return config;
  if (config.conditional) {
    throw new Error(
      "a ddpm conditions on class labels (conditional) or on text, not both",
    );
  }
  return { ...config, text: resolveDdpmText(config, text) };
}

/**
 * The text block of `config` from `overrides`: the shared keys resolved
 * by `resolveTextConfig`, `injection` and `crossResolutions` here.
 */
function resolveDdpmText(
  config: DdpmConfig,
  overrides: unknown,
): DdpmTextConfig {
  const given = overrides !== null && typeof overrides === "object" &&
      !Array.isArray(overrides)
    ? overrides as Record<string, unknown>
    : undefined;
  // Every key is checked against the whole ddpm text block first, so an
  // unknown key's message names injection and crossResolutions too.
  const { injection, crossResolutions } = given
    ? applyOverrides("ddpm text", defaultTextConfig(), given)
    : defaultTextConfig();
  const { injection: _, crossResolutions: __, ...shared } = given ?? {};
  const text = {
    ...resolveTextConfig(given ? shared : overrides, "ddpm"),
    injection,
    crossResolutions,
  };
  if (!TEXT_INJECTIONS.includes(text.injection)) {
    throw new Error(
      `ddpm text key "injection" must be ${
        TEXT_INJECTIONS.join(" or ")
      }, got "${text.injection}"`,
    );
  }
  const resolutions = levelResolutions(config);
  if (text.injection === "pooled") {
    if (text.crossResolutions.length > 0) {
      throw new Error(
        `ddpm text key "crossResolutions" needs injection "cross" or "both"`,
      );
    }
    return text;
  }
  if (text.crossResolutions.length === 0) {
    text.crossResolutions = [resolutions[resolutions.length - 1]];
  }
  for (const resolution of text.crossResolutions) {
    if (!resolutions.includes(resolution)) {
      throw new Error(
        `ddpm text key "crossResolutions": ${resolution} is not a level ` +
          `resolution (${resolutions.join(", ")})`,
      );
    }
    const level = resolutions.indexOf(resolution);
    const channels = config.baseWidth * config.channelMultipliers[level];
    if (channels % text.heads !== 0) {
      throw new Error(
        `ddpm text: ${channels} channels at ${resolution}x${resolution} do not ` +
          `split into ${text.heads} cross-attention heads (text key "heads")`,
      );
    }
  }
  return text;
}
