/**
 * The pieces families declare their options with: readers of typed values
 * (each error names the flag or key), the sampling options more than one
 * family honours (`--class`, `--temperature`), and the `--set` keys that
 * set the run's optimiser rather than the model (`learningRate`, a GAN's
 * `generatorLr`, Adam's betas). See family.ts for where they go.
 *
 * @module
 */
import type {
  GroupOptimizerSettings,
  TrainingHyperparameters,
} from "./contract.ts";
import type { SampleOptionSpec, TrainingSetting } from "./family.ts";

/**
 * Reads a whole number typed for `--flag`.
 *
 * @param flag The flag's name without dashes, for the message.
 * @param text The value as typed.
 * @param minimum Smallest allowed value; default 1.
 * @throws Error unless `text` is a whole number >= `minimum`.
 *
 * @example
 * ```ts
 * import { readWholeNumber } from "./options.ts";
 * console.log(readWholeNumber("steps", "300")); // 300
 * ```
 */
export function readWholeNumber(
  flag: string,
  text: string,
  minimum = 1,
): number {
  const value = Number(text);
  if (
    !/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(value) || value < minimum
  ) {
    throw new Error(
      `--${flag} must be a whole number >= ${minimum}, got "${text}"`,
    );
  }
  return value;
}

/**
 * Reads a finite number > 0 typed for `--flag`, such as a learning rate.
 *
 * @throws Error unless `text` is a finite number > 0.
 *
 * @example
 * ```ts
 * import { readPositiveNumber } from "./options.ts";
 * console.log(readPositiveNumber("lr", "1e-3")); // 0.001
 * ```
 */
export function readPositiveNumber(flag: string, text: string): number {
  const value = Number(text);
  if (text.trim() === "" || !Number.isFinite(value) || value <= 0) {
    throw new Error(`--${flag} must be a number > 0, got "${text}"`);
  }
  return value;
}

/** `--class N`: draw only class N (conditional models). */
export const CLASS_OPTION: SampleOptionSpec<number> = {
  flag: "class",
  value: "N",
  help: "draw only class N (conditional models: cgan, ddpm --conditional);\n" +
    "without it they draw one row per class",
  parse: (text) => readWholeNumber("class", text, 0),
  check(value, data) {
    if (value >= data.classes) {
      throw new Error(
        `--class must be below ${data.classes} (the classes of ${data.name}), got ${value}`,
      );
    }
  },
};

/**
 * `--prompt TEXT` (repeatable): the prompts of a text-conditioned model,
 * one grid row each; `""` is the empty prompt.
 */
export const PROMPT_OPTION: SampleOptionSpec<string[]> = {
  flag: "prompt",
  value: "TEXT",
  repeatable: true,
  help: 'draw a row from this prompt, e.g. "a thin three leaning left"\n' +
    '(text ddpm, gan; repeatable, one row each; "" is the empty prompt)',
  parse: (text) => [text],
};

/** `--temperature T`: scale of the prior's noise (flows). */
export const TEMPERATURE_OPTION: SampleOptionSpec<number> = {
  flag: "temperature",
  value: "T",
  help: "scale of the prior noise, e.g. 0.7 (flow, flow2d; default 1)",
  parse: (text) => readPositiveNumber("temperature", text),
};

/** Throws unless a `--set` value is a number in the range `accepts` tells. */
function numberSetting(
  key: string,
  value: unknown,
  accepts: (value: number) => boolean,
  range: string,
): number {
  if (typeof value !== "number" || !Number.isFinite(value) || !accepts(value)) {
    throw new Error(
      `--set ${key} must be a number ${range}, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/**
 * `--set learningRate=X`: the run's Adam step size, as `--lr X` sets it
 * (kept for the families whose config held it before it became a training
 * option).
 */
export const LEARNING_RATE_SETTING: TrainingSetting = {
  flag: "lr",
  set: (value) => ({
    learningRate: numberSetting("learningRate", value, (x) => x > 0, "> 0"),
  }),
};

/**
 * `--set KEY=X`: Adam's step size of one variable group (e.g. a GAN's
 * generator), instead of the run's.
 *
 * @example
 * ```ts
 * import { groupLearningRate } from "./options.ts";
 * const setting = groupLearningRate("generatorLr", "generator");
 * console.log(setting.set(1e-4, { groups: {} })); // { groups: { generator: { learningRate: 0.0001 } } }
 * ```
 */
export function groupLearningRate(key: string, group: string): TrainingSetting {
  return {
    set(value, { groups = {} }) {
      const learningRate = numberSetting(key, value, (x) => x > 0, "> 0");
      const own: GroupOptimizerSettings = { ...groups[group], learningRate };
      return { groups: { ...groups, [group]: own } };
    },
  };
}

/** `--set beta1=X` or `beta2=X`: Adam's beta of every group, in [0, 1). */
export function adamBeta(key: "beta1" | "beta2"): TrainingSetting {
  return {
    set: (value): Partial<TrainingHyperparameters> => ({
      [key]: numberSetting(key, value, (x) => x >= 0 && x < 1, "in [0, 1)"),
    }),
  };
}
