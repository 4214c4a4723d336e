/**
 * How well images drawn from prompts follow them: the share the evaluation
 * classifier puts in the prompt's class, and for each attribute a prompt
 * names (thickness, slant, brightness, ...) the share whose measured
 * attribute class (the captioner's own measure and thresholds, those that
 * worded the training captions) is the one asked for. Prompts naming a
 * held-out composition are scored apart from the others. Pure: images and
 * predictions in, numbers out.
 *
 * @module
 */
import {
  type AttributeName,
  type CaptionDataset,
  DATASET_ATTRIBUTES,
  describeImage,
  type ImageAttributes,
} from "@genwasm/data/captions/attribute_classes";

/** What the prompt an image was drawn from asked for. */
export interface PromptTarget {
  /** The class the prompt names. */
  label: number;
  /** The attribute classes the prompt names. */
  attributes: ImageAttributes;
  /** True when the prompt names a held-out composition. */
  heldOut: boolean;
}

/** The scores of one group of images (seen or held-out prompts). */
export interface AgreementScores {
  /** Images in the group. */
  images: number;
  /**
   * Share of the images the classifier puts in their prompt's class;
   * absent when no predictions were given.
   */
  classAccuracy?: number;
  /**
   * Per attribute that some prompt of the group names: the share of the
   * images whose prompt names it that measure the class asked for.
   */
  agreement: Partial<Record<AttributeName, number>>;
}

/** {@link promptAgreement}'s result: seen prompts, held-out ones apart. */
export interface PromptAgreement {
  seen?: AgreementScores;
  /** Absent when no image was drawn from a held-out prompt. */
  heldOut?: AgreementScores;
}

/**
 * Scores images against the prompts they were drawn from.
 *
 * @param images Grey pixels in [0, 1], row-major over `shape`.
 * @param shape (count, height, width, 1).
 * @param targets What each image's prompt asked for, one per image.
 * @param dataset Whose attribute measures and thresholds to use.
 * @param predictions The classifier's class for each image; without them
 * there is no class accuracy.
 * @returns Scores of the images of seen prompts and of held-out prompts.
 * @throws Error when the counts disagree or the images are not grey.
 *
 * @example A thick upright stroke asked for as a thick upright 1
 * ```ts
 * import assert from "node:assert/strict";
 * import { promptAgreement } from "./prompt_agreement.ts";
 * const image = new Float32Array(28 * 28);
 * for (let y = 4; y < 24; y++) for (let x = 12; x < 16; x++) image[y * 28 + x] = 1;
 * const { seen } = promptAgreement(image, [1, 28, 28, 1], [
 *   { label: 1, attributes: { thickness: "thick", slant: "upright" }, heldOut: false },
 * ], "mnist", [1]);
 * assert.deepEqual(seen, { images: 1, classAccuracy: 1, agreement: { thickness: 1, slant: 1 } });
 * ```
 */
export function promptAgreement(
  images: Float32Array,
  shape: readonly [number, number, number, number],
  targets: readonly PromptTarget[],
  dataset: CaptionDataset,
  predictions?: ArrayLike<number>,
): PromptAgreement {
  const [count, height, width, channels] = shape;
  if (channels !== 1) {
    throw new Error(
      `prompt agreement needs grey images, not ${channels} channels`,
    );
  }
  if (images.length !== count * height * width) {
    throw new Error(
      `${images.length} values do not fill shape [${shape.join(", ")}]`,
    );
  }
  if (targets.length !== count) {
    throw new Error(`${targets.length} prompts for ${count} images`);
  }
  if (predictions && predictions.length !== count) {
    throw new Error(`${predictions.length} predictions for ${count} images`);
  }
  const length = height * width;
  const tally = (heldOut: boolean): AgreementScores | undefined => {
    let total = 0, correct = 0;
    const asked = new Map<AttributeName, number>();
    const agreed = new Map<AttributeName, number>();
    for (let index = 0; index < count; index++) {
      const target = targets[index];
      if (target.heldOut !== heldOut) continue;
      total++;
      if (predictions && predictions[index] === target.label) correct++;
      const named = DATASET_ATTRIBUTES[dataset].filter((attribute) =>
        target.attributes[attribute] !== undefined
      );
      if (named.length === 0) continue;
      const measured = describeImage(
        images.subarray(index * length, (index + 1) * length),
        dataset,
        { width },
      );
      for (const attribute of named) {
        asked.set(attribute, (asked.get(attribute) ?? 0) + 1);
        if (measured[attribute] === target.attributes[attribute]) {
          agreed.set(attribute, (agreed.get(attribute) ?? 0) + 1);
        }
      }
    }
    if (total === 0) return undefined;
    const agreement: Partial<Record<AttributeName, number>> = {};
    for (const attribute of DATASET_ATTRIBUTES[dataset]) {
      const times = asked.get(attribute);
      if (times) agreement[attribute] = (agreed.get(attribute) ?? 0) / times;
    }
    return {
      images: total,
      ...(predictions ? { classAccuracy: correct / total } : {}),
      agreement,
    };
  };
  const seen = tally(false);
  const heldOut = tally(true);
  return { ...(seen ? { seen } : {}), ...(heldOut ? { heldOut } : {}) };
}

/**
 * {@link promptAgreement}'s scores as flat `eval --json` numbers:
 * `prompt_class_accuracy` and `<attribute>_agreement` (e.g.
 * `thickness_agreement`) for seen prompts, the same prefixed `held_out_`
 * for held-out prompts (absent when there are none).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { agreementMetrics } from "./prompt_agreement.ts";
 * assert.deepEqual(
 *   agreementMetrics({ seen: { images: 4, classAccuracy: 0.5, agreement: { slant: 0.25 } } }),
 *   { prompt_class_accuracy: 0.5, slant_agreement: 0.25 },
 * );
 * ```
 */
export function agreementMetrics(
  scores: PromptAgreement,
): Record<string, number> {
  const metrics: Record<string, number> = {};
  for (
    const [prefix, group] of [["", scores.seen], [
      "held_out_",
      scores.heldOut,
    ]] as const
  ) {
    if (!group) continue;
    if (group.classAccuracy !== undefined) {
      metrics[`${prefix}prompt_class_accuracy`] = group.classAccuracy;
    }
    for (const [attribute, share] of Object.entries(group.agreement)) {
      metrics[`${prefix}${attribute}_agreement`] = share;
    }
  }
  return metrics;
}
