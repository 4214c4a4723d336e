/**
 * What a model family declares: its presets and `--set` keys, its training
 * recipe, its picture kinds and sampling options (with their parsing and
 * checks), and the functions that build, draw, encode and measure its
 * models. The CLI knows families only through this: it renders their help
 * and parses their flags from these declarations, so adding a family is
 * adding its folder and one line in registry.ts.
 *
 * @module
 */
import type { tf } from "@genwasm/backend/tf";
import type { Picture } from "@genwasm/data/image_grid";
import type { ImageSet } from "@genwasm/data/image_set";
import type { EvaluationClassifier } from "@genwasm/eval/sample_quality";
import type {
  ProgressCallback,
  TrainableModel,
  TrainingHyperparameters,
  TrainingRecipe,
} from "./contract.ts";
import type { TorchMapping } from "./torch_layout.ts";

/**
 * One flag of `sample` (and of `eval`, when the family lists it in
 * `evaluationOptions`) that a family honours, e.g. `--temperature T`: its
 * help, and how the typed text becomes the option's value.
 */
export type SampleOptionSpec<T> =
  & {
    /** The flag without dashes, e.g. "temperature". */
    readonly flag: string;
    /** Help after the flag; lines after the first are indented under it. */
    readonly help: string;
    /**
     * Checks a value against the data the run trained on (e.g. a class
     * below the data's classes); throws an Error saying why not.
     */
    check?(value: T, data: { name: string; classes: number }): void;
  }
  & (
    | {
      /** Placeholder of the value in help, e.g. "T". */
      readonly value: string;
      /** The value of the typed text; throws an Error naming the flag. */
      parse(text: string): T;
      /**
       * The flag may be given several times (`--prompt A --prompt B`):
       * `parse` reads each, and the option is their lists joined, so `T`
       * is a list.
       */
      readonly repeatable?: boolean;
    }
    | {
      readonly value?: undefined;
      /** A switch such as `--no-clip`: the value it sets. */
      readonly switchValue: T;
    }
  );

/** A family's sampling options: one spec per optional field of its requests. */
export type SampleOptionSpecs<O> = {
  readonly [K in keyof O]-?: SampleOptionSpec<Exclude<O[K], undefined>>;
};

/**
 * What `sample` asks a family to draw: a grid of `count` images, pixels in
 * [0, 1], plus the family's own options (`O`) the user gave.
 */
export type SampleRequest<O = Record<string, unknown>> = {
  count: number;
  seed: number;
  /** One of the family's `sampleKinds`, e.g. "samples", "reconstructions". */
  kind: string;
  /** Test images for kinds that start from data (reconstructions, interpolation). */
  test: ImageSet;
  /** Told of each step of a long draw (the CLI's progress bar); default none. */
  progress?: ProgressCallback;
} & Partial<O>;

/** Data an evaluation may use. */
export interface EvaluationData<O = Record<string, unknown>> {
  train: ImageSet;
  test: ImageSet;
  /** A trained evaluation classifier, when one is at hand: sample FID, IS, modes. */
  classifier?: EvaluationClassifier;
  /** `eval --samples N`: how many samples to draw and score; default the family's. */
  samples?: number;
  /** `eval`'s sampling flags, those in the family's `evaluationOptions`. */
  sampling?: Partial<O>;
  /** Told of each step of a long draw (the CLI's progress bar); default none. */
  progress?: ProgressCallback;
  /**
   * Takes a picture the evaluation made, by name (e.g. a text model's
   * `prompts` grid); `eval` writes it as `RUN/eval/NAME.png`. Default: the
   * pictures are dropped.
   */
  picture?(name: string, picture: Picture): void;
}

/**
 * A `--set KEY=VALUE` key that sets the run's training options (the
 * optimiser's) instead of a key of the model's config.
 */
export interface TrainingSetting {
  /** The `train` flag that sets the same option (e.g. "lr"): not both. */
  readonly flag?: string;
  /**
   * The options to change for `value` (nested objects replaced, never
   * changed in place), given the run's current ones.
   *
   * @throws Error naming the key for a bad value.
   */
  set(
    value: unknown,
    current: Readonly<Partial<TrainingHyperparameters>>,
  ): Partial<TrainingHyperparameters>;
}

/** What `train` tells `create` about the data, beyond the preset's keys. */
export interface ModelData {
  /** Number of classes in the data (conditional models, classifiers). */
  classes?: number;
}

/**
 * One model family as the CLI sees it. `M` is the family's model type, `O`
 * its sampling options: every function gets the model `create` built, as
 * its own type.
 */
export interface ModelFamily<
  M extends TrainableModel = TrainableModel,
  O extends object = Record<string, unknown>,
> {
  /** Family name, e.g. "vae". */
  readonly name: string;
  /** One line for `--help`. */
  readonly summary: string;
  /** Preset names this family builds. */
  readonly presets: readonly string[];
  /**
   * The model config keys `--set KEY=VALUE` sets (every preset has them
   * all; `create` checks their types and ranges).
   */
  readonly configKeys: readonly string[];
  /**
   * `--set` keys that set the run's optimiser rather than the model, e.g.
   * a GAN's `generatorLr`.
   */
  readonly trainingSettings?: Readonly<Record<string, TrainingSetting>>;
  /**
   * Config keys that checkpoints of earlier versions hold and the config
   * no longer has (training options since, e.g. `learningRate`): dropped
   * when such a checkpoint is loaded.
   */
  readonly retiredKeys?: readonly string[];
  /**
   * A stored config as its model was built, where it predates a change of
   * the family's defaults: a key it lacks gets the value it was trained
   * with, not today's default (a ddpm text block from before `injection`
   * is "pooled"). Applied when a checkpoint is loaded, after
   * `retiredKeys` are dropped.
   */
  readonly storedConfig?: (
    config: Readonly<Record<string, unknown>>,
  ) => Record<string, unknown>;
  /**
   * Help for `train --help`: the `--set` keys, one or more per line,
   * indented two spaces; every KEY= it names is a config key or a training
   * setting above.
   */
  readonly optionsHelp?: string;
  /** Recommended training hyper-parameters (flags override them). */
  readonly training: TrainingRecipe;
  /**
   * Where the recommended hyper-parameters of one kind of run depart from
   * `training` (flags override these too): called with the preset and the
   * condition the run asks for (`--conditional`: "class", `--condition
   * text`: "text", else undefined), e.g. a faster learning rate for an
   * unconditional GAN only.
   */
  readonly trainingFor?: (
    preset: string,
    condition: "class" | "text" | undefined,
  ) => TrainingRecipe;
  /**
   * Data the family trains on (default ["images"]). Image families take
   * `imageSize` and `channels` config keys, which `train` sets from the data;
   * "points" families train on the toy 2-D sets, seen as (count, 1, 1, 2).
   */
  readonly dataKinds?: readonly ("images" | "points")[];
  /**
   * Whether `train --condition text` applies: the family's config takes a
   * `text` block (prompt encoder, vocabulary, captions) whose `dataset`
   * and `heldOut` keys `train` sets from `--data` and `--held-out`.
   */
  readonly textCondition?: boolean;
  /** Picture kinds `sample --kind` accepts; the first is the default. */
  readonly sampleKinds: readonly string[];
  /**
   * The `sample` flags this family honours, by request field; `sample`
   * refuses the others with a usage error (e.g. `--guidance` for a VAE).
   */
  readonly sampleOptions?: SampleOptionSpecs<O>;
  /** The fields of `sampleOptions` that `eval` takes too; default none. */
  readonly evaluationOptions?: readonly (keyof O & string)[];
  /**
   * Builds a model from a preset and config overrides (checked strictly:
   * unknown keys or wrong types throw), with weights from `seed`. A
   * checkpoint's config passed as overrides rebuilds the same model.
   */
  create(
    preset: string,
    overrides: Record<string, unknown>,
    seed: number,
    data?: ModelData,
  ): M;
  /** The picture for `sample`. Runs inside tf.tidy. */
  sample(model: M, request: SampleRequest<O>): tf.Tensor4D;
  /**
   * Cheaper metrics measured while training (`train --eval-every N`), e.g.
   * FID on 1,000 samples and modes covered; the trainer logs and plots
   * them. Defaults to nothing.
   */
  monitor?(model: M, data: EvaluationData<O>): Promise<Record<string, number>>;
  /**
   * Latent code of each image, (batch, codeSize), for `encode` (models
   * with an encoder: the AE's code, the VAE's posterior mean). Runs inside
   * tf.tidy; images in the model's pixel range.
   */
  encode?(model: M, images: tf.Tensor4D): tf.Tensor2D;
  /** Metrics for `eval` and the end of `train`, as plain numbers. */
  evaluate(model: M, data: EvaluationData<O>): Promise<Record<string, number>>;
  /**
   * The model's weights as a PyTorch state dict of its reference module in
   * bench/peers/models.py (`export`, `import`): each variable's key and
   * layout (see torch_layout.ts). Absent for families with no reference
   * module; throws an Error naming the config key for a config the
   * reference module does not take.
   */
  torch?(model: M): TorchMapping;
}
