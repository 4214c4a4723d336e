/**
 * A model's weights to a PyTorch state dict file and back
 * (train/torch_state_dict.ts): every canonical model comes back with
 * identical weights and buffers and draws identical samples; an imported
 * run is a run that loads, with a fresh optimizer; a bad state dict writes
 * nothing.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { tf } from "../../backends/tf.ts";
import { initEngine } from "../../backends/engine.ts";
import { familyOf, rebuildModel } from "../../models/registry.ts";
import type { TrainableModel } from "../../models/contract.ts";
import { Mulberry32 } from "../../data/random.ts";
import { loadCheckpoint } from "../../train/checkpoint.ts";
import { loadRun } from "../../train/run_folder.ts";
import {
  decodeWideSafetensors,
  encodeSafetensors,
} from "../../train/safetensors.ts";
import {
  loadStateDict,
  STATE_DICT_FORMAT,
  stateDictOf,
  writeImportedRun,
} from "../../train/torch_state_dict.ts";

await initEngine({ threads: 2 });

const CANONICAL = ["vae", "dcgan", "cgan", "flow", "ddpm"];

function allTensors(model: TrainableModel): Map<string, tf.Variable> {
  return new Map([
    ...Object.values(model.groups).flatMap((group) => [...group]),
    ...(model.buffers ?? []),
  ]);
}

/**
 * Every weight and buffer set to seeded values (zero layers, BatchNorm
 * statistics and ActNorm's flag included), so nothing matches by chance.
 */
function scramble(model: TrainableModel, seed: number): void {
  const random = new Mulberry32(seed);
  tf.tidy(() => {
    for (const [name, variable] of allTensors(model)) {
      const values = Float32Array.from(
        { length: variable.size },
        () =>
          name.endsWith("initialized")
            ? 1
            : name.endsWith("runningVariance")
            ? 0.5 + random.next()
            : name.endsWith("permutation.kernel")
            ? 0
            : 0.1 * (random.next() - 0.5),
      );
      if (name.endsWith("permutation.kernel")) {
        // A perturbed identity: invertible, as the flow needs.
        const n = variable.shape[0];
        for (let i = 0; i < n; i++) {
          values[i * n + i] = 1;
          values[i * n + (i + 1) % n] += 0.3 * random.next();
        }
      }
      variable.assign(tf.tensor(values, variable.shape, variable.dtype));
    }
  });
}

function exportBytes(model: TrainableModel): Uint8Array {
  const mapping = familyOf(model.preset).torch!(model);
  const { tensors, metadata } = stateDictOf(model, mapping, {
    step: 7,
    averaged: true,
  });
  return encodeSafetensors(tensors, metadata);
}

for (const preset of CANONICAL) {
  Deno.test(`${preset}: export -> file -> import gives identical weights and identical samples`, () => {
    const family = familyOf(preset);
    const source = family.create(preset, {}, 1, { classes: 10 });
    const target = family.create(preset, {}, 2, { classes: 10 });
    try {
      scramble(source, 11);
      const { tensors, metadata } = decodeWideSafetensors(
        exportBytes(source),
        "sd.safetensors",
      );
      assert.equal(metadata.genwasm, STATE_DICT_FORMAT);
      assert.equal(metadata.preset, preset);
      assert.equal(metadata.step, "7");
      assert.equal(metadata.weights, "ema");
      assert.deepEqual(JSON.parse(metadata.config), source.config);
      loadStateDict(target, family.torch!(target), tensors, "sd.safetensors");
      const theirs = allTensors(target);
      for (const [name, variable] of allTensors(source)) {
        assert.deepEqual(
          theirs.get(name)!.dataSync(),
          variable.dataSync(),
          `${preset}: ${name}`,
        );
      }
      const draw = (model: TrainableModel) =>
        tf.tidy(() => model.generate!(2, 5).dataSync() as Float32Array);
      assert.deepEqual(draw(target), draw(source), `${preset}: samples`);
    } finally {
      source.dispose();
      target.dispose();
    }
  });
}

Deno.test("the flow's ActNorm flag, which PyTorch has no key for, is set on import", () => {
  const family = familyOf("flow-small");
  const source = family.create("flow-small", {}, 1);
  const target = family.create("flow-small", {}, 2);
  try {
    scramble(source, 3);
    const { tensors } = decodeWideSafetensors(exportBytes(source), "f");
    assert.ok(![...tensors.keys()].some((key) => key.includes("initialized")));
    loadStateDict(target, family.torch!(target), tensors, "f");
    for (const [name, variable] of target.buffers ?? []) {
      assert.equal(variable.dataSync()[0], 1, name);
    }
  } finally {
    source.dispose();
    target.dispose();
  }
});

Deno.test("a refused state dict leaves the model as it was", () => {
  const family = familyOf("vae-small");
  const source = family.create("vae-small", {}, 1);
  const target = family.create("vae-small", {}, 2);
  try {
    scramble(source, 3);
    const { tensors } = decodeWideSafetensors(exportBytes(source), "v");
    tensors.delete("deconv2.bias");
    const before = [...allTensors(target).values()].map((v) => v.dataSync());
    assert.throws(
      () => loadStateDict(target, family.torch!(target), tensors, "v"),
      /^Error: v: missing key deconv2\.bias \(shape \[1\]\) of a vae-small state dict$/,
    );
    const after = [...allTensors(target).values()].map((v) => v.dataSync());
    assert.deepEqual(after, before);
  } finally {
    source.dispose();
    target.dispose();
  }
});

Deno.test("writeImportedRun makes a run that loads: step 0, Adam at iteration 0, EMA = weights when asked; refuses a folder with a checkpoint", async () => {
  const dir = await Deno.makeTempDir({ prefix: "genwasm_import_" });
  const family = familyOf("dcgan-small");
  const model = family.create("dcgan-small", {}, 1, { classes: 10 });
  try {
    scramble(model, 9);
    const runDir = join(dir, "run");
    const training = { data: "mnist" };
    const path = await writeImportedRun(runDir, model, { training, ema: true });
    const saved = await loadCheckpoint(path);
    assert.equal(saved.step, 0);
    assert.equal(saved.preset, "dcgan-small");
    assert.deepEqual(saved.training, { data: "mnist" });
    for (const group of ["generator", "discriminator"]) {
      assert.deepEqual(
        [...saved.tensors.get(`optimizer.${group}.iterations`)!.data],
        [0],
      );
    }
    assert.ok(![...saved.tensors.keys()].some((k) => k.endsWith(".m")));
    const loaded = await loadRun(
      runDir,
      (preset, config) => rebuildModel(familyOf(preset), preset, config),
    );
    try {
      assert.ok(loaded.averaged, "the EMA is there");
      const theirs = allTensors(loaded.model);
      for (const [name, variable] of allTensors(model)) {
        assert.deepEqual(theirs.get(name)!.dataSync(), variable.dataSync());
      }
    } finally {
      loaded.model.dispose();
    }
    const bytes = await Deno.readFile(path);
    await assert.rejects(
      writeImportedRun(runDir, model, { training, ema: true }),
      /already holds a checkpoint/,
    );
    assert.deepEqual(await Deno.readFile(path), bytes, "left as it was");
  } finally {
    model.dispose();
    await Deno.remove(dir, { recursive: true });
  }
});
