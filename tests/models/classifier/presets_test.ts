import assert from "node:assert/strict";
import {
  CLASSIFIER_PRESETS,
  classifierPreset,
  resolveClassifierConfig,
} from "../../../models/classifier/presets.ts";

Deno.test("classifierPreset() returns a fresh copy of the classifier preset", () => {
  const config = classifierPreset("classifier");
  assert.deepEqual(config, {
    imageSize: 28,
    channels: 1,
    classes: 10,
    baseWidth: 32,
    featureSize: 64,
    maxShift: 2,
  });
  config.featureSize = 1;
  assert.equal(CLASSIFIER_PRESETS.classifier.featureSize, 64);
});

Deno.test("classifierPreset() names the known presets for an unknown one", () => {
  assert.throws(
    () => classifierPreset("resnet"),
    /unknown classifier preset "resnet": use classifier/,
  );
});

Deno.test("resolveClassifierConfig() applies overrides of the right type", () => {
  const config = resolveClassifierConfig("classifier", {
    maxShift: 0,
    featureSize: 64,
  });
  assert.equal(config.maxShift, 0);
  assert.equal(config.featureSize, 64);
  assert.equal(config.baseWidth, 32);
});

Deno.test("resolveClassifierConfig() rejects unknown keys, wrong types and bad ranges", () => {
  assert.throws(
    () => resolveClassifierConfig("classifier", { dropout: 0.5 }),
    /unknown classifier config key "dropout"/,
  );
  assert.throws(
    () => resolveClassifierConfig("classifier", { classes: "10" }),
    /"classes" must be a number, got string/,
  );
  assert.throws(
    () => resolveClassifierConfig("classifier", { imageSize: 30 }),
    /multiple of 4/,
  );
  assert.throws(
    () => resolveClassifierConfig("classifier", { maxShift: -1 }),
    /"maxShift" must be a whole number >= 0/,
  );
  assert.throws(
    () => resolveClassifierConfig("classifier", { classes: 1 }),
    /"classes" must be a whole number >= 2/,
  );
  assert.throws(
    () => resolveClassifierConfig("classifier", { learningRate: 1e-3 }),
    /unknown classifier config key "learningRate"/,
  );
});
