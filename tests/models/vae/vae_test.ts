import assert from "node:assert/strict";
import { tf } from "../../../backends/tf.ts";
import { initEngine } from "../../../backends/engine.ts";
import { mulberry32 } from "../../../data/random.ts";
import type { TrainableModel } from "../../../models/contract.ts";
import { VAE_PRESETS } from "../../../models/vae/presets.ts";
import { createVae } from "../../../models/vae/vae.ts";

await initEngine({ threads: 2 });

/**
 * Parameters of the VAE on 28 x 28 x 1 images with a latent of `latent` and
 * channels `width` / 2 `width`, by layer: weights + biases.
 */
function vaeParameters(latent: number, width: number): number {
  const units = 7 * 7 * 2 * width; // the flattened 7 x 7 x 2width feature map
  return (4 * 4 * 1 * width + width) + // encoder Conv(1 -> w, k4)
    (4 * 4 * width * 2 * width + 2 * width) + // encoder Conv(w -> 2w, k4)
    (units * 2 * latent + 2 * latent) + // encoder Dense(units -> mean, log variance)
    (latent * units + units) + // decoder Dense(latent -> units)
    (4 * 4 * 2 * width * width + width) + // decoder ConvTranspose(2w -> w, k4)
    (4 * 4 * width * 1 + 1); // decoder ConvTranspose(w -> 1, k4)
}

Deno.test("createVae('vae') has the canonical parameter count, 220385", () => {
  // Worked out from shared/spec/canonical-models.md, weights + biases:
  const expected = (4 * 4 * 1 * 32 + 32) + // encoder Conv(1 -> 32, k4)
    (4 * 4 * 32 * 64 + 64) + // encoder Conv(32 -> 64, k4)
    (3136 * 32 + 32) + // encoder Dense(3136 -> 32)
    (16 * 3136 + 3136) + // decoder Dense(16 -> 3136)
    (4 * 4 * 64 * 32 + 32) + // decoder ConvTranspose(64 -> 32, k4)
    (4 * 4 * 32 * 1 + 1); // decoder ConvTranspose(32 -> 1, k4)
  assert.equal(expected, 220385);
  assert.equal(vaeParameters(16, 32), expected);
  const vae = createVae("vae");
  assert.equal(vae.parameterCount(), expected);
  let total = 0;
  for (const variable of vae.groups.model.values()) total += variable.size;
  assert.equal(total, expected);
  vae.dispose();
});

Deno.test("createVae() builds the small and large presets at their sizes", () => {
  const counts = Object.fromEntries(
    (["vae-small", "vae-large"] as const).map((name) => {
      const vae = createVae(name);
      const count = vae.parameterCount();
      vae.dispose();
      return [name, count];
    }),
  );
  // vae-small: latent 8, width 16; vae-large: latent 32, width 64.
  assert.deepEqual(counts, {
    "vae-small": vaeParameters(8, 16),
    "vae-large": vaeParameters(32, 64),
  });
});

Deno.test("createVae() is a TrainableModel with one group and one phase", () => {
  const vae: TrainableModel = createVae("vae-small");
  assert.equal(vae.preset, "vae-small");
  assert.deepEqual(vae.config, VAE_PRESETS["vae-small"]);
  assert.deepEqual(Object.keys(vae.groups), ["model"]);
  assert.equal(vae.groups.model.size, 12);
  assert.ok(
    [...vae.groups.model.keys()].every((name) =>
      /^(encoder|decoder)\.\w+\.(kernel|bias)$/.test(name)
    ),
  );
  assert.deepEqual(vae.phases.map((phase) => phase.name), ["loss"]);
  assert.equal(vae.pixelRange, "unit");
  assert.ok(!("learningRate" in vae.config), "a training option");
  assert.ok(JSON.parse(JSON.stringify(vae.config)), "config is plain JSON");
  vae.dispose();
});

Deno.test("createVae() rebuilds from { preset, ...config } with the same names and shapes", () => {
  const original = createVae({ preset: "vae-large", latentSize: 4 });
  assert.equal(original.preset, "vae-large");
  assert.equal(original.config.latentSize, 4);
  const rebuilt = createVae({ preset: original.preset, ...original.config });
  assert.equal(rebuilt.preset, "vae-large");
  assert.deepEqual(rebuilt.config, original.config);
  const shapes = (vae: typeof original) =>
    [...vae.groups.model].map(([name, variable]) => [name, variable.shape]);
  assert.deepEqual(shapes(rebuilt), shapes(original));
  original.dispose();
  rebuilt.dispose();
});

Deno.test("createVae() defaults to the vae preset and weights from the given stream", () => {
  const weights = (seed: number) => {
    const vae = createVae({}, mulberry32(seed));
    assert.equal(vae.preset, "vae");
    const values = [...vae.groups.model.get("encoder.conv1.kernel")!
      .dataSync()];
    vae.dispose();
    return values;
  };
  assert.deepEqual(weights(1), weights(1));
  // Another seed, other random weights: no value to expect.
  assert.notDeepEqual(weights(1), weights(2));
});

Deno.test("createVae() names an unknown preset, key or mistyped value", () => {
  assert.throws(() => createVae("gan"), /unknown vae preset "gan"/);
  assert.throws(
    () => createVae({ preset: "vea" }),
    /unknown vae preset "vea"/,
  );
  assert.throws(
    () => createVae({ latent: 3 } as never),
    /unknown vae config key "latent"/,
  );
  assert.throws(
    () => createVae({ baseWidth: "32" } as never),
    /vae config key "baseWidth" must be a number/,
  );
});

Deno.test("Vae.generate() is sample(): the same seed gives the same pixels", () => {
  const vae = createVae("vae", mulberry32(4));
  const [generated, sampled, other] = tf.tidy(() => [
    vae.generate(2, 5).dataSync(),
    vae.sample(2, 5).dataSync(),
    vae.sample(2, 6).dataSync(),
  ]);
  assert.deepEqual(generated, sampled);
  // Another seed, other noise: no value to expect.
  assert.notDeepEqual(other, sampled);
  vae.dispose();
});

Deno.test("Vae.dispose() frees every variable", () => {
  const before = tf.memory().numTensors;
  const vae = createVae("vae");
  assert.equal(tf.memory().numTensors, before + 12);
  vae.dispose();
  assert.equal(tf.memory().numTensors, before);
});
