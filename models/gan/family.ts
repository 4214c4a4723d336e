/**
 * The GAN family as the CLI's registry sees it: presets, recipe, pictures,
 * and sample-quality metrics (with the evaluation classifier, when one is
 * trained).
 *
 * @module
 */
import { mulberry32 } from "@genwasm/data/random";
import { evaluatePrompts } from "@genwasm/eval/prompt_evaluation";
import type { ModelFamily } from "../family.ts";
import {
  adamBeta,
  CLASS_OPTION,
  groupLearningRate,
  LEARNING_RATE_SETTING,
  PROMPT_OPTION,
} from "../options.ts";
import { createGan, type Gan } from "./gan.ts";
import { GAN_PRESETS, ganPreset } from "./presets.ts";
import { ganSampleMetrics } from "./quality.ts";
import { ganTorchNames } from "./torch_names.ts";

/** Samples scored by `train --eval-every` (cheap) and by `eval`. */
const MONITOR_SAMPLES = 1000;
const EVALUATION_SAMPLES = 10000;
/**
 * Samples `eval` draws from a text GAN's fixed prompts (33 per MNIST
 * prompt, 100 per Fashion-MNIST one): fewer, since each is a pass of the
 * prompt encoder too, about 20 ms an image on two loaded threads.
 */
const TEXT_EVALUATION_SAMPLES = 2000;
/**
 * Issue 19's recipe for unconditional GANs, by measured curves (canonical
 * dcgan, batch 64, EMA 0.999): both networks at Adam 2e-3 (betas 0.5,
 * 0.999) reach MNIST-FID 27.6 after 5000 steps (10000 EMA samples), 1e-3
 * 31.3, DCGAN's 2e-4 51.6. At 2e-4, spectral norm, the hinge loss, D
 * without BatchNorm, the minibatch standard deviation and R1 (gamma 1 or
 * 10) each left the FID at step 1000 (1000 samples) at 102-125, against
 * 103; 2e-3 brought it to 48. Labelled and text runs keep DCGAN's 2e-4,
 * where they were measured.
 */
const UNCONDITIONAL_RECIPE = { learningRate: 2e-3 };

/** Columns of the CLI's pictures. */
const COLUMNS = 8;

/**
 * The GAN family: canonical `dcgan` and `cgan` (class-conditional), with
 * `-small` and `-large` sizes. Config keys (`--set KEY=VALUE`): `loss`
 * non-saturating | hinge | least-squares, `realLabel` (0.9 = one-sided
 * label smoothing), `spectralNorm`, `discriminatorBatchNorm`,
 * `minibatchStd`, `r1Gamma`, `r1Interval`, `latentSize`,
 * `baseWidth`, `conditional`, `samplingStatistics` standing | running; and
 * the optimiser's `generatorLr`, `discriminatorLr`, `beta1`, `beta2`
 * (training options). The recipe keeps an EMA (0.999) of the weights;
 * samples use it.
 */
export const ganFamily: ModelFamily<
  Gan,
  { classLabel?: number; prompts?: string[] }
> = {
  name: "gan",
  summary:
    "DCGAN; cgan adds class labels (sample --class N); --set loss=hinge etc.",
  optionsHelp:
    `  loss=non-saturating|hinge|least-squares  adversarial loss (default non-saturating)
  realLabel=0.9          one-sided label smoothing: D's target for real images (default 1)
  spectralNorm=true      spectral normalisation of every D weight (default false)
  discriminatorBatchNorm=false  drop D's BatchNorm (e.g. with spectralNorm)
  minibatchStd=true      D also reads the batch's feature spread (ProGAN; default false)
  r1Gamma=X r1Interval=N  R1 penalty on D's gradient at real images, every N steps
                         (default 0: off; interval 16)
  generatorLr=X discriminatorLr=X  Adam step sizes (default 2e-3, with labels or
                         text 2e-4; --lr sets both)
  beta1=0.5 beta2=0.999  Adam betas of both networks
  latentSize=N baseWidth=N  noise length and width (-small: 32/32, -large: 128/128)
  samplingStatistics=standing|running  generator BatchNorm statistics when sampling
  --condition text [--held-out thick:4,...]  prompts instead of labels (also for
  cgan): each network encodes the caption; sample --prompt TEXT
  GANs keep an EMA (0.999) of the weights by default; sample and eval use it
  (--raw: the raw weights; train --ema 0: no EMA).`,
  presets: Object.keys(GAN_PRESETS),
  configKeys: Object.keys(GAN_PRESETS.dcgan),
  // --lr sets both networks' rates; these set one network's, or the betas.
  trainingSettings: {
    learningRate: LEARNING_RATE_SETTING,
    generatorLr: groupLearningRate("generatorLr", "generator"),
    discriminatorLr: groupLearningRate("discriminatorLr", "discriminator"),
    beta1: adamBeta("beta1"),
    beta2: adamBeta("beta2"),
  },
  // Older checkpoints kept these training options in the config.
  retiredKeys: ["generatorLr", "discriminatorLr", "beta1", "beta2"],
  // DCGAN's Adam: 2e-4, betas (0.5, 0.999).
  training: {
    learningRate: 2e-4,
    beta1: 0.5,
    beta2: 0.999,
    batchSize: 64,
    emaDecay: 0.999,
  },
  trainingFor: (preset, condition) =>
    condition === undefined && !ganPreset(preset).conditional
      ? UNCONDITIONAL_RECIPE
      : {},
  textCondition: true,
  sampleKinds: ["samples", "interpolation"],
  sampleOptions: { classLabel: CLASS_OPTION, prompts: PROMPT_OPTION },
  // The GAN keeps its classes in its config (and so in checkpoints).
  create: (preset, overrides, seed, data = {}) =>
    createGan(
      {
        preset,
        ...(data.classes !== undefined ? { classes: data.classes } : {}),
        ...overrides,
      },
      mulberry32(seed),
    ),
  sample(gan, { count, seed, kind, classLabel, prompts }) {
    if (gan.config.text) {
      if (classLabel !== undefined) {
        throw new Error(
          `--class: ${gan.preset} is text-conditioned; ask for a class with --prompt`,
        );
      }
      if (kind !== "interpolation") {
        // One row per prompt; without prompts one per class (generate's grid).
        return prompts
          ? gan.samplePrompts(
            prompts.flatMap((prompt) =>
              new Array<string>(COLUMNS).fill(prompt)
            ),
            seed,
          )
          : gan.generate(count, seed);
      }
    } else if (prompts !== undefined) {
      throw new Error(
        "--prompt needs a text-conditioned model (train with --condition text)",
      );
    }
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
  monitor: (gan, { classifier }) =>
    Promise.resolve(
      classifier ? ganSampleMetrics(gan, classifier, MONITOR_SAMPLES) : {},
    ),
  evaluate(gan, { classifier, samples, picture }) {
    if (classifier && gan.config.text) {
      // The fixed prompt set: agreement, and FID etc. of the same samples.
      const { metrics, pictures } = evaluatePrompts(
        (prompts, seed) => gan.samplePrompts(prompts, seed),
        {
          dataset: gan.config.text.dataset,
          heldOut: gan.config.text.heldOut,
          samples: samples ?? TEXT_EVALUATION_SAMPLES,
          classifier,
          chunk: 1000,
        },
      );
      for (const [name, grid] of Object.entries(pictures)) {
        picture?.(name, grid);
      }
      return Promise.resolve(metrics);
    }
    return Promise.resolve(
      classifier
        ? ganSampleMetrics(
          gan,
          classifier,
          samples ?? EVALUATION_SAMPLES,
        )
        : {},
    );
  },
  // The state dict of its reference module (export, import).
  torch: (model) => ganTorchNames(model.preset, model.config),
};
