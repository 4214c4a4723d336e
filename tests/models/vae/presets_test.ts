import assert from "node:assert/strict";
import {
  resolveVaeConfig,
  VAE_PRESETS,
  vaePreset,
} from "../../../models/vae/presets.ts";
import { assertEveryKeyOverrides } from "../_overrides.ts";

Deno.test("VAE_PRESETS.vae is the canonical model of the spec", () => {
  assert.deepEqual(VAE_PRESETS.vae, {
    imageSize: 28,
    channels: 1,
    latentSize: 16,
    baseWidth: 32,
    binarize: false,
  });
});

Deno.test("VAE_PRESETS holds a smaller and a larger size of the same model", () => {
  assert.deepEqual(Object.keys(VAE_PRESETS), ["vae", "vae-small", "vae-large"]);
  const small = VAE_PRESETS["vae-small"];
  const large = VAE_PRESETS["vae-large"];
  // Half and twice the canonical latent and width; nothing else changes.
  const { latentSize, baseWidth } = VAE_PRESETS.vae;
  assert.deepEqual(small, {
    ...VAE_PRESETS.vae,
    latentSize: latentSize / 2,
    baseWidth: baseWidth / 2,
  });
  assert.deepEqual(large, {
    ...VAE_PRESETS.vae,
    latentSize: latentSize * 2,
    baseWidth: baseWidth * 2,
  });
});

Deno.test("vaePreset() returns a copy that leaves the table alone", () => {
  const config = vaePreset("vae");
  config.latentSize = 2;
  assert.equal(VAE_PRESETS.vae.latentSize, 16);
});

Deno.test("vaePreset() names an unknown preset and lists the known ones", () => {
  assert.throws(
    () => vaePreset("vea"),
    /unknown vae preset "vea": use vae, vae-small, vae-large/,
  );
  // Inherited object keys are not presets.
  assert.throws(() => vaePreset("toString"), /unknown vae preset "toString"/);
});

Deno.test("resolveVaeConfig() overrides only the keys given", () => {
  const config = resolveVaeConfig("vae-large", { latentSize: 2 });
  assert.deepEqual(config, { ...VAE_PRESETS["vae-large"], latentSize: 2 });
});

Deno.test("resolveVaeConfig() applies an override of every key, from every preset", () => {
  for (const name of Object.keys(VAE_PRESETS) as (keyof typeof VAE_PRESETS)[]) {
    assertEveryKeyOverrides(resolveVaeConfig, name, VAE_PRESETS[name], {
      imageSize: 32,
      channels: 3,
      latentSize: 2,
      baseWidth: 8,
      binarize: true,
    });
  }
});

Deno.test("resolveVaeConfig() rejects an unknown key, naming it", () => {
  assert.throws(
    () => resolveVaeConfig("vae", { latent: 8 }),
    /unknown vae config key "latent": use imageSize, channels, latentSize/,
  );
});

Deno.test("resolveVaeConfig() rejects a value of the wrong type, naming the key", () => {
  assert.throws(
    () => resolveVaeConfig("vae", { latentSize: "8" }),
    /vae config key "latentSize" must be a number, got string "8"/,
  );
  assert.throws(
    () => resolveVaeConfig("vae", { baseWidth: null }),
    /"baseWidth" must be a number, got null null/,
  );
});

Deno.test("resolveVaeConfig() rejects values out of range, naming the key", () => {
  assert.throws(
    () => resolveVaeConfig("vae", { latentSize: 0 }),
    /"latentSize" must be a whole number >= 1, got 0/,
  );
  assert.throws(
    () => resolveVaeConfig("vae", { baseWidth: 2.5 }),
    /"baseWidth" must be a whole number/,
  );
  assert.throws(
    () => resolveVaeConfig("vae", { imageSize: 30 }),
    /"imageSize" must be a multiple of 4, got 30/,
  );
  // Training options are no config keys: the trainer's options hold them.
  for (const key of ["learningRate", "batchSize"]) {
    assert.throws(
      () => resolveVaeConfig("vae", { [key]: 64 }),
      new RegExp(`unknown vae config key "${key}"`),
    );
  }
});
