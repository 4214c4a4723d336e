/**
 * Each family's PyTorch names (models/<family>/torch_names.ts): every
 * variable and buffer of the model maps to one key, the keys are those of
 * the reference modules in bench/peers/models.py with PyTorch's shapes, the
 * parameter counts are the spec's, and configs the reference modules do not
 * take are refused by key.
 */
import assert from "node:assert/strict";
import { initEngine } from "../../backends/engine.ts";
import { familyOf } from "../../models/registry.ts";
import type { TrainableModel } from "../../models/contract.ts";
import { type TorchMapping, torchShape } from "../../models/torch_layout.ts";

await initEngine({ threads: 2 });

/** The parameter counts of bench/peers/models.py's EXPECTED_PARAMETERS. */
const EXPECTED_PARAMETERS: Record<string, number> = {
  dcgan: 691330,
  cgan: 764290,
  vae: 220385,
  flow: 75728,
  ddpm: 694561,
};

/** The presets whose sizes the reference modules take. */
const PRESETS = [
  "vae",
  "vae-small",
  "vae-large",
  "dcgan",
  "dcgan-small",
  "dcgan-large",
  "cgan",
  "cgan-small",
  "cgan-large",
  "flow",
  "flow-small",
  "ddpm",
  "ddpm-small",
];

function withModel(
  preset: string,
  overrides: Record<string, unknown>,
  check: (model: TrainableModel, mapping: TorchMapping) => void,
): void {
  const family = familyOf(preset);
  const model = family.create(preset, overrides, 0, { classes: 10 });
  try {
    check(model, family.torch!(model));
  } finally {
    model.dispose();
  }
}

/** Each key's PyTorch shape, constants included. */
function keyShapes(
  model: TrainableModel,
  mapping: TorchMapping,
): Map<string, number[]> {
  const variables = new Map([
    ...Object.values(model.groups).flatMap((group) => [...group]),
    ...(model.buffers ?? []),
  ]);
  return new Map([
    ...mapping.entries.map((
      entry,
    ) =>
      [
        entry.key,
        torchShape(entry.layout, variables.get(entry.ours)!.shape),
      ] as const
    ),
    ...mapping.constants.map(({ key, tensor }) => [key, tensor.shape] as const),
  ]);
}

Deno.test("every variable and buffer maps to exactly one PyTorch key, for every preset the reference modules take", () => {
  const cases: [string, Record<string, unknown>][] = [
    ...PRESETS.map((preset): [string, Record<string, unknown>] => [preset, {}]),
    ["ddpm-small", { conditional: true }],
  ];
  for (const [preset, overrides] of cases) {
    withModel(preset, overrides, (model, mapping) => {
      const weights = new Set(
        Object.values(model.groups).flatMap((group) => [...group.keys()]),
      );
      const buffers = new Set(model.buffers?.keys() ?? []);
      const mapped = mapping.entries.map((entry) => entry.ours);
      assert.equal(new Set(mapped).size, mapped.length, `${preset}: twice`);
      for (const entry of mapping.entries) {
        const pool = entry.buffer ? buffers : weights;
        assert.ok(pool.has(entry.ours), `${preset}: ${entry.ours}`);
      }
      const filled = mapping.fills.map((fill) => fill.ours);
      assert.deepEqual(
        [...mapped, ...filled].sort(),
        [...weights, ...buffers].sort(),
        `${preset}: all covered`,
      );
      const keys = [
        ...mapping.entries.map((e) => e.key),
        ...mapping.constants.map((c) => c.key),
      ];
      assert.equal(new Set(keys).size, keys.length, `${preset}: keys unique`);
    });
  }
});

Deno.test("the canonical models' trained numbers in PyTorch's shapes are the spec's counts", () => {
  for (const [preset, expected] of Object.entries(EXPECTED_PARAMETERS)) {
    withModel(preset, {}, (model, mapping) => {
      const shapes = keyShapes(model, mapping);
      const trained = mapping.entries.filter((entry) => !entry.buffer)
        .reduce(
          (sum, entry) =>
            sum + shapes.get(entry.key)!.reduce((a, b) => a * b, 1),
          0,
        );
      assert.equal(trained, expected, preset);
    });
  }
});

Deno.test("keys and shapes as the reference modules hold them", () => {
  const expect = (
    preset: string,
    overrides: Record<string, unknown>,
    module: string,
    wanted: Record<string, number[]>,
    count: number,
  ) =>
    withModel(preset, overrides, (model, mapping) => {
      const shapes = keyShapes(model, mapping);
      assert.equal(mapping.module, module);
      assert.equal(shapes.size, count, `${preset}: state dict size`);
      for (const [key, shape] of Object.entries(wanted)) {
        assert.deepEqual(shapes.get(key), shape, `${preset}: ${key}`);
      }
    });
  expect("vae", {}, "Vae(latent_size=16, base_width=32)", {
    "conv1.weight": [32, 1, 4, 4],
    "encoder_dense.weight": [32, 3136],
    "decoder_dense.weight": [3136, 16],
    "deconv1.weight": [64, 32, 4, 4],
    "deconv2.bias": [1],
  }, 12);
  expect("cgan", {}, "Gan(classes=10, latent_size=64, base_width=64)", {
    "generator.dense.weight": [6272, 74],
    "generator.norm0.running_var": [6272],
    "generator.norm0.num_batches_tracked": [],
    "generator.deconv1.weight": [128, 64, 4, 4],
    "discriminator.conv1.weight": [64, 11, 4, 4],
    "discriminator.dense.weight": [1, 6272],
  }, 27);
  expect("flow-small", {}, "Flow(steps_per_level=2, hidden=32)", {
    "level1.0.actnorm.log_scale": [1, 4, 1, 1],
    "level1.1.permutation.kernel": [4, 4],
    "level2.0.coupling.network.0.weight": [32, 4, 3, 3],
    "level2.1.coupling.network.4.weight": [8, 32, 3, 3],
  }, 36);
  expect(
    "ddpm",
    { conditional: true },
    "UNet(timesteps=1000, base_width=32, groups=8, classes=10)",
    {
      "features": [1000, 32],
      "label.weight": [11, 128],
      "time1.weight": [128, 32],
      "downsample0.weight": [32, 32, 3, 3],
      "down1.skip.weight": [64, 32, 1, 1],
      "up2.norm1.weight": [128],
      "up0.skip.weight": [32, 96, 1, 1],
      "upsample1.bias": [64],
      "output_norm.bias": [32],
      "output.weight": [1, 32, 3, 3],
    },
    98,
  );
});

Deno.test("configs the reference modules do not take are refused, naming the key", () => {
  const refused = (
    preset: string,
    overrides: Record<string, unknown>,
    pattern: RegExp,
  ) => {
    const family = familyOf(preset);
    const model = family.create(preset, overrides, 0, { classes: 10 });
    try {
      assert.throws(() => family.torch!(model), pattern);
    } finally {
      model.dispose();
    }
  };
  refused(
    "flow-large",
    {},
    /flow-large has permutation "conv-lu"; .* takes permutation "conv" only/,
  );
  refused("ddpm-large", {}, /ddpm-large has attentionResolutions \[7\]/);
  refused("dcgan", { spectralNorm: true }, /dcgan has spectralNorm true/);
  refused("flow", { coupling: "additive" }, /flow has coupling "additive"/);
  assert.equal(familyOf("classifier").torch, undefined);
  assert.equal(familyOf("ae").torch, undefined);
});
