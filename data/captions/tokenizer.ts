/**
 * The tokeniser for prompts: lower-case words and single digits, a closed
 * vocabulary (the captioner's words, so every caption it makes is
 * encodable), fixed-length id sequences padded with id 0, and refusal of
 * any word outside the vocabulary in one line that names the nearest known
 * words. The vocabulary travels as JSON, e.g. in a checkpoint's metadata.
 *
 * @module
 */
import { distance } from "fastest-levenshtein";
import {
  CAPTION_DATASETS,
  type CaptionDataset,
  DATASET_ATTRIBUTES,
} from "./attribute_classes.ts";
import { ATTRIBUTE_WORDS, CLASS_NAMES, TEMPLATES } from "./caption_words.ts";

/** The padding token; always id 0, and the only special token. */
export const PAD_TOKEN = "<pad>";

/** Id of {@link PAD_TOKEN}. */
export const PAD_ID = 0;

/** How many nearest known words a refusal names at most. */
const SUGGESTIONS = 3;

/**
 * Splits a prompt into tokens: lower-cased runs of letters, and each digit
 * on its own ("17" is "1", "7"); spaces and punctuation only separate.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tokenize } from "./tokenizer.ts";
 * assert.deepEqual(tokenize("Seven, bold stroke; T-shirt 17!"), ["seven", "bold", "stroke", "t", "shirt", "1", "7"]);
 * assert.deepEqual(tokenize("  ,. "), []);
 * ```
 */
export function tokenize(text: string): string[] {
  return text.toLowerCase().match(/\p{L}+|\p{N}/gu) ?? [];
}

/** The JSON form of a {@link Vocabulary}. */
export interface VocabularyJson {
  /** Tokens by id; the first is {@link PAD_TOKEN}. */
  tokens: string[];
}

/**
 * A closed vocabulary: token <-> id, with {@link PAD_TOKEN} as id 0.
 *
 * @example Encode, decode, refuse, and travel as JSON
 * ```ts
 * import assert from "node:assert/strict";
 * import { Vocabulary } from "./tokenizer.ts";
 * const vocabulary = new Vocabulary(["thin", "thick", "seven", "7"]);
 * assert.deepEqual([...vocabulary.encode("", 4)], [0, 0, 0, 0]); // unconditional
 * const seven = vocabulary.encode("Thick 7", 4);
 * assert.equal(vocabulary.decode(seven), "thick 7");
 * assert.throws(() => vocabulary.encode("thik seven", 4), /unknown word "thik" \(did you mean: thick, thin\)/);
 * const copy = Vocabulary.fromJson(JSON.parse(JSON.stringify(vocabulary.toJson())));
 * assert.deepEqual([...copy.encode("thick 7", 4)], [...seven]);
 * ```
 */
export class Vocabulary {
  /** Tokens by id. */
  readonly tokens: readonly string[];
  readonly #ids: ReadonlyMap<string, number>;

  /**
   * @param words The known words, each a single token as {@link tokenize}
   * makes them; duplicates are kept once, order is kept (ids follow it,
   * from 1).
   * @throws Error on a word that is not one token.
   */
  constructor(words: Iterable<string>) {
    const tokens = [PAD_TOKEN];
    const ids = new Map<string, number>([[PAD_TOKEN, PAD_ID]]);
    for (const word of words) {
      if (ids.has(word)) continue;
      const split = tokenize(word);
      if (split.length !== 1 || split[0] !== word) {
        throw new Error(
          `"${word}" is not one token (it reads as ${JSON.stringify(split)})`,
        );
      }
      ids.set(word, tokens.length);
      tokens.push(word);
    }
    this.tokens = tokens;
    this.#ids = ids;
  }

  /** Number of ids, the padding included: the embedding table's rows. */
  get size(): number {
    return this.tokens.length;
  }

  /** The id of a token, or undefined when it is not known. */
  id(token: string): number | undefined {
    return this.#ids.get(token);
  }

  /** True when `token` is a known word (not padding). */
  has(token: string): boolean {
    return token !== PAD_TOKEN && this.#ids.has(token);
  }

  /**
   * The known words nearest to `word` by edit distance (Levenshtein): all at
   * the smallest distance found, alphabetically, at most three.
   */
  nearest(word: string): string[] {
    let best = Infinity;
    let found: string[] = [];
    for (const known of this.tokens) {
      if (known === PAD_TOKEN) continue;
      const far = distance(word, known);
      if (far < best) [best, found] = [far, [known]];
      else if (far === best) found.push(known);
    }
    return found.sort().slice(0, SUGGESTIONS);
  }

  /**
   * Ids of a prompt's tokens, padded with {@link PAD_ID} to `length`. An
   * empty prompt (or one of punctuation only) is all padding: the
   * unconditional prompt.
   *
   * @param prompt Any text.
   * @param length Ids to return.
   * @throws Error `unknown word "thik" (did you mean: thick, thin)` for the
   * first unknown word, and an error when the prompt has more than `length`
   * tokens.
   */
  encode(prompt: string, length: number): Int32Array {
    const ids: number[] = [];
    for (const token of tokenize(prompt)) {
      if (!this.has(token)) {
        throw new Error(
          `unknown word "${token}" (did you mean: ${
            this.nearest(token).join(", ")
          })`,
        );
      }
      ids.push(this.#ids.get(token)!);
    }
    if (ids.length > length) {
      throw new Error(
        `prompt "${prompt}" has ${ids.length} words, more than the ${length} a prompt may have`,
      );
    }
    const encoded = new Int32Array(length); // zeros: PAD_ID
    encoded.set(ids);
    return encoded;
  }

  /**
   * {@link encode} for several prompts, one after another in one array:
   * the (prompts, length) input of a text encoder.
   *
   * @throws Error as {@link encode} does, for the first prompt at fault.
   */
  encodeBatch(prompts: readonly string[], length: number): Int32Array {
    const batch = new Int32Array(prompts.length * length);
    prompts.forEach((prompt, index) =>
      batch.set(this.encode(prompt, length), index * length)
    );
    return batch;
  }

  /**
   * The words of an id sequence joined by spaces, padding left out.
   *
   * @throws Error on an id outside the vocabulary.
   */
  decode(ids: ArrayLike<number>): string {
    const words: string[] = [];
    for (const id of Array.from(ids)) {
      if (!Number.isInteger(id) || id < 0 || id >= this.tokens.length) {
        throw new Error(
          `id ${id} is outside a vocabulary of ${this.tokens.length}`,
        );
      }
      if (id !== PAD_ID) words.push(this.tokens[id]);
    }
    return words.join(" ");
  }

  /** The JSON form: tokens by id. */
  toJson(): VocabularyJson {
    return { tokens: [...this.tokens] };
  }

  /**
   * A vocabulary from its JSON form, ids as they were.
   *
   * @throws Error when the value is not a list of distinct single tokens
   * starting with {@link PAD_TOKEN}.
   */
  static fromJson(json: unknown): Vocabulary {
    const tokens = (json as VocabularyJson | null)?.tokens;
    if (
      !Array.isArray(tokens) || tokens[0] !== PAD_TOKEN ||
      !tokens.every((token) => typeof token === "string")
    ) {
      throw new Error(
        `a vocabulary's JSON is { "tokens": ["${PAD_TOKEN}", ...words] }`,
      );
    }
    const vocabulary = new Vocabulary(tokens.slice(1));
    if (vocabulary.size !== tokens.length) {
      throw new Error("a vocabulary's JSON holds a token twice");
    }
    return vocabulary;
  }
}

/** Every text fragment the captioner writes for `dataset`. */
function captionFragments(dataset: CaptionDataset): string[] {
  const fragments = ["a", "an"];
  for (const names of CLASS_NAMES[dataset]) {
    fragments.push(...names.map((name) => name.text));
  }
  for (const attribute of DATASET_ATTRIBUTES[dataset]) {
    for (const words of Object.values(ATTRIBUTE_WORDS[attribute])) {
      fragments.push(...words.before, ...words.after);
    }
  }
  for (const template of TEMPLATES[dataset]) {
    fragments.push(template.prefix, template.lead, template.suffix);
  }
  return fragments;
}

/**
 * The vocabulary of every caption the captioner can write for the given
 * data sets (default both, so one vocabulary serves either): the tokens of
 * its class names, attribute words and templates, sorted, so the same
 * tables always give the same ids.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { captionVocabulary } from "./tokenizer.ts";
 * const vocabulary = captionVocabulary();
 * assert.ok(vocabulary.has("seven") && vocabulary.has("7") && vocabulary.has("sneaker"));
 * assert.equal(vocabulary.decode(vocabulary.encode("A thick 7, leaning right", 8)), "a thick 7 leaning right");
 * ```
 */
export function captionVocabulary(
  datasets: readonly CaptionDataset[] = CAPTION_DATASETS,
): Vocabulary {
  const words = new Set<string>();
  for (const dataset of datasets) {
    for (const fragment of captionFragments(dataset)) {
      for (const token of tokenize(fragment)) words.add(token);
    }
  }
  return new Vocabulary([...words].sort());
}
