import assert from "node:assert/strict";
import { tf } from "../../../backends/tf.ts";
import { initEngine } from "../../../backends/engine.ts";
import { mulberry32 } from "../../../data/random.ts";
import type { ImageSet } from "../../../data/image_set.ts";
import {
  type Classifier,
  createClassifier,
  features,
  logits,
} from "../../../models/classifier/classifier.ts";
import {
  accuracy,
  predictClasses,
} from "../../../models/classifier/accuracy.ts";

await initEngine({ threads: 2 });

/** A classifier on 8 x 8 images that predicts `label` for every image. */
function constantClassifier(label: number): Classifier {
  const classifier = createClassifier({
    imageSize: 8,
    baseWidth: 2,
    featureSize: 4,
  });
  for (const variable of classifier.groups.model.values()) {
    variable.assign(tf.zerosLike(variable));
  }
  const bias = new Float32Array(10);
  bias[label] = 5;
  classifier.groups.model.get("logits.bias")!.assign(tf.tensor1d(bias));
  return classifier;
}

/** `count` blank 8 x 8 images with the given labels. */
function blankSet(labels: number[]): ImageSet {
  return {
    images: new Float32Array(labels.length * 64),
    labels: Uint8Array.from(labels),
    shape: [labels.length, 8, 8, 1],
  };
}

Deno.test("createClassifier() meets the trainer's contract", () => {
  const classifier = createClassifier("classifier");
  assert.equal(classifier.preset, "classifier");
  assert.equal(classifier.config.featureSize, 64);
  assert.equal(classifier.pixelRange, "unit");
  assert.deepEqual(Object.keys(classifier.groups), ["model"]);
  assert.equal(classifier.groups.model.size, 12);
  assert.deepEqual(
    classifier.phases.map(({ name, group }) => [name, group]),
    [["loss", "model"]],
  );
  // The optimiser is the run's, not the model's: no learning rate here.
  assert.ok(!("learningRate" in classifier.config));
  // By layer, weights + biases: four 3 x 3 convolutions 1 -> 32 -> 32 ->
  // 64 -> 64, then Dense(7 * 7 * 64 -> 64) and Dense(64 -> 10).
  const conv = (cin: number, cout: number) => 3 * 3 * cin * cout + cout;
  assert.equal(
    classifier.parameterCount(),
    conv(1, 32) + conv(32, 32) + conv(32, 64) + conv(64, 64) +
      (7 * 7 * 64 * 64 + 64) + (64 * 10 + 10),
  );
  // The config rebuilds the same model.
  const copy = createClassifier({ preset: "classifier", ...classifier.config });
  assert.deepEqual(copy.config, classifier.config);
  copy.dispose();
  classifier.dispose();
});

Deno.test("createClassifier() rejects an unknown preset or key", () => {
  assert.throws(() => createClassifier("vae"), /unknown classifier preset/);
  assert.throws(
    () => createClassifier({ latentSize: 3 } as never),
    /unknown classifier config key "latentSize"/,
  );
});

Deno.test("features() and logits() give (batch, 64) and (batch, 10) from one network", () => {
  const classifier = createClassifier("classifier", mulberry32(2));
  const before = tf.memory().numTensors;
  tf.tidy(() => {
    const images = tf.randomUniform([2, 28, 28, 1], 0, 1, "float32", 1);
    const featureValues = features(classifier, images as tf.Tensor4D);
    const logitValues = logits(classifier, images as tf.Tensor4D);
    assert.deepEqual(featureValues.shape, [2, 64]);
    assert.deepEqual(logitValues.shape, [2, 10]);
    // logits = features W + b of the last layer.
    const { kernel, bias } = classifier.network.layers.logits.variables;
    const expected = tf.add(tf.matMul(featureValues, kernel), bias);
    assert.ok(
      tf.max(tf.abs(tf.sub(expected, logitValues))).dataSync()[0] < 1e-5,
    );
  });
  assert.equal(tf.memory().numTensors, before, "nothing leaks");
  classifier.dispose();
});

Deno.test("accuracy() is the share of labels the classifier predicts", () => {
  const classifier = constantClassifier(3);
  const set = blankSet([3, 3, 1, 3, 0, 3, 3, 9]);
  assert.deepEqual([...predictClasses(classifier, set, 3)], Array(8).fill(3));
  assert.equal(accuracy(classifier, set, 3), 5 / 8);
  assert.throws(() => accuracy(classifier, blankSet([])), /empty/);
  classifier.dispose();
});
