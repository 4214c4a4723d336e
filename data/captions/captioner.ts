/**
 * The captioner: an image, its label and a seeded random source in, a short
 * varied English prompt out ("a thick 7", "seven, bold stroke, slanted
 * right", "handwritten digit seven"), from the class names, attribute words
 * and templates of {@link ./caption_words.ts} and the attributes measured
 * on the image ({@link describeImage}). Attribute-class pairs can be held
 * out: the captioner then never speaks of that attribute for those images,
 * so a model can be tested on compositions it never read.
 *
 * @module
 */
import type { Random } from "../random.ts";
import {
  ATTRIBUTE_VALUES,
  type AttributeName,
  type AttributeThresholds,
  type CaptionDataset,
  DATASET_ATTRIBUTES,
  describeImage,
  type ImageAttributes,
} from "./attribute_classes.ts";
import {
  ATTRIBUTE_WORDS,
  type AttributeWords,
  CLASS_NAMES,
  indefiniteArticle,
  TEMPLATES,
} from "./caption_words.ts";
import { tokenize } from "./tokenizer.ts";

/**
 * An attribute class and a label whose captions never speak of that
 * attribute when the image measures that class, e.g. `{ value: "thick",
 * label: 4 }`: no caption of a thick 4 mentions thickness at all. Each
 * class name belongs to one attribute within a data set.
 */
export interface HeldOutPair {
  value: string;
  label: number;
}

/** One attribute as a caption words it. */
export interface Mention {
  attribute: AttributeName;
  value: string;
  /** Before the noun ("a *thick* 7") or after it ("7, *bold stroke*"). */
  place: "before" | "after";
  /** Index into the attribute words for that place. */
  form: number;
}

/** Every choice a caption is made of; {@link renderCaption} writes it. */
export interface CaptionChoice {
  dataset: CaptionDataset;
  label: number;
  /** Index into `TEMPLATES[dataset]`. */
  template: number;
  /** Index into `CLASS_NAMES[dataset][label]`. */
  noun: number;
  /** The attributes spoken of, in the order they are written. */
  mentions: readonly Mention[];
}

/** How a {@link Captioner} words its captions. */
export interface CaptionerOptions {
  dataset: CaptionDataset;
  /** Attribute-class pairs never spoken of; default none. */
  heldOut?: readonly HeldOutPair[];
  /** Chance that each measured attribute is mentioned; default 0.7. */
  mentionProbability?: number;
  /** Cut points in place of the measured ones; default `ATTRIBUTE_THRESHOLDS`. */
  thresholds?: AttributeThresholds;
}

/** Adjectives go in this order before a noun: "a small thick upright 7". */
const ADJECTIVE_ORDER: readonly AttributeName[] = [
  "size",
  "brightness",
  "thickness",
  "slant",
];

/**
 * Mentions as written: adjectives first, in English order ("a small thick
 * upright 7"), then phrases after the noun in their given order.
 *
 * @param mentions The attributes to speak of, in any order.
 * @returns The same mentions in the order {@link renderCaption} writes them.
 */
export function inWritingOrder(mentions: readonly Mention[]): Mention[] {
  const before = mentions.filter((m) => m.place === "before").sort((a, b) =>
    ADJECTIVE_ORDER.indexOf(a.attribute) - ADJECTIVE_ORDER.indexOf(b.attribute)
  );
  return [...before, ...mentions.filter((m) => m.place === "after")];
}

function wordsOf(attribute: AttributeName, value: string): AttributeWords {
  return (ATTRIBUTE_WORDS[attribute] as Record<string, AttributeWords>)[value];
}

function checkLabel(dataset: CaptionDataset, label: number): void {
  const classes = CLASS_NAMES[dataset].length;
  if (!Number.isInteger(label) || label < 0 || label >= classes) {
    throw new Error(
      `label ${label} is not a ${dataset} class (0 to ${classes - 1})`,
    );
  }
}

/** The attribute an attribute class ("thick", "left") belongs to in `dataset`, if any. */
function attributeOf(
  dataset: CaptionDataset,
  value: string,
): AttributeName | undefined {
  return DATASET_ATTRIBUTES[dataset].find((attribute) =>
    (ATTRIBUTE_VALUES[attribute] as readonly string[]).includes(value)
  );
}

/**
 * Writes out a caption choice.
 *
 * @param choice Template, class name and attribute words, as
 * {@link Captioner.choose} or {@link captionVariants} make them.
 * @returns The caption, e.g. "a thin three leaning left".
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderCaption } from "./captioner.ts";
 * const caption = renderCaption({
 *   dataset: "mnist", label: 7, template: 2, noun: 0,
 *   mentions: [
 *     { attribute: "thickness", value: "thick", place: "after", form: 0 },
 *     { attribute: "slant", value: "right", place: "after", form: 1 },
 *   ],
 * });
 * assert.equal(caption, "seven, bold stroke, slanted right");
 * ```
 */
export function renderCaption(choice: CaptionChoice): string {
  const { dataset, label, mentions } = choice;
  checkLabel(dataset, label);
  const template = TEMPLATES[dataset][choice.template];
  const noun = CLASS_NAMES[dataset][label][choice.noun];
  if (!template || !noun) {
    throw new Error(
      `no template ${choice.template} or class name ${choice.noun} for ${dataset} label ${label}`,
    );
  }
  if (template.plainNoun && !noun.plain) {
    throw new Error(
      `template ${choice.template} takes a plain class name, not "${noun.text}"`,
    );
  }
  const before: string[] = [];
  const after: string[] = [];
  for (const mention of mentions) {
    if (
      mention.place === "before" ? !template.before : template.after === "none"
    ) {
      throw new Error(
        `template ${choice.template} has no room ${mention.place} the noun`,
      );
    }
    const words = wordsOf(mention.attribute, mention.value)?.[mention.place];
    if (!words?.[mention.form]) {
      throw new Error(
        `no ${mention.place} form ${mention.form} for ${mention.attribute} "${mention.value}"`,
      );
    }
    (mention.place === "before" ? before : after).push(words[mention.form]);
  }
  let subject = [...before, template.lead, noun.text].filter(Boolean).join(
    " ",
  );
  if (template.article && noun.countable) {
    subject = `${indefiniteArticle(subject)} ${subject}`;
  }
  const separator = template.after === "comma" ? ", " : " ";
  return (template.prefix ? `${template.prefix} ` : "") + subject +
    after.map((words) => separator + words).join("") + template.suffix;
}

/**
 * Captions images of one data set, with its held-out pairs. Each caption
 * draws from the random source given to it, so a seeded source repeats the
 * same captions and another seed words them otherwise.
 *
 * @example Captions for a drawn stroke, seeded
 * ```ts
 * import assert from "node:assert/strict";
 * import { Captioner } from "./captioner.ts";
 * import { mulberry32 } from "../random.ts";
 * const image = new Float32Array(28 * 28);
 * for (let y = 4; y < 24; y++) image[y * 28 + 14] = 1; // a thin upright 1
 * const captioner = new Captioner({ dataset: "mnist" });
 * const random = mulberry32(3);
 * const captions = [0, 1, 2].map(() => captioner.caption(image, 1, random));
 * console.log(captions); // e.g. [ "a tiny vertical 1", "one, thin lines", ... ]
 * const again = mulberry32(3);
 * assert.deepEqual([0, 1, 2].map(() => captioner.caption(image, 1, again)), captions);
 * ```
 */
export class Captioner {
  /** Whose attributes, class names and templates it uses. */
  readonly dataset: CaptionDataset;
  /** Chance that each speakable attribute is mentioned. */
  readonly mentionProbability: number;
  readonly #heldOut: ReadonlySet<string>;
  readonly #thresholds?: AttributeThresholds;

  /**
   * @throws Error when a held-out pair names no attribute class of the
   * data set or no class, or the probability is outside [0, 1].
   */
  constructor(options: CaptionerOptions) {
    this.dataset = options.dataset;
    this.mentionProbability = options.mentionProbability ?? 0.7;
    if (!(this.mentionProbability >= 0 && this.mentionProbability <= 1)) {
      throw new Error(
        `mention probability ${this.mentionProbability} is not in [0, 1]`,
      );
    }
    for (const pair of options.heldOut ?? []) {
      if (!attributeOf(this.dataset, pair.value)) {
        throw new Error(
          `held-out "${pair.value}" is no attribute class of ${this.dataset} (${
            DATASET_ATTRIBUTES[this.dataset].flatMap((a) => ATTRIBUTE_VALUES[a])
              .join(", ")
          })`,
        );
      }
      checkLabel(this.dataset, pair.label);
    }
    this.#heldOut = new Set(
      (options.heldOut ?? []).map((pair) => `${pair.value}:${pair.label}`),
    );
    this.#thresholds = options.thresholds;
  }

  /** True when captions of class `label` never speak of `value`'s attribute when the image is `value`. */
  isHeldOut(value: string, label: number): boolean {
    return this.#heldOut.has(`${value}:${label}`);
  }

  /**
   * The attributes a caption may speak of: `attributes` less those whose
   * (class, label) pair is held out.
   */
  speakable(attributes: ImageAttributes, label: number): ImageAttributes {
    const kept: Record<string, string> = {};
    for (const [attribute, value] of Object.entries(attributes)) {
      if (value !== undefined && !this.isHeldOut(value, label)) {
        kept[attribute] = value;
      }
    }
    return kept as ImageAttributes;
  }

  /**
   * Measures an image's attributes ({@link describeImage}) and drops the
   * held-out ones.
   *
   * @param pixels Grey values in [0, 1], row-major.
   * @param label The image's class.
   * @param width Pixels per row; default: square.
   */
  attributes(
    pixels: Float32Array,
    label: number,
    width?: number,
  ): ImageAttributes {
    return this.speakable(
      describeImage(pixels, this.dataset, {
        width,
        thresholds: this.#thresholds,
      }),
      label,
    );
  }

  /**
   * Picks a template, a class name, which attributes to mention (each with
   * the captioner's probability, if the template has room for attribute
   * words), where and in which words.
   *
   * @param attributes Attribute classes of the image; held-out pairs are
   * dropped here too.
   * @param label The image's class.
   * @param random Uniform numbers in [0, 1); draws a fixed count per
   * attribute, so the same source state gives the same choice.
   */
  choose(
    attributes: ImageAttributes,
    label: number,
    random: Random,
  ): CaptionChoice {
    checkLabel(this.dataset, label);
    const pick = (count: number) => Math.floor(random() * count);
    const templates = TEMPLATES[this.dataset];
    const templateIndex = pick(templates.length);
    const template = templates[templateIndex];
    const names = CLASS_NAMES[this.dataset][label];
    const fitting = names.flatMap((name, index) =>
      !template.plainNoun || name.plain ? [index] : []
    );
    const noun = fitting[pick(fitting.length)];
    const speakable = this.speakable(attributes, label) as Record<
      string,
      string
    >;
    const places: Mention["place"][] = [
      ...(template.before ? ["before" as const] : []),
      ...(template.after !== "none" ? ["after" as const] : []),
    ];
    const mentions: Mention[] = [];
    for (const attribute of DATASET_ATTRIBUTES[this.dataset]) {
      const value = speakable[attribute];
      // Always three draws, so one attribute's presence does not shift the
      // draws of the next.
      const [mention, where, which] = [random(), random(), random()];
      if (value === undefined || places.length === 0) continue;
      if (mention >= this.mentionProbability) continue;
      const place = places[Math.floor(where * places.length)];
      const forms = wordsOf(attribute, value)[place];
      mentions.push({
        attribute,
        value,
        place,
        form: Math.floor(which * forms.length),
      });
    }
    // Phrases after the noun in a random order.
    const after = mentions.filter((m) => m.place === "after");
    for (let index = after.length - 1; index > 0; index--) {
      const other = pick(index + 1);
      [after[index], after[other]] = [after[other], after[index]];
    }
    return {
      dataset: this.dataset,
      label,
      template: templateIndex,
      noun,
      mentions: inWritingOrder([
        ...mentions.filter((m) => m.place === "before"),
        ...after,
      ]),
    };
  }

  /**
   * A caption from known attribute classes, e.g. to prompt a model for "a
   * thin 3 leaning left" in an evaluation.
   */
  captionAttributes(
    attributes: ImageAttributes,
    label: number,
    random: Random,
  ): string {
    return renderCaption(this.choose(attributes, label, random));
  }

  /**
   * A caption for one image: its attributes measured, the held-out ones
   * dropped, then {@link choose} and {@link renderCaption}.
   *
   * @param pixels Grey values in [0, 1], row-major.
   * @param label The image's class.
   * @param random Uniform numbers in [0, 1), e.g. `mulberry32(seed)`.
   * @param width Pixels per row; default: square.
   */
  caption(
    pixels: Float32Array,
    label: number,
    random: Random,
    width?: number,
  ): string {
    return this.captionAttributes(
      this.attributes(pixels, label, width),
      label,
      random,
    );
  }
}

/**
 * Every way each template can name each class, with no attribute, with each
 * word of each attribute class alone in each place the template has, with
 * all the data set's attributes at once in one place (each word list
 * walked through), and with every attribute in its longest wording: every
 * word and every joint the captioner can produce, and its longest
 * captions. For checking the tokeniser and sizing its input, not for
 * training.
 *
 * @param dataset Which tables.
 * @returns Caption choices; render them with {@link renderCaption}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { captionVariants, renderCaption } from "./captioner.ts";
 * const captions = [...captionVariants("fashion")].map(renderCaption);
 * assert.ok(captions.includes("grey trainers, product photo"));
 * ```
 */
export function* captionVariants(
  dataset: CaptionDataset,
): Generator<CaptionChoice> {
  const attributes = DATASET_ATTRIBUTES[dataset];
  const templates = TEMPLATES[dataset];
  for (
    let templateIndex = 0;
    templateIndex < templates.length;
    templateIndex++
  ) {
    const template = templates[templateIndex];
    const places: Mention["place"][] = [
      ...(template.before ? ["before" as const] : []),
      ...(template.after !== "none" ? ["after" as const] : []),
    ];
    for (let label = 0; label < CLASS_NAMES[dataset].length; label++) {
      const names = CLASS_NAMES[dataset][label];
      for (let noun = 0; noun < names.length; noun++) {
        if (template.plainNoun && !names[noun].plain) continue;
        const base = { dataset, label, template: templateIndex, noun };
        yield { ...base, mentions: [] };
        for (const place of places) {
          for (const attribute of attributes) {
            for (const value of ATTRIBUTE_VALUES[attribute]) {
              const forms = wordsOf(attribute, value)[place];
              for (let form = 0; form < forms.length; form++) {
                yield {
                  ...base,
                  mentions: [{ attribute, value, place, form }],
                };
              }
            }
          }
          const longest = Math.max(
            ...attributes.flatMap((attribute) =>
              ATTRIBUTE_VALUES[attribute].map((value) =>
                wordsOf(attribute, value)[place].length
              )
            ),
          );
          for (let step = 0; step < longest; step++) {
            yield {
              ...base,
              mentions: inWritingOrder(attributes.map((attribute) => {
                const values = ATTRIBUTE_VALUES[attribute];
                const value = values[step % values.length];
                const forms = wordsOf(attribute, value)[place];
                return { attribute, value, place, form: step % forms.length };
              })),
            };
          }
        }
        if (places.length > 0) {
          yield { ...base, mentions: longestMentions(dataset, places) };
        }
      }
    }
  }
}

/**
 * Each attribute of `dataset` in its longest wording (most tokens) over its
 * classes and the given places: with these, a template and class name make
 * their longest caption, since the tokens of the parts add up.
 */
function longestMentions(
  dataset: CaptionDataset,
  places: readonly Mention["place"][],
): Mention[] {
  const mentions: Mention[] = [];
  for (const attribute of DATASET_ATTRIBUTES[dataset]) {
    let best: Mention | undefined;
    let most = -1;
    for (const value of ATTRIBUTE_VALUES[attribute]) {
      for (const place of places) {
        wordsOf(attribute, value)[place].forEach((words, form) => {
          const count = tokenize(words).length;
          if (count > most) {
            [most, best] = [count, { attribute, value, place, form }];
          }
        });
      }
    }
    mentions.push(best!);
  }
  return inWritingOrder(mentions);
}

/**
 * The most tokens a caption of `dataset` can have: the longest of
 * {@link captionVariants}, which hold each template with each class name
 * and every attribute in its longest wording. A text model's prompt length
 * must be at least this.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { maxCaptionTokens } from "./captioner.ts";
 * // "a handwritten digit zero written with a thin pen slanting to the left
 * // small in the frame"
 * assert.equal(maxCaptionTokens("mnist"), 17);
 * ```
 */
export function maxCaptionTokens(dataset: CaptionDataset): number {
  let most = 0;
  for (const choice of captionVariants(dataset)) {
    most = Math.max(most, tokenize(renderCaption(choice)).length);
  }
  return most;
}

/**
 * Reads held-out pairs written as `value:label` items separated by commas,
 * e.g. `"thick:4,left:7"` (for a command line).
 *
 * @param text The pairs; an empty string is none.
 * @param dataset Whose attribute classes and labels they name.
 * @returns The pairs, in order.
 * @throws Error naming the item at fault.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseHeldOutPairs } from "./captioner.ts";
 * assert.deepEqual(parseHeldOutPairs("thick:4, left:7", "mnist"), [
 *   { value: "thick", label: 4 },
 *   { value: "left", label: 7 },
 * ]);
 * ```
 */
export function parseHeldOutPairs(
  text: string,
  dataset: CaptionDataset,
): HeldOutPair[] {
  const pairs: HeldOutPair[] = [];
  for (const item of text.split(",").map((part) => part.trim())) {
    if (item === "") continue;
    const match = /^([a-z]+):(\d+)$/.exec(item);
    if (!match) {
      throw new Error(
        `held-out pair "${item}" is not written value:label, e.g. thick:4`,
      );
    }
    const [value, label] = [match[1], Number(match[2])];
    if (!attributeOf(dataset, value)) {
      throw new Error(
        `held-out pair "${item}": "${value}" is no attribute class of ${dataset} (${
          DATASET_ATTRIBUTES[dataset].flatMap((a) => ATTRIBUTE_VALUES[a]).join(
            ", ",
          )
        })`,
      );
    }
    checkLabel(dataset, label);
    pairs.push({ value, label });
  }
  return pairs;
}
