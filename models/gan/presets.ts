/**
 * GAN presets: plain configuration objects found by name in one table, and
 * the strict override check that turns a preset name plus overrides into a
 * full {@link GanConfig}.
 *
 * @module
 */
import {
  checkMultiple,
  checkWhole,
  presetFrom,
  resolvePreset,
} from "../_presets.ts";
import { resolveTextConfig, type TextConfig } from "../text/config.ts";

/** The adversarial losses; see `objective.ts`. */
export const GAN_LOSSES = ["non-saturating", "hinge", "least-squares"] as const;

/** One of {@link GAN_LOSSES}. */
export type GanLoss = typeof GAN_LOSSES[number];

/** Where the generator's BatchNorm statistics come from when sampling. */
export const SAMPLING_STATISTICS = ["standing", "running"] as const;

/**
 * Everything that rebuilds a GAN (weights aside), as plain JSON data.
 *
 * Shapes for the canonical preset, (batch, height, width, channels):
 * generator 64 -> 6272 -> 7x7x128 -> 14x14x64 -> 28x28x1 (tanh);
 * discriminator 28x28x1 -> 14x14x64 -> 7x7x128 -> 6272 -> 1 (logit).
 */
export type GanConfig = {
  /** Side of the square images; a multiple of 4 (two stride-2 stages). */
  imageSize: number;
  /** Channels of the images. */
  channels: number;
  /** Length of the noise vector z. */
  latentSize: number;
  /**
   * Channels of the discriminator's first convolution and the generator's
   * last hidden map; the inner maps have twice as many.
   */
  baseWidth: number;
  /**
   * Class-conditional (cgan): a one-hot label is concatenated to z, and to
   * the discriminator's input image as `classes` constant channels.
   */
  conditional: boolean;
  /** Number of classes of a conditional model (set from the data). */
  classes: number;
  /** The adversarial loss: "non-saturating" (canonical), "hinge" or "least-squares". */
  loss: GanLoss;
  /**
   * Target of real images in the discriminator's loss; below 1 is one-sided
   * label smoothing (e.g. 0.9). Non-saturating and least-squares losses only.
   */
  realLabel: number;
  /** Spectral normalisation of every discriminator weight. */
  spectralNorm: boolean;
  /** BatchNorm after the discriminator's second convolution (canonical). */
  discriminatorBatchNorm: boolean;
  /**
   * ProGAN's minibatch standard deviation (Karras et al. 2018): the standard
   * deviation over the batch of each of D's last hidden features, averaged
   * to one number, joins the features its dense layer reads. A batch of
   * look-alike samples stands out by it, which pushes G towards variety.
   */
  minibatchStd: boolean;
  /**
   * Weight gamma of the R1 penalty on D, (gamma / 2) E|dD(x)/dx|^2 over
   * real images (Mescheder et al. 2018); 0 for none.
   */
  r1Gamma: number;
  /**
   * Steps between R1 penalties, each scaled by the interval (StyleGAN2's
   * lazy regularisation: a gradient of a gradient costs about one more D
   * step); 1 for every step.
   */
  r1Interval: number;
  /**
   * The generator's BatchNorm statistics when sampling: "standing" (those of
   * a fixed reference batch of 256 latents under the weights in use, right
   * for EMA weights too) or "running" (the running averages of training).
   */
  samplingStatistics: typeof SAMPLING_STATISTICS[number];
  /**
   * Text-conditioned models only (no preset has it): each network encodes
   * the prompt with its own prompt encoder (`models/text/encoder.ts`); the
   * generator concatenates the prompt vector to z, the discriminator
   * broadcasts it as constant channels of its input, as a conditional
   * model does with its one-hot label. Labels or text, not both.
   */
  text?: TextConfig;
};

/** Names of the built-in presets. */
export type GanPresetName =
  | "dcgan"
  | "dcgan-small"
  | "dcgan-large"
  | "cgan"
  | "cgan-small"
  | "cgan-large";

/**
 * The canonical DCGAN (see `shared/spec/canonical-models.md`): z of 64;
 * G Dense(64->6272) BN ReLU, ConvT(128->64, k4 s2) BN ReLU, ConvT(64->1,
 * k4 s2) tanh; D Conv(1->64, k4 s2) LReLU, Conv(64->128, k4 s2) BN LReLU,
 * Dense(6272->1); non-saturating loss; 691330 parameters (G 552513, D
 * 138817). The spec trains it with Adam 2e-4, betas (0.5, 0.999); the
 * family's recipe (family.ts) trains an unconditional run at 2e-3.
 */
const dcgan = {
  imageSize: 28,
  channels: 1,
  latentSize: 64,
  baseWidth: 64,
  conditional: false,
  classes: 10,
  loss: "non-saturating",
  realLabel: 1,
  spectralNorm: false,
  discriminatorBatchNorm: true,
  minibatchStd: false,
  r1Gamma: 0,
  r1Interval: 16,
  samplingStatistics: "standing",
} satisfies GanConfig;

/** The canonical cgan: dcgan with labels; 764290 parameters (G 615233, D 149057). */
const cgan = { ...dcgan, conditional: true } satisfies GanConfig;

/** Half the width and latent: 32/64 channels, z of 32; 179778 parameters (cgan-small 216258). */
const small = { latentSize: 32, baseWidth: 32 };
/** Twice the width and latent: 128/256 channels, z of 128; 2709762 parameters (cgan-large 2855682). */
const large = { latentSize: 128, baseWidth: 128 };

/** Every preset by name. `dcgan` and `cgan` are canonical; keep them exact. */
export const GAN_PRESETS: Readonly<
  Record<GanPresetName, Readonly<GanConfig>>
> = {
  dcgan,
  "dcgan-small": { ...dcgan, ...small },
  "dcgan-large": { ...dcgan, ...large },
  cgan,
  "cgan-small": { ...cgan, ...small },
  "cgan-large": { ...cgan, ...large },
};

/** Throws unless `value` is one of `choices`. */
function checkChoice(
  key: string,
  value: string,
  choices: readonly string[],
): void {
  if (!choices.includes(value)) {
    throw new Error(
      `gan config key "${key}" must be ${choices.join(", ")}; got "${value}"`,
    );
  }
}

/**
 * Checks the ranges of a config's values (types are checked by
 * {@link resolveGanConfig}).
 *
 * @throws Error naming the first key whose value is out of range.
 */
function checkGanConfig(config: GanConfig): void {
  checkWhole("gan", "imageSize", config.imageSize, 4);
  checkMultiple("gan", "imageSize", config.imageSize, 4);
  checkWhole("gan", "channels", config.channels);
  checkWhole("gan", "latentSize", config.latentSize);
  checkWhole("gan", "baseWidth", config.baseWidth);
  checkWhole("gan", "classes", config.classes);
  checkWhole("gan", "r1Interval", config.r1Interval);
  if (!(config.r1Gamma >= 0)) {
    throw new Error(
      `gan config key "r1Gamma" must be 0 or more, got ${config.r1Gamma}`,
    );
  }
  checkChoice("loss", config.loss, GAN_LOSSES);
  checkChoice(
    "samplingStatistics",
    config.samplingStatistics,
    SAMPLING_STATISTICS,
  );
  if (!(config.realLabel > 0 && config.realLabel <= 1)) {
    throw new Error(
      `gan config key "realLabel" must be in (0, 1], got ${config.realLabel}`,
    );
  }
  if (config.loss === "hinge" && config.realLabel !== 1) {
    throw new Error(
      `gan config key "realLabel" (label smoothing) does not apply to the hinge loss`,
    );
  }
}

/**
 * Looks a preset up by name.
 *
 * @param name E.g. "dcgan".
 * @returns A fresh copy of the preset's config.
 * @throws Error naming the unknown preset and listing the known ones.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ganPreset } from "./presets.ts";
 * assert.equal(ganPreset("cgan").conditional, true);
 * ```
 */
export function ganPreset(name: string): GanConfig {
  return presetFrom("gan", GAN_PRESETS, name);
}

/**
 * A preset with some of its keys overridden, checked strictly: every
 * override must name a key of the config and keep its type, and the result
 * must be in range.
 *
 * @param name The preset to start from, e.g. "dcgan".
 * @param overrides Keys to replace, e.g. `{ loss: "hinge", spectralNorm: true }`.
 * @returns The full config.
 * @throws Error naming an unknown preset, an unknown key, a key given a
 * value of the wrong type, or a value out of range.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveGanConfig } from "./presets.ts";
 * const config = resolveGanConfig("dcgan", { realLabel: 0.9 });
 * assert.deepEqual([config.realLabel, config.loss], [0.9, "non-saturating"]);
 * ```
 */
export function resolveGanConfig(
  name: string,
  overrides: Readonly<Record<string, unknown>> = {},
): GanConfig {
  // `text` is in no preset: resolved apart from the preset's keys.
  const { text, ...rest } = overrides;
  const config = resolvePreset("gan", GAN_PRESETS, name, rest, checkGanConfig);
  if (text === undefined) return config;
  if (config.conditional) {
    throw new Error(
      "a gan conditions on class labels (conditional) or on text, not both",
    );
  }
  return { ...config, text: resolveTextConfig(text, "gan") };
}
