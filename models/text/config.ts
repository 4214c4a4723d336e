/**
 * The text block of a text-conditioned model's config (ddpm, gan): the
 * prompt vocabulary (so a checkpoint restores the tokeniser), the prompt
 * encoder's shape and where the training captions come from; its defaults
 * and its strict check.
 *
 * @module
 */
import {
  CAPTION_DATASETS,
  type CaptionDataset,
} from "@genwasm/data/captions/attribute_classes";
import {
  type HeldOutPair,
  maxCaptionTokens,
  parseHeldOutPairs,
} from "@genwasm/data/captions/captioner";
import {
  captionVocabulary,
  Vocabulary,
} from "@genwasm/data/captions/tokenizer";
import { applyOverrides } from "../_presets.ts";
import { checkTextEncoderConfig } from "./encoder.ts";

/**
 * The prompt side of a text-conditioned model: the tokeniser's
 * vocabulary (so a checkpoint's config restores it), the encoder's shape
 * (see `models/text/encoder.ts`), and the captioner's settings.
 */
export type TextConfig = {
  /** Tokens by id, `<pad>` first: `Vocabulary.toJson().tokens`. */
  vocabulary: string[];
  /** Tokens per prompt (longer prompts are refused). */
  tokens: number;
  /** Width of the encoder's token vectors. */
  width: number;
  /** Attention heads of each encoder block. */
  heads: number;
  /** Transformer blocks of the encoder. */
  layers: number;
  /** Whose captions the training images get: "mnist" or "fashion". */
  dataset: CaptionDataset;
  /** Attribute-class pairs never spoken of in training captions. */
  heldOut: HeldOutPair[];
};

/**
 * The text settings a text model starts from: the captioner's vocabulary
 * of both data sets (130 tokens), room for its longest caption (17
 * tokens), a 64-wide encoder of 2 blocks with 4 heads, MNIST captions,
 * nothing held out.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultTextConfig } from "./config.ts";
 * const text = defaultTextConfig();
 * assert.deepEqual([text.vocabulary[0], text.tokens, text.width], ["<pad>", 17, 64]);
 * ```
 */
export function defaultTextConfig(): TextConfig {
  return {
    vocabulary: captionVocabulary().toJson().tokens,
    tokens: Math.max(...CAPTION_DATASETS.map(maxCaptionTokens)),
    width: 64,
    heads: 4,
    layers: 2,
    dataset: "mnist",
    heldOut: [],
  };
}

/**
 * A text config from {@link defaultTextConfig} with `overrides` applied
 * strictly, checked.
 *
 * @throws Error naming an unknown key, a mistyped or bad value.
 */
export function resolveTextConfig(
  overrides: unknown,
  family: string,
): TextConfig {
  if (
    overrides === null || typeof overrides !== "object" ||
    Array.isArray(overrides)
  ) {
    throw new Error(
      `${family} config key "text" must be an object, got ${
        JSON.stringify(overrides)
      }`,
    );
  }
  const text = applyOverrides(
    `${family} text`,
    defaultTextConfig(),
    overrides as Record<string, unknown>,
  );
  const vocabulary = Vocabulary.fromJson({ tokens: text.vocabulary });
  checkTextEncoderConfig({
    vocabularySize: vocabulary.size,
    maxTokens: text.tokens,
    width: text.width,
    heads: text.heads,
    layers: text.layers,
    outputWidth: 1,
  });
  if (!CAPTION_DATASETS.includes(text.dataset)) {
    throw new Error(
      `${family} text key "dataset" must be ${
        CAPTION_DATASETS.join(" or ")
      }, got "${text.dataset}"`,
    );
  }
  // Checks each pair against the data set's attribute classes and labels.
  parseHeldOutPairs(
    text.heldOut.map((pair) => `${pair?.value}:${pair?.label}`).join(","),
    text.dataset,
  );
  return text;
}
