/**
 * Prompts for training images: each image captioned by a seeded
 * {@link Captioner} from its label and its measured attributes, and the
 * caption encoded with the model's vocabulary. An image's attributes are
 * measured once (the first time it is asked for) and kept; its caption is
 * drawn afresh each time, so an image seen once per epoch gets a new
 * wording each epoch.
 *
 * @module
 */
import {
  type CaptionDataset,
  describeImage,
  type ImageAttributes,
} from "@genwasm/data/captions/attribute_classes";
import { Captioner, type HeldOutPair } from "@genwasm/data/captions/captioner";
import { Vocabulary } from "@genwasm/data/captions/tokenizer";
import type { ImageSet } from "@genwasm/data/image_set";
import { mulberry32, type Random } from "@genwasm/data/random";
import { tf } from "@genwasm/backend/tf";

/** What {@link ImagePrompts} needs: a text model's text settings. */
export interface PromptSettings {
  /** Tokens by id, `<pad>` first. */
  vocabulary: readonly string[];
  /** Ids per prompt. */
  tokens: number;
  /** Whose class names and attributes the captions use. */
  dataset: CaptionDataset;
  /** Attribute-class pairs the captions never speak of. */
  heldOut: readonly HeldOutPair[];
}

/**
 * Captions images of a set and encodes them as prompt ids.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ImagePrompts } from "./captions.ts";
 * import { captionVocabulary } from "../../data/captions/tokenizer.ts";
 * import { mulberry32 } from "../../data/random.ts";
 * const prompts = new ImagePrompts({
 *   vocabulary: captionVocabulary().tokens, tokens: 17, dataset: "mnist", heldOut: [],
 * });
 * const set = { images: new Float32Array(2 * 784), labels: Uint8Array.of(3, 4), shape: [2, 28, 28, 1] as [number, number, number, number] };
 * const ids = prompts.ids(set, [1, 0], mulberry32(1));
 * assert.equal(ids.length, 2 * 17);
 * console.log(prompts.vocabulary.decode(ids.subarray(0, 17))); // e.g. "a handwritten four"
 * ```
 */
export class ImagePrompts {
  readonly vocabulary: Vocabulary;
  readonly captioner: Captioner;
  readonly tokens: number;
  readonly #measured = new WeakMap<
    ImageSet["images"],
    (ImageAttributes | undefined)[]
  >();

  /** @throws Error for a bad vocabulary or held-out pair. */
  constructor(settings: PromptSettings) {
    this.vocabulary = Vocabulary.fromJson({ tokens: [...settings.vocabulary] });
    this.captioner = new Captioner({
      dataset: settings.dataset,
      heldOut: settings.heldOut,
    });
    this.tokens = settings.tokens;
  }

  /** The attributes of image `index` of `set`, measured once. */
  attributes(
    set: Pick<ImageSet, "images" | "shape">,
    index: number,
  ): ImageAttributes {
    let measured = this.#measured.get(set.images);
    if (!measured) {
      measured = new Array(set.shape[0]);
      this.#measured.set(set.images, measured);
    }
    if (!measured[index]) {
      const [, height, width, channels] = set.shape;
      if (channels !== 1) {
        throw new Error(`captions need grey images, not ${channels} channels`);
      }
      const length = height * width;
      measured[index] = describeImage(
        set.images.subarray(index * length, (index + 1) * length),
        this.captioner.dataset,
        { width },
      );
    }
    return measured[index];
  }

  /**
   * One caption per listed image, drawn from `random`.
   *
   * @param set The images and their labels.
   * @param indices Which images, in order.
   * @param random Uniform numbers in [0, 1), e.g. `mulberry32(seed)`.
   */
  captions(
    set: Pick<ImageSet, "images" | "labels" | "shape">,
    indices: ArrayLike<number>,
    random: Random,
  ): string[] {
    return Array.from(indices, (index) =>
      this.captioner.captionAttributes(
        this.attributes(set, index),
        set.labels[index],
        random,
      ));
  }

  /**
   * {@link captions}, encoded: (indices, tokens) ids, row-major.
   *
   * @throws Error when a caption is longer than `tokens`.
   */
  ids(
    set: Pick<ImageSet, "images" | "labels" | "shape">,
    indices: ArrayLike<number>,
    random: Random,
  ): Int32Array {
    return this.vocabulary.encodeBatch(
      this.captions(set, indices, random),
      this.tokens,
    );
  }

  /**
   * The int32 (indices, tokens) tensor of {@link ids} with captions drawn
   * from `seed`: what a text model's `captionBatch` hands the trainer.
   */
  batch(
    set: Pick<ImageSet, "images" | "labels" | "shape">,
    indices: ArrayLike<number>,
    seed: number,
  ): tf.Tensor2D {
    return tf.tensor2d(
      this.ids(set, indices, mulberry32(seed)),
      [indices.length, this.tokens],
      "int32",
    );
  }
}
