import assert from "node:assert/strict";
import { tf } from "../../backends/tf.ts";
import { initEngine } from "../../backends/engine.ts";
import { classAccuracy } from "../../eval/class_accuracy.ts";
import { constantClassifier, randomImages } from "./_small_classifier.ts";

await initEngine({ threads: 2 });

Deno.test("classAccuracy() is the share of images classified as requested", () => {
  const classifier = constantClassifier(2);
  const set = randomImages(8, 1);
  assert.equal(classAccuracy(classifier, set, Array(8).fill(2)), 1);
  assert.equal(
    classAccuracy(classifier, set, [2, 0, 2, 1, 2, 2, 9, 2], 3),
    5 / 8,
  );
  const tensor = tf.tensor4d(set.images, set.shape);
  assert.equal(classAccuracy(classifier, tensor, Array(8).fill(0)), 0);
  tensor.dispose();
  classifier.dispose();
});

Deno.test("classAccuracy() rejects a label count that differs from the image count", () => {
  const classifier = constantClassifier(0);
  assert.throws(
    () => classAccuracy(classifier, randomImages(3, 1), [0, 0]),
    /2 requested labels for 3 images/,
  );
  assert.throws(
    () => classAccuracy(classifier, randomImages(0, 1), []),
    /no images/,
  );
  classifier.dispose();
});
