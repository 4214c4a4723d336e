import assert from "node:assert/strict";
import {
  CLASSIFIER_PRESETS,
  classifierPreset,
  resolveClassifierConfig,
} from "../../../models/classifier/presets.ts";
import { assertEveryKeyOverrides } from "../_overrides.ts";

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
  // featureSize 128, not the preset's 64: an override equal to the
  // default would pass with the override ignored.
  const config = resolveClassifierConfig("classifier", {
    maxShift: 0,
    featureSize: 128,
  });
  assert.deepEqual(config, {
    ...CLASSIFIER_PRESETS.classifier,
    maxShift: 0,
    featureSize: 128,
  });
});

Deno.test("resolveClassifierConfig() applies an override of every key", () => {
  assertEveryKeyOverrides(
    resolveClassifierConfig,
    "classifier",
    CLASSIFIER_PRESETS.classifier,
    {
      imageSize: 32,
      channels: 3,
      classes: 5,
      baseWidth: 16,
      featureSize: 128,
      maxShift: 3,
    },
  );
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
