/**
 * The GAN family as the CLI's registry sees it: presets, recipe, pictures,
 * and sample-quality metrics (with the evaluation classifier, when one is
 * trained).
 *
 * @module
 */
import { mulberry32 } from "../../data/random.ts";
import type { ModelFamily, ModelRecipe } from "../registry.ts";
import { createGan, type Gan } from "./gan.ts";
import { GAN_PRESETS } from "./presets.ts";
import { ganSampleMetrics } from "./quality.ts";

/** Samples scored by `train --eval-every` (cheap) and by `eval`. */
const MONITOR_SAMPLES = 1000;
const EVALUATION_SAMPLES = 10000;
/** Columns of the CLI's pictures. */
const COLUMNS = 8;

/** Config keys the run's flags fill in, unless `--set` gave them. */
function recipeKeys(
  recipe: ModelRecipe,
  overrides: Record<string, unknown>,
): Record<string, unknown> {
  const keys: Record<string, unknown> = {};
  if (recipe.classes !== undefined) keys.classes = recipe.classes;
  if (recipe.learningRate !== undefined) {
    keys.generatorLr = keys.discriminatorLr = recipe.learningRate;
  }
  return { ...keys, ...overrides };
}

/**
 * The GAN family: canonical `dcgan` and `cgan` (class-conditional), with
 * `-small` and `-large` sizes. Config keys (`--set KEY=VALUE`): `loss`
 * non-saturating | hinge | least-squares, `realLabel` (0.9 = one-sided
 * label smoothing), `spectralNorm`, `discriminatorBatchNorm`,
 * `generatorLr`, `discriminatorLr`, `beta1`, `beta2`, `latentSize`,
 * `baseWidth`, `conditional`, `samplingStatistics` standing | running.
 * The recipe keeps an EMA (0.999) of the weights; samples use it.
 */
export const ganFamily: ModelFamily = {
  name: "gan",
  summary:
    "DCGAN; cgan adds class labels (sample --class N); --set loss=hinge etc.",
  optionsHelp:
    `  loss=non-saturating|hinge|least-squares  adversarial loss (default non-saturating)
  realLabel=0.9          one-sided label smoothing: D's target for real images (default 1)
  spectralNorm=true      spectral normalisation of every D weight (default false)
  discriminatorBatchNorm=false  drop D's BatchNorm (e.g. with spectralNorm)
  generatorLr=X discriminatorLr=X  Adam step sizes (default 2e-4; --lr sets both)
  beta1=0.5 beta2=0.999  Adam betas of both networks
  latentSize=N baseWidth=N  noise length and width (-small: 32/32, -large: 128/128)
  samplingStatistics=standing|running  generator BatchNorm statistics when sampling
  GANs keep an EMA (0.999) of the weights by default; sample and eval use it
  (--raw: the raw weights; train --ema 0: no EMA).`,
  presets: Object.keys(GAN_PRESETS),
  training: { learningRate: 2e-4, batchSize: 64, emaDecay: 0.999 },
  sampleKinds: ["samples", "interpolation"],
  sampleOptions: ["classLabel"],
  // The GAN keeps its learning rates and classes in its config (and so in
  // checkpoints); --lr sets both networks' rates.
  create: (preset, overrides, seed, recipe = {}) =>
    createGan(
      { preset, ...recipeKeys(recipe, overrides) },
      mulberry32(seed),
    ),
  sample(model, { count, seed, kind, classLabel }) {
    const gan = model as Gan;
    if (kind === "interpolation") {
      // Strips of 8 steps, one per picture row.
      const strips = Math.max(1, Math.floor(count / COLUMNS));
      return gan.interpolate(strips, COLUMNS, seed, classLabel);
    }
    if (gan.generator.classes > 0 && classLabel === undefined) {
      // One row per class (more rows per class when count allows).
      const rows = Math.floor(count / (COLUMNS * gan.generator.classes));
      return gan.classGrid(COLUMNS, seed, Math.max(1, rows));
    }
    return gan.sample(count, seed, classLabel);
  },
  monitor: (model, { classifier }) =>
    Promise.resolve(
      classifier
        ? ganSampleMetrics(model as Gan, classifier, MONITOR_SAMPLES)
        : {},
    ),
  evaluate: (model, { classifier, samples }) =>
    Promise.resolve(
      classifier
        ? ganSampleMetrics(
          model as Gan,
          classifier,
          samples ?? EVALUATION_SAMPLES,
        )
        : {},
    ),
};
