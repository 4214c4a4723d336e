/**
 * Reads back what a prompt asks for: the class it names and the attribute
 * classes it speaks of, by the captioner's own words. An evaluation uses it
 * to know which thickness or slant a generated image should show; a
 * caption read back gives the choices it was written from.
 *
 * @module
 */
import {
  type AttributeName,
  type CaptionDataset,
  DATASET_ATTRIBUTES,
  type ImageAttributes,
} from "./attribute_classes.ts";
import {
  ATTRIBUTE_WORDS,
  type AttributeWords,
  CLASS_NAMES,
} from "./caption_words.ts";
import { tokenize } from "./tokenizer.ts";

/** What a prompt asks for. */
export interface PromptRequest {
  /** The class named, if any. */
  label?: number;
  /** The attribute classes spoken of. */
  attributes: ImageAttributes;
}

/** A phrase of the captioner's tables and what it means. */
interface Phrase {
  tokens: string[];
  label?: number;
  attribute?: AttributeName;
  value?: string;
}

const PHRASES = new Map<CaptionDataset, Phrase[]>();

/** Every class name and attribute wording of `dataset`, longest first. */
function phrases(dataset: CaptionDataset): Phrase[] {
  let found = PHRASES.get(dataset);
  if (found) return found;
  found = [];
  CLASS_NAMES[dataset].forEach((names, label) => {
    for (const name of names) {
      found!.push({ tokens: tokenize(name.text), label });
    }
  });
  for (const attribute of DATASET_ATTRIBUTES[dataset]) {
    const table = ATTRIBUTE_WORDS[attribute] as Record<string, AttributeWords>;
    for (const [value, words] of Object.entries(table)) {
      for (const text of [...words.before, ...words.after]) {
        found.push({ tokens: tokenize(text), attribute, value });
      }
    }
  }
  found.sort((a, b) => b.tokens.length - a.tokens.length);
  PHRASES.set(dataset, found);
  return found;
}

/**
 * Finds the class and attribute classes a prompt names, reading left to
 * right and taking at each word the longest class name or attribute
 * wording of the captioner's tables that starts there ("not slanted" is
 * upright, "slanted left" leaning left); other words are passed over.
 *
 * @param prompt Any text; an empty prompt asks for nothing.
 * @param dataset Whose class names and attributes to look for.
 * @returns The label (absent if no class is named) and the attributes.
 * @throws Error in one line when the prompt names two classes, or two
 * classes of one attribute ("thin" and "bold").
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readPrompt } from "./prompt_reader.ts";
 * assert.deepEqual(readPrompt("a thin three leaning left", "mnist"), {
 *   label: 3,
 *   attributes: { thickness: "thin", slant: "left" },
 * });
 * assert.deepEqual(readPrompt("T-shirt, in a light shade", "fashion"), {
 *   label: 0,
 *   attributes: { brightness: "light" },
 * });
 * ```
 */
export function readPrompt(
  prompt: string,
  dataset: CaptionDataset,
): PromptRequest {
  const tokens = tokenize(prompt);
  const request: PromptRequest = { attributes: {} };
  const attributes = request.attributes as Record<string, string>;
  const said = new Map<string, string>(); // what named each finding, for errors
  let index = 0;
  while (index < tokens.length) {
    const phrase = phrases(dataset).find((candidate) =>
      candidate.tokens.every((token, offset) =>
        tokens[index + offset] === token
      )
    );
    if (!phrase) {
      index++;
      continue;
    }
    const text = phrase.tokens.join(" ");
    if (phrase.label !== undefined) {
      if (request.label !== undefined && request.label !== phrase.label) {
        throw new Error(
          `prompt "${prompt}" names two classes: "${
            said.get("label")
          }" and "${text}"`,
        );
      }
      request.label = phrase.label;
      said.set("label", text);
    } else {
      const attribute = phrase.attribute!;
      if (attributes[attribute] && attributes[attribute] !== phrase.value) {
        throw new Error(
          `prompt "${prompt}" contradicts itself on ${attribute}: "${
            said.get(attribute)
          }" and "${text}"`,
        );
      }
      attributes[attribute] = phrase.value!;
      said.set(attribute, text);
    }
    index += phrase.tokens.length;
  }
  return request;
}
