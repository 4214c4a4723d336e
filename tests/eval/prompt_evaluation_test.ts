import assert from "node:assert/strict";
import { tf } from "../../backends/tf.ts";
import { initEngine } from "../../backends/engine.ts";
import { readPrompt } from "../../data/captions/prompt_reader.ts";
import { TEXT_BAND } from "../../data/labelled_rows.ts";
import type { FeatureClassifier } from "../../eval/classify_images.ts";
import { evaluatePrompts } from "../../eval/prompt_evaluation.ts";
import { referenceStatistics } from "../../eval/reference_statistics.ts";
import { centredLine, drawStrokes } from "../data/captions/_draw.ts";

await initEngine({ threads: 2 });

const PEN = { thin: 1.2, thick: 3.5 } as Record<string, number>;
const ANGLE = { left: -0.4, upright: 0.1, right: 0.5 } as Record<
  string,
  number
>;

/**
 * A stand-in text model that does what each prompt says: a stroke of the
 * asked thickness and slant (regular and unsaid: in between). It records
 * each call's prompts and seed.
 */
function faithfulModel() {
  const calls: { prompts: readonly string[]; seed: number }[] = [];
  const drawn = new Map<string, Float32Array>();
  const draw = (prompts: readonly string[], seed: number) => {
    calls.push({ prompts, seed });
    const pixels = new Float32Array(prompts.length * 784);
    prompts.forEach((prompt, index) => {
      if (!drawn.has(prompt)) {
        const { thickness, slant } = readPrompt(prompt, "mnist").attributes;
        drawn.set(
          prompt,
          drawStrokes(
            [centredLine(20, ANGLE[slant ?? "upright"])],
            PEN[thickness ?? "thin"] ?? 2.2,
          ),
        );
      }
      pixels.set(drawn.get(prompt)!, index * 784);
    });
    return tf.tensor4d(pixels, [prompts.length, 28, 28, 1]);
  };
  return { draw, calls };
}

/**
 * A stand-in evaluation classifier: every image is a 4; its 3 features
 * are the ink in three bands of rows.
 */
const allFours: FeatureClassifier = {
  config: { imageSize: 28, channels: 1, featureSize: 3, classes: 10 },
  classify: (images) =>
    tf.tidy(() => {
      const rows = tf.sum(images, [2, 3]) as tf.Tensor2D; // (n, 28)
      const features = tf.concat(
        [0, 9, 18].map((top) =>
          tf.sum(tf.slice(rows, [0, top], [-1, 10]), 1, true)
        ),
        1,
      ) as tf.Tensor2D;
      const logits = tf.oneHot(
        tf.fill([images.shape[0]], 4, "int32") as tf.Tensor1D,
        10,
      ).toFloat() as tf.Tensor2D;
      return { features, logits };
    }),
};

Deno.test("evaluatePrompts() draws each prompt in turn, the same count each, and a model that obeys agrees fully", () => {
  const { draw, calls } = faithfulModel();
  const { metrics, pictures } = evaluatePrompts(draw, {
    dataset: "mnist",
    heldOut: [{ value: "thick", label: 4 }],
    samples: 130,
    chunk: 50,
  });
  // 63 prompts (60 + none extra: thick is in the grid) -> 2 each, 126 in all.
  assert.deepEqual(metrics, {
    prompt_count: 57,
    held_out_prompt_count: 3,
    samples_per_prompt: 2,
    thickness_agreement: 1,
    slant_agreement: 1,
    held_out_thickness_agreement: 1,
    held_out_slant_agreement: 1,
  });
  assert.deepEqual(calls.map((call) => call.seed), [1, 2, 3]);
  assert.deepEqual(calls.map((call) => call.prompts.length), [50, 50, 20]);
  const asked = calls.flatMap((call) => call.prompts);
  assert.deepEqual(asked.slice(0, 4), [
    "a thin zero leaning left",
    "a thin zero leaning left",
    "a thin zero standing upright",
    "a thin zero standing upright",
  ]);
  // One row per prompt of 2 images (56 pixels tall), each over its text.
  const rowHeight = 56 + TEXT_BAND + 2;
  assert.equal(pictures.prompts.height, 2 + 57 * rowHeight);
  assert.equal(pictures.held_out.height, 2 + 3 * rowHeight);
  assert.equal(pictures.prompts.channels, 1);
});

Deno.test("evaluatePrompts() with a classifier: class accuracy per group, FID of the same samples; no held-out keys without held-out pairs", () => {
  const { draw } = faithfulModel();
  const reference = referenceStatistics(
    allFours,
    tf.randomUniform([16, 28, 28, 1], 0, 1, "float32", 3) as tf.Tensor4D,
  );
  const { metrics, pictures } = evaluatePrompts(draw, {
    dataset: "mnist",
    heldOut: [{ value: "thick", label: 4 }],
    samples: 63,
    classifier: { model: allFours, reference },
  });
  // Seen: the 3 thin fours of 57 prompts; held out: all 3 are fours.
  assert.equal(metrics.prompt_class_accuracy, 3 / 57);
  assert.equal(metrics.held_out_prompt_class_accuracy, 1);
  assert.equal(metrics.samples_per_prompt, 1);
  for (const key of ["fid", "inception_score", "modes"]) {
    assert.ok(key in metrics, key);
  }
  assert.equal(metrics.modes, 1);
  assert.equal(pictures.prompts.height, 2 + 57 * (56 + TEXT_BAND + 2));

  const none = evaluatePrompts(draw, {
    dataset: "mnist",
    heldOut: [],
    samples: 10,
    classifier: { model: allFours, reference },
  });
  assert.equal(none.metrics.held_out_prompt_count, 0);
  assert.deepEqual(
    Object.keys(none.metrics).filter((key) => key.startsWith("held_out_")),
    ["held_out_prompt_count"],
  );
  assert.deepEqual(Object.keys(none.pictures), ["prompts"]);
  assert.equal(none.metrics.prompt_class_accuracy, 6 / 60);
});
