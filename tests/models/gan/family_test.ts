import assert from "node:assert/strict";
import { tf } from "../../../backends/tf.ts";
import { initEngine } from "../../../backends/engine.ts";
import type { ImageSet } from "../../../data/image_set.ts";
import { classHistogram } from "../../../eval/class_histogram.ts";
import { classifyImages } from "../../../eval/classify_images.ts";
import { featureStatistics } from "../../../eval/feature_statistics.ts";
import { frechetDistance } from "../../../eval/frechet_distance.ts";
import { referenceStatistics } from "../../../eval/reference_statistics.ts";
import { createClassifier } from "../../../models/classifier/classifier.ts";
import { ganFamily } from "../../../models/gan/family.ts";
import type { Gan } from "../../../models/gan/gan.ts";
import { ganSampleMetrics } from "../../../models/gan/quality.ts";

await initEngine({ threads: 2 });

/** An image set of `count` blank 28 x 28 images (only its shape matters here). */
function blankSet(count: number): ImageSet {
  return {
    images: new Float32Array(count * 784),
    labels: new Uint8Array(count),
    shape: [count, 28, 28, 1],
  } as unknown as ImageSet;
}

const SMALL = { imageSize: 8, baseWidth: 4, latentSize: 3 };

Deno.test("ganFamily.create() takes the data's classes unless --set gives them; its Adam settings are training options", () => {
  const gan = ganFamily.create("cgan-small", SMALL, 0, { classes: 4 });
  assert.equal(gan.config.classes, 4);
  assert.equal(gan.groups.generator.get("generator.dense.kernel")!.shape[0], 7);
  gan.dispose();
  const set = ganFamily.create("dcgan-small", { ...SMALL, classes: 3 }, 0, {
    classes: 10,
  });
  assert.equal(set.config.classes, 3);
  for (const key of ["generatorLr", "discriminatorLr", "beta1", "beta2"]) {
    assert.ok(!(key in set.config), `${key} is no config key`);
  }
  set.dispose();
  assert.deepEqual(ganFamily.training, {
    learningRate: 2e-4,
    beta1: 0.5,
    beta2: 0.999,
    batchSize: 64,
    emaDecay: 0.999,
  });
  // --set generatorLr=X sets one group's rate; --lr sets the run's (both).
  const settings = ganFamily.trainingSettings!;
  const current = { learningRate: 1e-3, groups: {} };
  assert.deepEqual(settings.generatorLr.set(5e-5, current), {
    groups: { generator: { learningRate: 5e-5 } },
  });
  assert.deepEqual(settings.beta1.set(0.9, current), { beta1: 0.9 });
  assert.throws(
    () => settings.beta2.set(1, current),
    /beta2 must be a number in \[0, 1\)/,
  );
  assert.equal(current.groups && Object.keys(current.groups).length, 0);
});

Deno.test("ganFamily.sample() draws a grid per kind: samples, one row per class, or interpolation strips", () => {
  const test = blankSet(2);
  const dcgan = ganFamily.create("dcgan-small", SMALL, 0);
  const cgan = ganFamily.create("cgan-small", SMALL, 0);
  const shape = (model: typeof dcgan, request: Record<string, unknown>) =>
    tf.tidy(() =>
      ganFamily.sample(model, {
        count: 16,
        seed: 1,
        kind: "samples",
        test,
        ...request,
      }).shape
    );
  assert.deepEqual(shape(dcgan, {}), [16, 8, 8, 1]);
  assert.deepEqual(shape(cgan, {}), [80, 8, 8, 1], "one row of 8 per class");
  assert.deepEqual(shape(cgan, { count: 160 }), [160, 8, 8, 1]);
  assert.deepEqual(shape(cgan, { classLabel: 3 }), [16, 8, 8, 1]);
  assert.deepEqual(shape(cgan, { kind: "interpolation" }), [16, 8, 8, 1]);
  assert.deepEqual(shape(dcgan, { kind: "interpolation", count: 5 }), [
    8,
    8,
    8,
    1,
  ]);
  assert.throws(() => shape(dcgan, { classLabel: 3 }), /unconditional/);
  // The trainer's grid: fixed noise, one row per class for the cgan.
  assert.deepEqual(
    tf.tidy(() => cgan.generate!(64, 0).shape),
    [80, 8, 8, 1],
  );
  dcgan.dispose();
  cgan.dispose();
});

Deno.test("ganFamily.monitor() and evaluate() measure nothing without a classifier", async () => {
  const gan = ganFamily.create("dcgan-small", SMALL, 0);
  const data = { train: blankSet(2), test: blankSet(2) };
  assert.deepEqual(await ganFamily.monitor!(gan, data), {});
  assert.deepEqual(await ganFamily.evaluate(gan, data), {});
  gan.dispose();
});

Deno.test("ganSampleMetrics() reports FID, modes, the largest class's share and, for a cgan, class accuracy", () => {
  const classifier = createClassifier("classifier");
  const gan = ganFamily.create("cgan-small", {}, 0) as Gan;
  const real = tf.randomUniform([20, 28, 28, 1], 0, 1, "float32", 1);
  const reference = referenceStatistics(classifier, real as tf.Tensor4D);
  real.dispose();
  const count = 30;
  const metrics = ganSampleMetrics(
    gan,
    { model: classifier, reference },
    count,
  );
  assert.deepEqual(Object.keys(metrics).sort(), [
    "class_0",
    "class_1",
    "class_2",
    "class_3",
    "class_4",
    "class_5",
    "class_6",
    "class_7",
    "class_8",
    "class_9",
    "class_accuracy",
    "fid",
    "inception_score",
    "largest_class",
    "modes",
  ]);
  // The same samples (seed 1, classes in turn) classified here.
  const samples = tf.tidy(() => gan.sample(count, 1));
  const { predictions, features } = classifyImages(classifier, samples);
  samples.dispose();
  const histogram = classHistogram(predictions, 10);
  assert.equal(metrics.largest_class, Math.max(...histogram) / count);
  histogram.forEach((n, label) =>
    assert.equal(metrics[`class_${label}`], n / count)
  );
  const correct = predictions.filter((p, i) => p === i % 10).length;
  assert.ok(Math.abs(metrics.class_accuracy - correct / count) < 1e-9);
  // FID of those samples' features against the reference (the formula is
  // checked in tests/eval).
  const { mean, covariance } = featureStatistics(features, 64);
  const fid = frechetDistance(
    mean,
    covariance,
    reference.mean,
    reference.covariance,
  );
  assert.ok(fid > 0, "samples and reference differ");
  assert.ok(
    Math.abs(metrics.fid - fid) <= 1e-4 * fid,
    `${metrics.fid} vs ${fid}`,
  );
  gan.dispose();
  classifier.dispose();
});
