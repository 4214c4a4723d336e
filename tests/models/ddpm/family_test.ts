import assert from "node:assert/strict";
import { tf } from "../../../backends/tf.ts";
import { initEngine } from "../../../backends/engine.ts";
import { ddpmFamily } from "../../../models/ddpm/family.ts";
import type { Ddpm } from "../../../models/ddpm/diffusion.ts";
import { sampleScores } from "../../../models/ddpm/evaluation.ts";
import { evaluateNoiseLoss } from "../../../models/ddpm/objective.ts";
import { referenceStatistics } from "../../../eval/reference_statistics.ts";
import {
  constantClassifier,
  randomImages,
  smallClassifier,
} from "../../eval/_small_classifier.ts";

await initEngine({ threads: 2 });

/** A small, fast configuration: 8x8 images, 8/16 channels, T = 4. */
const SMALL = {
  imageSize: 8,
  baseWidth: 8,
  channelMultipliers: [1, 2],
  normGroups: 4,
  timesteps: 4,
};
const TEST = randomImages(12, 3);

Deno.test("ddpmFamily trains with Adam 1e-3 after 200 warm-up steps and an EMA of 0.995, and offers the sampler flags", () => {
  assert.deepEqual(ddpmFamily.training, {
    learningRate: 1e-3,
    warmupSteps: 200,
    batchSize: 64,
    emaDecay: 0.995,
  });
  assert.deepEqual(ddpmFamily.presets, ["ddpm", "ddpm-small", "ddpm-large"]);
  assert.deepEqual(ddpmFamily.sampleKinds, ["samples", "chain"]);
  const options = ddpmFamily.sampleOptions!;
  assert.deepEqual(
    Object.keys(options).sort(),
    [
      "classLabel",
      "clipSample",
      "eta",
      "guidance",
      "prompts",
      "sampler",
      "samplerSteps",
    ],
  );
  // The family parses and checks its own flags.
  const parse = (key: "sampler" | "eta", text: string) => {
    const spec = options[key];
    assert.ok(spec.value !== undefined);
    return spec.parse(text);
  };
  assert.equal(parse("sampler", "ddpm"), "ddpm");
  assert.throws(
    () => parse("sampler", "euler"),
    /--sampler must be ddpm or ddim/,
  );
  assert.throws(() => parse("eta", "2"), /--eta must be a number from 0 to 1/);
  assert.equal(options.clipSample.flag, "no-clip");
  assert.equal(options.clipSample.value, undefined);
});

Deno.test("ddpmFamily.create() takes classes from the data; a checkpoint's config wins; --set learningRate is a training option", () => {
  const model = ddpmFamily.create("ddpm", { ...SMALL, conditional: true }, 0, {
    classes: 4,
  });
  assert.equal(model.config.classes, 4);
  assert.deepEqual(
    ddpmFamily.trainingSettings!.learningRate.set(1e-3, {}),
    { learningRate: 1e-3 },
  );
  assert.throws(
    () => ddpmFamily.trainingSettings!.learningRate.set("fast", {}),
    /--set learningRate must be a number > 0, got "fast"/,
  );
  assert.deepEqual(model.groups.model.get("label/table")!.shape, [5, 32]);
  const rebuilt = ddpmFamily.create("ddpm", model.config, 0, {
    classes: 10,
  }) as Ddpm;
  assert.deepEqual(rebuilt.config, model.config);
  model.dispose();
  rebuilt.dispose();
});

Deno.test("ddpmFamily.sample() draws one row per class, or one class, and the chain", () => {
  const model = ddpmFamily.create("ddpm", {
    ...SMALL,
    conditional: true,
    classes: 3,
  }, 1);
  const request = {
    count: 16,
    seed: 1,
    kind: "samples",
    test: TEST,
    samplerSteps: 2,
  };
  tf.tidy(() => {
    // At least one row of 8 per class: 3 rows.
    assert.deepEqual(ddpmFamily.sample(model, request).shape, [24, 8, 8, 1]);
    assert.deepEqual(
      ddpmFamily.sample(model, {
        ...request,
        count: 5,
        classLabel: 2,
        guidance: 1,
      }).shape,
      [5, 8, 8, 1],
    );
    // Chain: a row of 8 pictures per sample, at most 8 samples.
    assert.deepEqual(
      ddpmFamily.sample(model, { ...request, kind: "chain" }).shape,
      [16, 8, 8, 1],
    );
    assert.throws(
      () => ddpmFamily.sample(model, { ...request, classLabel: 3 }),
      /--class must be below 3/,
    );
  });
  model.dispose();
  const plain = ddpmFamily.create("ddpm", SMALL, 1);
  tf.tidy(() => {
    assert.deepEqual(ddpmFamily.sample(plain, request).shape, [16, 8, 8, 1]);
    assert.deepEqual(
      ddpmFamily.sample(plain, { ...request, sampler: "ddpm", samplerSteps: 4 })
        .shape,
      [16, 8, 8, 1],
    );
    for (const option of [{ classLabel: 1 }, { guidance: 2 }]) {
      assert.throws(
        () => ddpmFamily.sample(plain, { ...request, ...option }),
        /--class and --guidance need a class-conditional model/,
      );
    }
  });
  plain.dispose();
});

Deno.test("ddpmFamily.evaluate() without a classifier reports only the test noise loss", async () => {
  const model = ddpmFamily.create("ddpm", SMALL, 2);
  const metrics = await ddpmFamily.evaluate(model, { train: TEST, test: TEST });
  assert.deepEqual(Object.keys(metrics), ["test_loss"]);
  // The noise loss over all 12 test images (checked exactly in
  // objective_test.ts).
  assert.equal(metrics.test_loss, evaluateNoiseLoss(model as Ddpm, TEST));
  model.dispose();
});

Deno.test("sampleScores() asks for the classes in turn and scores the class accuracy", () => {
  // This classifier calls everything a 3: of 20 samples asked as 0..9 in
  // turn, 2 were asked as 3.
  const classifier = constantClassifier(3);
  const reference = referenceStatistics(classifier, randomImages(40, 5));
  const model = ddpmFamily.create(
    "ddpm",
    { ...SMALL, conditional: true },
    3,
  ) as Ddpm;
  const scores = sampleScores(model, { model: classifier, reference }, {
    count: 20,
    sampling: { steps: 50 },
    chunk: 7,
  });
  assert.deepEqual(Object.keys(scores).sort(), [
    "class_accuracy",
    "fid",
    "inception_score",
    "modes",
  ]);
  assert.equal(scores.class_accuracy, 0.1);
  assert.equal(scores.modes, 1);
  model.dispose();
  classifier.dispose();
});

Deno.test("ddpmFamily.monitor() measures the test loss, and sample scores with a classifier", async () => {
  const model = ddpmFamily.create("ddpm", SMALL, 4);
  const plain = await ddpmFamily.monitor!(model, { train: TEST, test: TEST });
  assert.deepEqual(Object.keys(plain), ["test_loss"]);
  const classifier = constantClassifier(3);
  const reference = referenceStatistics(classifier, randomImages(40, 5));
  const scored = await ddpmFamily.monitor!(model, {
    train: TEST,
    test: TEST,
    classifier: { model: classifier, reference },
  });
  assert.deepEqual(Object.keys(scored).sort(), [
    "fid",
    "inception_score",
    "modes",
    "test_loss",
  ]);
  // The same fixed test subset and seed: the same loss.
  assert.equal(scored.test_loss, plain.test_loss);
  assert.equal(scored.modes, 1);
  model.dispose();
  classifier.dispose();
});

Deno.test("ddpmFamily.evaluate() draws --samples with eval's sampler flags and reports the time taken", async () => {
  const model = ddpmFamily.create("ddpm", SMALL, 5) as Ddpm;
  const classifier = smallClassifier(2);
  const reference = referenceStatistics(classifier, randomImages(40, 6));
  const evaluation = { model: classifier, reference };
  const sampling = { sampler: "ddpm" as const, samplerSteps: 3 };
  const started = performance.now();
  const metrics = await ddpmFamily.evaluate(model, {
    train: TEST,
    test: TEST,
    classifier: evaluation,
    samples: 6,
    sampling,
  });
  // A time is only known to lie within the call.
  const seconds = (performance.now() - started) / 1000;
  assert.ok(
    metrics.sampling_seconds > 0 && metrics.sampling_seconds <= seconds,
    `sampling took ${metrics.sampling_seconds} s of the call's ${seconds} s`,
  );
  const ancestral = sampleScores(model, evaluation, {
    count: 6,
    sampling: { sampler: "ddpm", steps: 3 },
  });
  const implicit = sampleScores(model, evaluation, {
    count: 6,
    sampling: { sampler: "ddim", steps: 3 },
  });
  assert.equal(metrics.fid, ancestral.fid);
  // The sampler flag matters: another sampler, another FID (no value to
  // expect for random weights; the equality above is the exact check).
  assert.notEqual(metrics.fid, implicit.fid);
  assert.deepEqual(ddpmFamily.evaluationOptions, [
    "sampler",
    "samplerSteps",
    "eta",
    "clipSample",
    "guidance",
  ]);
  // --no-clip reaches the sampler: the same draw unclipped scores differently.
  const unclipped = await ddpmFamily.evaluate(model, {
    train: TEST,
    test: TEST,
    classifier: evaluation,
    samples: 6,
    sampling: { ...sampling, clipSample: false },
  });
  assert.equal(
    unclipped.fid,
    sampleScores(model, evaluation, {
      count: 6,
      sampling: { sampler: "ddpm", steps: 3, clipSample: false },
    }).fid,
  );
  // Clipping matters for these weights; by how much has no value to expect.
  assert.notEqual(unclipped.fid, metrics.fid);
  model.dispose();
  classifier.dispose();
});

Deno.test("ddpmFamily.monitor() of a text model scores its fixed prompt set, not unconditional samples", async () => {
  const text = { width: 16, heads: 2, layers: 1 };
  const model = ddpmFamily.create("ddpm", { ...SMALL, text }, 4) as Ddpm;
  const classifier = constantClassifier(3);
  const reference = referenceStatistics(classifier, randomImages(40, 5));
  const scored = await ddpmFamily.monitor!(model, {
    train: TEST,
    test: TEST,
    classifier: { model: classifier, reference },
  });
  // The same keys as eval's prompt metrics (MNIST: thickness and slant).
  for (
    const key of [
      "prompt_class_accuracy",
      "thickness_agreement",
      "slant_agreement",
      "fid",
      "test_loss",
    ]
  ) {
    assert.equal(typeof scored[key], "number", key);
  }
  // The constant classifier says 3 for every sample: the share of prompts
  // asking for a three.
  assert.equal(scored.prompt_class_accuracy, 6 / 60);
  // Counts, the same at every measurement, would only plot flat lines.
  assert.equal(scored.prompt_count, undefined);
  assert.equal(scored.samples_per_prompt, undefined);
  model.dispose();
  classifier.dispose();
});
