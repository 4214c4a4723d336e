/**
 * The fixed prompts a text-conditioned model is evaluated on: every class
 * with every combination of the attribute classes listed in
 * {@link PROMPT_ATTRIBUTES} (MNIST: thin or thick, leaning left, upright or
 * leaning right; Fashion-MNIST: dark or light), worded in one fixed way by
 * the captioner's own tables ("a thin three leaning left"), plus the
 * prompts that reach the run's held-out pairs where the grid does not
 * (e.g. `regular:4` or `large:0`). A prompt naming a held-out pair (its
 * attribute class with its class) is marked held out: a composition the
 * model never read in training.
 *
 * @module
 */
import {
  ATTRIBUTE_VALUES,
  type AttributeName,
  type CaptionDataset,
  DATASET_ATTRIBUTES,
  type ImageAttributes,
} from "./attribute_classes.ts";
import { CLASS_NAMES } from "./caption_words.ts";
import {
  type HeldOutPair,
  inWritingOrder,
  type Mention,
  renderCaption,
} from "./captioner.ts";

/**
 * The attribute classes the fixed prompts cross with each class, per data
 * set. The middle classes ("regular", "medium") are left out: their
 * boundaries are the nearest, so they say least about whether a prompt is
 * followed. Size is left out too, since it follows the class (see
 * `ATTRIBUTE_THRESHOLDS`).
 */
export const PROMPT_ATTRIBUTES: Readonly<
  Record<
    CaptionDataset,
    Readonly<Partial<Record<AttributeName, readonly string[]>>>
  >
> = {
  mnist: { thickness: ["thin", "thick"], slant: ["left", "upright", "right"] },
  fashion: { brightness: ["dark", "light"] },
};

/**
 * Where each attribute is written in a fixed prompt: slant after the noun
 * ("a thin three leaning left"), the others before it.
 */
const PLACE: Readonly<Record<AttributeName, Mention["place"]>> = {
  thickness: "before",
  slant: "after",
  size: "before",
  brightness: "before",
};

/** One prompt of the fixed set and what it asks for. */
export interface EvaluationPrompt {
  /** The words, e.g. "a thick four leaning right". */
  prompt: string;
  /** The class it names. */
  label: number;
  /** The attribute classes it names. */
  attributes: ImageAttributes;
  /** True when it names a held-out pair of the run. */
  heldOut: boolean;
}

/** The attribute an attribute class belongs to in `dataset`. */
function attributeOf(
  dataset: CaptionDataset,
  value: string,
): AttributeName {
  const attribute = DATASET_ATTRIBUTES[dataset].find((name) =>
    (ATTRIBUTE_VALUES[name] as readonly string[]).includes(value)
  );
  if (!attribute) {
    throw new Error(`"${value}" is no attribute class of ${dataset}`);
  }
  return attribute;
}

/** Every combination of one value per attribute, the first attribute slowest. */
function combinations(
  choices: readonly [AttributeName, readonly string[]][],
): Record<string, string>[] {
  let found: Record<string, string>[] = [{}];
  for (const [attribute, values] of choices) {
    found = found.flatMap((partial) =>
      values.map((value) => ({ ...partial, [attribute]: value }))
    );
  }
  return found;
}

/**
 * Writes the fixed prompt for a class and attribute classes: the
 * captioner's first template ("a ... NOUN ..."), the class's first name,
 * each attribute's first wording.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fixedPrompt } from "./prompt_set.ts";
 * assert.equal(fixedPrompt("mnist", 3, { thickness: "thin", slant: "left" }), "a thin three leaning left");
 * assert.equal(fixedPrompt("fashion", 9, { brightness: "light" }), "a light ankle boot");
 * ```
 */
export function fixedPrompt(
  dataset: CaptionDataset,
  label: number,
  attributes: ImageAttributes,
): string {
  const mentions: Mention[] = Object.entries(attributes).map((
    [attribute, value],
  ) => ({
    attribute: attribute as AttributeName,
    value: value as string,
    place: PLACE[attribute as AttributeName],
    form: 0,
  }));
  return renderCaption({
    dataset,
    label,
    template: 0,
    noun: 0,
    mentions: inWritingOrder(mentions),
  });
}

/**
 * The fixed prompt set of a text model: for each class (label order), every
 * combination of {@link PROMPT_ATTRIBUTES}' classes, where a held-out pair
 * of that class whose attribute class the grid lacks adds its class to the
 * choices of that attribute (an attribute outside the grid, such as size,
 * is then either left unsaid or named with the held-out class). The same
 * arguments always give the same prompts in the same order.
 *
 * @param dataset Whose classes, attributes and words.
 * @param heldOut The run's held-out pairs (its config's `text.heldOut`).
 * @returns The prompts; those naming a held-out pair are marked.
 *
 * @example MNIST with thick 4s held out: 60 prompts, 3 of them held out
 * ```ts
 * import assert from "node:assert/strict";
 * import { evaluationPrompts } from "./prompt_set.ts";
 * const prompts = evaluationPrompts("mnist", [{ value: "thick", label: 4 }]);
 * assert.equal(prompts.length, 60);
 * assert.deepEqual(prompts.filter((p) => p.heldOut).map((p) => p.prompt), [
 *   "a thick four leaning left",
 *   "a thick four standing upright",
 *   "a thick four leaning right",
 * ]);
 * ```
 */
export function evaluationPrompts(
  dataset: CaptionDataset,
  heldOut: readonly HeldOutPair[] = [],
): EvaluationPrompt[] {
  const grid = PROMPT_ATTRIBUTES[dataset];
  const held = new Set(heldOut.map((pair) => `${pair.value}:${pair.label}`));
  const prompts: EvaluationPrompt[] = [];
  for (let label = 0; label < CLASS_NAMES[dataset].length; label++) {
    const choices = new Map<AttributeName, string[]>(
      Object.entries(grid).map(([attribute, values]) => [
        attribute as AttributeName,
        [...values!],
      ]),
    );
    const unsaid = new Set<AttributeName>();
    for (const pair of heldOut) {
      if (pair.label !== label) continue;
      const attribute = attributeOf(dataset, pair.value);
      const values = choices.get(attribute);
      if (!values) {
        choices.set(attribute, [pair.value]);
        unsaid.add(attribute);
      } else if (!values.includes(pair.value)) values.push(pair.value);
    }
    const ordered = DATASET_ATTRIBUTES[dataset].flatMap((attribute) =>
      choices.has(attribute)
        ? [[attribute, choices.get(attribute)!] as const]
        : []
    );
    // An attribute outside the grid is also left unsaid ("" dropped below).
    for (
      const combination of combinations(
        ordered.map(([attribute, values]) => [
          attribute,
          unsaid.has(attribute) ? ["", ...values] : values,
        ]),
      )
    ) {
      const attributes = Object.fromEntries(
        Object.entries(combination).filter(([, value]) => value !== ""),
      ) as ImageAttributes;
      prompts.push({
        prompt: fixedPrompt(dataset, label, attributes),
        label,
        attributes,
        heldOut: Object.values(attributes).some((value) =>
          held.has(`${value}:${label}`)
        ),
      });
    }
  }
  return prompts;
}
