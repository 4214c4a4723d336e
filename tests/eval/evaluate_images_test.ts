import assert from "node:assert/strict";
import { tf } from "../../backends/tf.ts";
import { initEngine } from "../../backends/engine.ts";
import { classifyImages } from "../../eval/classify_images.ts";
import { evaluateImages } from "../../eval/evaluate_images.ts";
import { featureStatistics } from "../../eval/feature_statistics.ts";
import { frechetDistance } from "../../eval/frechet_distance.ts";
import { inceptionScore } from "../../eval/inception_score.ts";
import { referenceStatistics } from "../../eval/reference_statistics.ts";
import {
  constantClassifier,
  randomImages,
  smallClassifier,
} from "./_small_classifier.ts";

await initEngine({ threads: 2 });

Deno.test("classifyImages() gives the same results from a tensor, from plain pixels and at any batch size", () => {
  const classifier = smallClassifier();
  const set = randomImages(23, 1);
  const plain = classifyImages(classifier, set, 500);
  const batched = classifyImages(classifier, set, 4);
  const tensor = tf.tensor4d(set.images, set.shape);
  const fromTensor = classifyImages(classifier, tensor, 7);
  for (const other of [batched, fromTensor]) {
    assert.equal(other.count, 23);
    assert.deepEqual([...other.predictions], [...plain.predictions]);
    for (let index = 0; index < plain.features.length; index++) {
      assert.ok(Math.abs(other.features[index] - plain.features[index]) < 1e-5);
    }
  }
  assert.equal(plain.features.length, 23 * 6);
  assert.equal(plain.probabilities.length, 23 * 10);
  for (let row = 0; row < 23; row++) {
    const probabilities = plain.probabilities.subarray(row * 10, row * 10 + 10);
    const sum = probabilities.reduce((total, value) => total + value, 0);
    assert.ok(Math.abs(sum - 1) < 1e-5, "rows are distributions");
    const best = probabilities.indexOf(Math.max(...probabilities));
    assert.equal(plain.predictions[row], best, "prediction is the argmax");
  }
  tensor.dispose();
  classifier.dispose();
});

Deno.test("classifyImages() rejects images of the wrong shape and leaks no tensors", () => {
  const classifier = smallClassifier();
  const before = tf.memory().numTensors;
  classifyImages(classifier, randomImages(5, 2), 2);
  assert.equal(tf.memory().numTensors, before);
  assert.throws(
    () =>
      classifyImages(classifier, {
        images: new Float32Array(2 * 784),
        shape: [2, 28, 28, 1],
      }),
    /do not fit the classifier, which takes \[count, 8, 8, 1\]/,
  );
  classifier.dispose();
});

Deno.test("evaluateImages() of a set against its own statistics has FID about 0", () => {
  const classifier = smallClassifier();
  const set = randomImages(40, 3);
  const reference = referenceStatistics(classifier, set);
  const result = evaluateImages(classifier, set, reference);
  let trace = 0;
  for (let index = 0; index < 6; index++) {
    trace += reference.covariance[index * 7];
  }
  assert.ok(trace > 0, "the features vary");
  assert.ok(result.fid < 1e-9 * Math.max(1, trace), `FID ${result.fid}`);
  assert.equal(result.count, 40);
  classifier.dispose();
});

Deno.test("evaluateImages() agrees with the formulas applied to classifyImages()", () => {
  const classifier = smallClassifier();
  const real = randomImages(40, 4);
  // Samples from another distribution: darker images.
  const fake = randomImages(30, 5);
  fake.images.forEach((value, index) => fake.images[index] = value * value);
  const reference = referenceStatistics(classifier, real);
  const result = evaluateImages(classifier, fake, reference, {
    batchSize: 8,
    splits: 3,
  });
  const classified = classifyImages(classifier, fake);
  const { mean, covariance } = featureStatistics(classified.features, 6);
  const fid = frechetDistance(
    mean,
    covariance,
    reference.mean,
    reference.covariance,
  );
  // Different distributions, so the relative check below is not 0 vs 0.
  assert.ok(fid > 0);
  assert.ok(
    Math.abs(result.fid - fid) <= 1e-4 * fid,
    `${result.fid} vs ${fid}`,
  );
  const score = inceptionScore(classified.probabilities, 10, 3);
  assert.ok(Math.abs(result.inceptionScore.mean - score.mean) < 1e-4);
  assert.equal(result.histogram.reduce((total, count) => total + count, 0), 30);
  const expectedModes =
    [...result.histogram].filter((count) => count >= 0.01 * 30).length;
  assert.equal(result.modes, expectedModes);
  classifier.dispose();
});

Deno.test("evaluateImages() of a collapsed generator: one mode, Inception Score 1", () => {
  const classifier = constantClassifier(7);
  const set = randomImages(20, 6);
  const reference = referenceStatistics(classifier, set);
  const result = evaluateImages(classifier, set, reference, { splits: 2 });
  const histogram = new Array(10).fill(0);
  histogram[7] = 20;
  assert.deepEqual([...result.histogram], histogram);
  assert.equal(result.modes, 1);
  assert.ok(Math.abs(result.inceptionScore.mean - 1) < 1e-6);
  assert.ok(result.inceptionScore.std < 1e-6);
  classifier.dispose();
});

Deno.test("evaluateImages() rejects reference statistics of another size", () => {
  const classifier = smallClassifier();
  const reference = {
    mean: new Float64Array(128),
    covariance: new Float64Array(128 * 128),
  };
  assert.throws(
    () => evaluateImages(classifier, randomImages(4, 1), reference),
    /reference statistics have 128 features but the classifier gives 6/,
  );
  classifier.dispose();
});
