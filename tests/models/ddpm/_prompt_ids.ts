/** Prompt ids of the text ddpm tests, as the model's default text block pads them. */
import { tf } from "../../../backends/tf.ts";
import { captionVocabulary } from "../../../data/captions/tokenizer.ts";
import { defaultTextConfig } from "../../../models/ddpm/presets.ts";

/** Tokens of a prompt, padding included: the default text block's. */
export const TOKENS = defaultTextConfig().tokens;

/** The caption vocabulary every text model of the tests has. */
export const vocabulary = captionVocabulary();

/** Prompt ids of `prompts`, (count, {@link TOKENS}) int32. */
export const idsOf = (prompts: string[]): tf.Tensor2D =>
  tf.tensor2d(vocabulary.encodeBatch(prompts, TOKENS), [
    prompts.length,
    TOKENS,
  ], "int32");
