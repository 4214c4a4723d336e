import assert from "node:assert/strict";
import { AUTOENCODER_DEFAULTS } from "../../../models/ae/model.ts";
import {
  AE_PRESETS,
  aePreset,
  resolveAeConfig,
} from "../../../models/ae/presets.ts";
import { assertEveryKeyOverrides } from "../_overrides.ts";

Deno.test("AE_PRESETS.ae is the network's defaults trained on cross-entropy", () => {
  assert.deepEqual(AE_PRESETS.ae, { ...AUTOENCODER_DEFAULTS, loss: "bce" });
});

Deno.test("aePreset() returns a copy, widths included", () => {
  const config = aePreset("ae");
  config.widths[0] = 99;
  assert.equal(AE_PRESETS.ae.widths[0], 16);
});

Deno.test("aePreset() names an unknown preset", () => {
  assert.throws(() => aePreset("vae"), /unknown ae preset "vae": use ae/);
});

Deno.test("resolveAeConfig() takes the loss, widths and code size", () => {
  const config = resolveAeConfig("ae", {
    loss: "mse",
    widths: [8, 12],
    codeSize: 4,
  });
  assert.deepEqual(config, {
    ...AE_PRESETS.ae,
    loss: "mse",
    widths: [8, 12],
    codeSize: 4,
  });
});

Deno.test("resolveAeConfig() applies an override of every key", () => {
  assertEveryKeyOverrides(resolveAeConfig, "ae", AE_PRESETS.ae, {
    imageSize: 32,
    channels: 3,
    codeSize: 4,
    widths: [8, 12],
    seed: 7,
    loss: "mse",
  });
});

Deno.test("resolveAeConfig() names an unknown key, a mistyped value and one out of range", () => {
  assert.throws(
    () => resolveAeConfig("ae", { lossName: "mse" }),
    /unknown ae config key "lossName": use imageSize, channels, codeSize, widths, seed, loss/,
  );
  assert.throws(
    () => resolveAeConfig("ae", { codeSize: "8" }),
    /ae config key "codeSize" must be a number, got string "8"/,
  );
  assert.throws(
    () => resolveAeConfig("ae", { widths: 16 }),
    /ae config key "widths" must be an array, got number 16/,
  );
  assert.throws(
    () => resolveAeConfig("ae", { loss: "l1" }),
    /ae config key "loss" must be bce or mse, got "l1"/,
  );
  assert.throws(
    () => resolveAeConfig("ae", { widths: [16] }),
    /"widths" must hold 2 channel counts/,
  );
  assert.throws(
    () => resolveAeConfig("ae", { imageSize: 30 }),
    /"imageSize" must be a multiple of 4/,
  );
});
