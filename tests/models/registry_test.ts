import assert from "node:assert/strict";
import { initEngine } from "../../backends/engine.ts";
import {
  familyOf,
  MODEL_FAMILIES,
  rebuildModel,
} from "../../models/registry.ts";
import { defaultTextConfig as defaultDdpmTextConfig } from "../../models/ddpm/presets.ts";

await initEngine({ threads: 2 });

Deno.test("the canonical presets are built by name, each with exactly its family's declared config keys", () => {
  for (const preset of ["dcgan", "cgan", "vae", "flow", "ddpm", "ae"]) {
    const family = familyOf(preset);
    const model = family.create(preset, {}, 0, { classes: 10 });
    try {
      assert.equal(model.preset, preset);
      assert.deepEqual(Object.keys(model.config), family.configKeys, preset);
    } finally {
      model.dispose();
    }
  }
});

Deno.test("every family's declarations agree: --set keys, help, retired keys, sampling options", () => {
  for (const family of MODEL_FAMILIES) {
    const settings = Object.keys(family.trainingSettings ?? {});
    const keys = [...family.configKeys, ...settings];
    assert.equal(
      new Set(keys).size,
      keys.length,
      `${family.name}: a key twice`,
    );
    for (const retired of family.retiredKeys ?? []) {
      assert.ok(
        !family.configKeys.includes(retired),
        `${family.name}: ${retired} is retired and a config key`,
      );
    }
    // Every KEY= the help names is a key --set accepts (text.KEY: a key
    // of the text block, for families with text conditioning).
    const textKeys = Object.keys(defaultDdpmTextConfig());
    for (
      const [, block, key] of (family.optionsHelp ?? "").matchAll(
        /(?:(\w+)\.)?(\w+)=/g,
      )
    ) {
      if (block) {
        assert.ok(
          block === "text" && family.textCondition && textKeys.includes(key),
          `${family.name} help names ${block}.${key}`,
        );
      } else {
        assert.ok(keys.includes(key), `${family.name} help names ${key}`);
      }
    }
    const options = family.sampleOptions ?? {};
    const flags = Object.values(options).map((spec) => spec.flag);
    assert.equal(
      new Set(flags).size,
      flags.length,
      `${family.name}: a flag twice`,
    );
    for (const key of family.evaluationOptions ?? []) {
      assert.ok(key in options, `${family.name}: eval takes unknown ${key}`);
    }
    assert.ok(family.sampleKinds.length > 0, family.name);
    assert.ok((family.training.learningRate ?? 0) > 0, family.name);
  }
});

Deno.test("rebuildModel() loads configs written before training options left them; other unknown keys still fail", () => {
  /** Retired keys with the values older checkpoints stored. */
  const OLD_KEYS: Record<string, Record<string, unknown>> = {
    "vae-small": { learningRate: 5e-4, batchSize: 128 },
    classifier: { learningRate: 1e-3, batchSize: 64 },
    "flow-small": { learningRate: 1e-3 },
    flow2d: { learningRate: 3e-3 },
    "ddpm-small": { learningRate: 2e-4 },
    "dcgan-small": {
      generatorLr: 2e-4,
      discriminatorLr: 1e-4,
      beta1: 0.5,
      beta2: 0.999,
    },
  };
  for (const [preset, old] of Object.entries(OLD_KEYS)) {
    const family = familyOf(preset);
    assert.deepEqual(Object.keys(old).sort(), [...family.retiredKeys!].sort());
    const current = family.create(preset, {}, 0);
    const rebuilt = rebuildModel(family, preset, { ...current.config, ...old });
    assert.deepEqual(rebuilt.config, current.config, preset);
    rebuilt.dispose();
    assert.throws(
      () => rebuildModel(family, preset, { ...current.config, bogus: 1 }),
      /unknown \w+ config key "bogus"/,
    );
    current.dispose();
  }
});
