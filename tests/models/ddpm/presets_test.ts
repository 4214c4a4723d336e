import assert from "node:assert/strict";
import {
  DDPM_PRESETS,
  ddpmPreset,
  levelResolutions,
  resolveDdpmConfig,
} from "../../../models/ddpm/presets.ts";
import { assertEveryKeyOverrides } from "../_overrides.ts";

Deno.test("ddpmPreset('ddpm') is the canonical spec: T 1000, linear, epsilon, 32/64/64, lr 2e-4", () => {
  assert.deepEqual(ddpmPreset("ddpm"), {
    imageSize: 28,
    channels: 1,
    baseWidth: 32,
    channelMultipliers: [1, 2, 2],
    attentionResolutions: [],
    normGroups: 8,
    timesteps: 1000,
    schedule: "linear",
    prediction: "epsilon",
    ancestralVariance: "posterior",
    init: "torch",
    conditional: false,
    classes: 10,
    labelDropout: 0.1,
  });
  assert.deepEqual(levelResolutions(ddpmPreset("ddpm")), [28, 14, 7]);
  assert.deepEqual(Object.keys(DDPM_PRESETS), [
    "ddpm",
    "ddpm-small",
    "ddpm-large",
  ]);
});

Deno.test("resolveDdpmConfig() applies overrides and returns a copy", () => {
  const config = resolveDdpmConfig("ddpm", {
    schedule: "cosine",
    prediction: "v",
    conditional: true,
    attentionResolutions: [14, 7],
  });
  assert.deepEqual(config, {
    ...ddpmPreset("ddpm"),
    schedule: "cosine",
    prediction: "v",
    conditional: true,
    attentionResolutions: [14, 7],
  });
  config.channelMultipliers.push(4);
  assert.deepEqual(ddpmPreset("ddpm").channelMultipliers, [1, 2, 2]);
});

Deno.test("resolveDdpmConfig() applies an override of every key", () => {
  assertEveryKeyOverrides(resolveDdpmConfig, "ddpm", DDPM_PRESETS.ddpm, {
    imageSize: 32,
    channels: 3,
    baseWidth: 16,
    channelMultipliers: [1, 2],
    attentionResolutions: [16],
    normGroups: 4,
    timesteps: 50,
    schedule: "cosine",
    prediction: "v",
    ancestralVariance: "beta",
    init: "glorot",
    conditional: true,
    classes: 5,
    labelDropout: 0.2,
  });
});

Deno.test("resolveDdpmConfig() refuses bad keys, types and values, naming them", () => {
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ depth: 3 }, /unknown ddpm config key "depth"/],
    [{ conditional: "yes" }, /"conditional" must be a boolean/],
    [{ schedule: "quadratic" }, /"schedule" must be linear or cosine/],
    [{ init: "he" }, /"init" must be torch or glorot/],
    [{ prediction: "noise" }, /"prediction" must be epsilon or x0 or v/],
    [
      { ancestralVariance: "small" },
      /"ancestralVariance" must be posterior or beta/,
    ],
    [{ labelDropout: 1 }, /"labelDropout" must be in \[0, 1\)/],
    [
      { attentionResolutions: [12] },
      /12 is not a level resolution \(28, 14, 7\)/,
    ],
    [
      { channelMultipliers: [1, 2, 2, 2] },
      /"imageSize" must be a multiple of 8/,
    ],
    [{ channelMultipliers: [] }, /must not be empty/],
    [{ baseWidth: 12 }, /12 channels .* do not split into 8 normGroups/],
    [{ baseWidth: 7, normGroups: 7 }, /"baseWidth" must be a multiple of 2/],
    [{ timesteps: 1 }, /"timesteps" must be a whole number >= 2/],
  ];
  for (const [overrides, message] of bad) {
    assert.throws(
      () => resolveDdpmConfig("ddpm", overrides),
      message,
      JSON.stringify(overrides),
    );
  }
  assert.throws(
    () => resolveDdpmConfig("ddpm-huge"),
    /unknown ddpm preset "ddpm-huge"/,
  );
});
