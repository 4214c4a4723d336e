/**
 * The words captions are made of: names for each class of MNIST and
 * Fashion-MNIST, words for each attribute class (before the noun: "a
 * *thick* seven"; after it: "seven, *bold stroke*"), and the sentence
 * templates. Every caption is put together from these tables alone, so the
 * tokeniser's vocabulary is theirs ({@link ./tokenizer.ts}).
 *
 * @module
 */
import type {
  AttributeName,
  AttributeValue,
  CaptionDataset,
} from "./attribute_classes.ts";

/** One way to name a class. */
export interface ClassName {
  /** The words, e.g. "seven", "7", "ankle boot". */
  text: string;
  /**
   * False for plural-only nouns ("trousers", "trainers"), which take no
   * "a"/"an".
   */
  countable: boolean;
  /**
   * True for the plain name alone (a digit's word or numeral), which fits
   * templates that already say "digit" ("handwritten digit seven").
   */
  plain: boolean;
}

const DIGIT_WORDS = [
  "zero",
  "one",
  "two",
  "three",
  "four",
  "five",
  "six",
  "seven",
  "eight",
  "nine",
];

const one = (text: string, plain = false): ClassName => ({
  text,
  countable: true,
  plain,
});
const many = (text: string): ClassName => ({
  text,
  countable: false,
  plain: false,
});

/** Names for each class, indexed by label. */
export const CLASS_NAMES: Readonly<
  Record<CaptionDataset, readonly (readonly ClassName[])[]>
> = {
  mnist: DIGIT_WORDS.map((word, digit) => [
    one(word, true),
    one(String(digit), true),
    one(`digit ${word}`),
    one(`digit ${digit}`),
    one(`number ${word}`),
    one(`number ${digit}`),
  ]),
  fashion: [
    [one("t-shirt"), one("tee"), one("top"), one("tee shirt")],
    [many("trousers"), many("pants"), one("pair of trousers"), many("slacks")],
    [one("pullover"), one("sweater"), one("jumper"), one("knit sweater")],
    [one("dress"), one("gown"), one("frock"), one("summer dress")],
    [one("coat"), one("jacket"), one("overcoat"), one("winter coat")],
    [one("sandal"), one("open shoe"), one("strappy sandal"), many("sandals")],
    [
      one("shirt"),
      one("button-up shirt"),
      one("collared shirt"),
      one("blouse"),
    ],
    [one("sneaker"), many("trainers"), one("running shoe"), one("sports shoe")],
    [one("bag"), one("handbag"), one("purse"), one("tote bag")],
    [one("ankle boot"), one("boot"), one("short boot"), one("bootie")],
  ],
};

/** The words for one class of one attribute. */
export interface AttributeWords {
  /** Before the noun: "a *thick* seven". */
  before: readonly string[];
  /** After the noun: "a seven *written with a thick pen*". */
  after: readonly string[];
}

/** Words for every class of every attribute. */
export const ATTRIBUTE_WORDS: {
  readonly [A in AttributeName]: Readonly<
    Record<AttributeValue<A>, AttributeWords>
  >;
} = {
  thickness: {
    thin: {
      before: ["thin", "fine", "skinny", "slender"],
      after: [
        "thin stroke",
        "fine stroke",
        "thin lines",
        "written with a thin pen",
        "in a fine pen",
      ],
    },
    regular: {
      before: ["regular", "normal", "ordinary"],
      after: [
        "regular stroke",
        "normal stroke",
        "ordinary lines",
        "written with a regular pen",
      ],
    },
    thick: {
      before: ["thick", "bold", "heavy", "fat"],
      after: [
        "bold stroke",
        "thick stroke",
        "thick lines",
        "heavy lines",
        "written with a thick pen",
      ],
    },
  },
  slant: {
    left: {
      before: ["left-leaning", "left-slanted", "backward-slanted"],
      after: [
        "leaning left",
        "slanted left",
        "slanting to the left",
        "tilted to the left",
      ],
    },
    upright: {
      before: ["upright", "straight", "vertical", "unslanted"],
      after: ["standing upright", "not slanted", "straight up", "upright"],
    },
    right: {
      before: ["right-leaning", "right-slanted", "italic"],
      after: [
        "leaning right",
        "slanted right",
        "slanting to the right",
        "tilted to the right",
        "in italics",
      ],
    },
  },
  size: {
    small: {
      before: ["small", "little", "tiny"],
      after: ["drawn small", "written small", "small in the frame"],
    },
    medium: {
      before: ["medium-sized", "mid-sized", "average-sized"],
      after: ["of medium size", "medium in size"],
    },
    large: {
      before: ["large", "big"],
      after: ["drawn large", "written large", "filling the frame"],
    },
  },
  brightness: {
    dark: {
      before: ["dark", "dim", "dark-toned"],
      after: ["in a dark shade", "dark in tone", "in dark grey"],
    },
    medium: {
      before: ["grey", "mid-grey", "medium-toned"],
      after: ["in mid grey", "medium in tone", "of medium brightness"],
    },
    light: {
      before: ["light", "bright", "pale", "light-toned"],
      after: ["in a light shade", "light in tone", "in light grey"],
    },
  },
};

/**
 * A sentence pattern: `prefix` and a space, then the subject (an article
 * when `article` and the noun is countable, attribute words before the noun
 * when `before`, `lead`, the class name), then attribute words after the
 * noun when `after` is not "none" (each after a space, or after a comma),
 * then `suffix` as it is (it brings its own comma or space).
 */
export interface Template {
  prefix: string;
  /** Fixed words just before the class name, after any attribute words. */
  lead: string;
  article: boolean;
  before: boolean;
  after: "none" | "space" | "comma";
  suffix: string;
  /** Only plain class names (a digit's word or numeral) fit it. */
  plainNoun: boolean;
}

const template = (fields: Partial<Template>): Template => ({
  prefix: "",
  lead: "",
  article: false,
  before: false,
  after: "none",
  suffix: "",
  plainNoun: false,
  ...fields,
});

/** The templates of each data set. */
export const TEMPLATES: Readonly<Record<CaptionDataset, readonly Template[]>> =
  {
    mnist: [
      // a thin three leaning left
      template({ article: true, before: true, after: "space" }),
      // thick 7
      template({ before: true }),
      // seven, bold stroke, slanted right
      template({ after: "comma" }),
      // handwritten digit seven, thin stroke
      template({
        prefix: "handwritten digit",
        plainNoun: true,
        after: "comma",
      }),
      // a small bold handwritten 4 written with a thick pen
      template({
        lead: "handwritten",
        article: true,
        before: true,
        after: "space",
      }),
      // the digit 7, leaning right
      template({ prefix: "the digit", plainNoun: true, after: "comma" }),
      // a drawing of a bold 2
      template({ prefix: "a drawing of", article: true, before: true }),
      // a bold upright 5, handwritten
      template({ article: true, before: true, suffix: ", handwritten" }),
    ],
    fashion: [
      // a dark sneaker
      template({ article: true, before: true, after: "space" }),
      // sneaker, in a light shade
      template({ after: "comma" }),
      // a photo of a pale dress
      template({ prefix: "a photo of", article: true, before: true }),
      // a picture of a coat in dark grey
      template({
        prefix: "a picture of",
        article: true,
        before: true,
        after: "space",
      }),
      // grey trainers, product photo
      template({ before: true, suffix: ", product photo" }),
      // clothing: a light ankle boot
      template({ prefix: "clothing:", article: true, before: true }),
    ],
  };

/** Words said with an article that start with a vowel letter but not a vowel sound. */
const A_BEFORE = /^(one|uni|use|eu)/;

/**
 * "a" or "an" for the word that follows, by its sound: "an upright", "an
 * 8", "an eight", but "a one", "a 1", "a thick".
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { indefiniteArticle } from "./caption_words.ts";
 * assert.deepEqual(["eight", "8", "one", "upright", "7", "ankle"].map(indefiniteArticle), ["an", "an", "a", "an", "a", "an"]);
 * ```
 */
export function indefiniteArticle(nextWord: string): "a" | "an" {
  const word = nextWord.toLowerCase();
  if (/^(8|11|18)\b/.test(word) || /^8\d*$/.test(word)) return "an";
  return /^[aeiou]/.test(word) && !A_BEFORE.test(word) ? "an" : "a";
}
