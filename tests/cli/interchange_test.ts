/**
 * `genwasm export` and `genwasm import` as a user runs them: a trained run
 * to a PyTorch state dict and back into a run that `sample` and `train
 * --resume` accept with the same weights; the EMA or (`--raw`) the trained
 * weights; and each bad input refused in one line that names the key,
 * with a non-zero exit and nothing written.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { lines, runCli } from "./_run_cli.ts";
import { initEngine } from "../../backends/engine.ts";
import { familyOf } from "../../models/registry.ts";
import { loadCheckpoint } from "../../train/checkpoint.ts";
import {
  decodeWideSafetensors,
  encodeSafetensors,
  type WideTensor,
} from "../../train/safetensors.ts";
import { writeImportedRun } from "../../train/torch_state_dict.ts";

async function withDir(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "genwasm_interchange_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Trains `preset` 2 steps into `out` through the CLI; its stdout. */
async function trainTiny(preset: string, out: string): Promise<string> {
  const trained = await runCli([
    "train",
    "--model",
    preset,
    "--steps",
    "2",
    "--batch",
    "16",
    "--threads",
    "2",
    "--out",
    out,
  ]);
  assert.equal(trained.code, 0, trained.stderr);
  return trained.stdout;
}

Deno.test("export -> import: the run's weights come back bit for bit in a run that sample, eval (the same ELBO) and train --resume accept", async () => {
  await withDir(async (dir) => {
    const run = join(dir, "run"), back = join(dir, "back");
    const said = await trainTiny("vae-small", run);
    const exported = await runCli(["export", "--run", run, "--threads", "2"]);
    assert.equal(exported.code, 0, exported.stderr);
    const file = join(run, "pytorch.safetensors");
    assert.match(
      lines(exported.stdout).at(-1)!,
      /^wrote .*pytorch\.safetensors: 12 tensors of vae-small at step 2 \(trained weights\) for models\.Vae\(latent_size=8, base_width=16\)$/,
    );
    const { tensors, metadata } = decodeWideSafetensors(
      await Deno.readFile(file),
      file,
    );
    assert.equal(metadata.module, "Vae(latent_size=8, base_width=16)");
    assert.equal(metadata.preset, "vae-small");
    assert.deepEqual(tensors.get("conv1.weight")!.shape, [16, 1, 4, 4]);

    const imported = await runCli([
      "import",
      "--model",
      "vae-small",
      "--from",
      file,
      "--out",
      back,
      "--threads",
      "2",
    ]);
    assert.equal(imported.code, 0, imported.stderr);
    assert.match(
      lines(imported.stdout).at(-1)!,
      /step 0; a fresh optimizer state: train --resume starts Adam from zero$/,
    );
    const original = await loadCheckpoint(join(run, "checkpoint.safetensors"));
    const copy = await loadCheckpoint(join(back, "checkpoint.safetensors"));
    for (const [name, tensor] of original.tensors) {
      if (!name.startsWith("model.")) continue;
      assert.deepEqual(copy.tensors.get(name)!.data, tensor.data, name);
    }
    assert.deepEqual(copy.config, original.config);

    const sampled = await runCli([
      "sample",
      "--run",
      back,
      "--n",
      "4",
      "--threads",
      "2",
    ]);
    assert.equal(sampled.code, 0, sampled.stderr);
    // eval of the imported run: the ELBO train measured at its end.
    const evaluated = await runCli(["eval", "--run", back, "--threads", "2"]);
    assert.equal(evaluated.code, 0, evaluated.stderr);
    const elbo = (text: string) =>
      parseFloat(text.match(/elbo_nats\s+(\S+)/)![1]).toFixed(3);
    assert.equal(elbo(evaluated.stdout), elbo(said));
    const resumed = await runCli([
      "train",
      "--model",
      "vae-small",
      "--resume",
      "--steps",
      "1",
      "--batch",
      "16",
      "--threads",
      "2",
      "--out",
      back,
    ]);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.equal(
      (await loadCheckpoint(join(back, "checkpoint.safetensors"))).step,
      1,
    );
  });
});

Deno.test("export writes the EMA weights where the run keeps them, the trained ones with --raw", async () => {
  await withDir(async (dir) => {
    const run = join(dir, "gan");
    await trainTiny("dcgan-small", run);
    const ema = await runCli(["export", "--run", run, "--threads", "2"]);
    assert.equal(ema.code, 0, ema.stderr);
    assert.match(ema.stdout, /\(EMA weights\)/);
    const raw = await runCli(["export", "--run", run, "--raw"]);
    assert.equal(raw.code, 0, raw.stderr);
    assert.match(raw.stdout, /\(trained weights\)/);
    const read = async (name: string) =>
      decodeWideSafetensors(await Deno.readFile(join(run, name)), name);
    const averaged = await read("pytorch.safetensors");
    const trained = await read("pytorch-raw.safetensors");
    assert.equal(averaged.metadata.weights, "ema");
    assert.equal(trained.metadata.weights, "raw");
    assert.notDeepEqual(
      averaged.tensors.get("generator.deconv1.weight")!.data,
      trained.tensors.get("generator.deconv1.weight")!.data,
    );
    // The running statistics are buffers: the same in both.
    assert.deepEqual(
      averaged.tensors.get("generator.norm1.running_var")!.data,
      trained.tensors.get("generator.norm1.running_var")!.data,
    );
    assert.deepEqual(
      [...averaged.tensors.get("generator.norm1.num_batches_tracked")!.data],
      [0n],
    );
  });
});

Deno.test("import refuses bad input in one line naming the file and key, exit 1, nothing written", async () => {
  await withDir(async (dir) => {
    await initEngine({ threads: 2 });
    const family = familyOf("vae-small");
    const model = family.create("vae-small", {}, 0);
    const run = join(dir, "run");
    try {
      await writeImportedRun(run, model, {
        training: { data: "mnist" },
        ema: false,
      });
    } finally {
      model.dispose();
    }
    const file = join(dir, "vae.safetensors");
    const exported = await runCli(["export", "--run", run, "--out", file]);
    assert.equal(exported.code, 0, exported.stderr);
    const good = decodeWideSafetensors(await Deno.readFile(file), file);
    const edited = async (
      name: string,
      edit: (tensors: Map<string, WideTensor>) => void,
      metadata = good.metadata,
    ) => {
      const tensors = new Map(good.tensors);
      edit(tensors);
      const path = join(dir, name);
      await Deno.writeFile(path, encodeSafetensors(tensors, metadata));
      return path;
    };
    const f32 = (shape: number[]): WideTensor => ({
      dtype: "F32",
      shape,
      data: new Float32Array(shape.reduce((a, b) => a * b, 1)),
    });
    const bare = { format: "pt" }; // a file PyTorch wrote: no metadata of ours
    const cases: [string, string, string, RegExp][] = [
      [
        "dcgan-small",
        file,
        "another model (its metadata)",
        /vae\.safetensors: holds a vae-small state dict \(its metadata\), not dcgan-small$/,
      ],
      [
        "dcgan-small",
        await edited("bare.safetensors", () => {}, bare),
        "another model (no metadata)",
        /bare\.safetensors: not a dcgan-small state dict: none of its 12 keys \(conv1\.weight, conv1\.bias, conv2\.weight, \.\.\.\)/,
      ],
      [
        "vae-small",
        await edited(
          "shape.safetensors",
          (t) => t.set("conv1.weight", f32([32, 1, 4, 4])),
        ),
        "a wrong shape",
        /shape\.safetensors: key conv1\.weight has shape \[32,1,4,4\], vae-small needs \[16,1,4,4\]$/,
      ],
      [
        "vae-small",
        await edited(
          "missing.safetensors",
          (t) => t.delete("encoder_dense.bias"),
          bare,
        ),
        "a missing key",
        /missing\.safetensors: missing key encoder_dense\.bias \(shape \[16\]\) of a vae-small state dict$/,
      ],
      [
        "vae-small",
        await edited(
          "extra.safetensors",
          (t) => t.set("conv3.weight", f32([2])),
        ),
        "an extra key",
        /extra\.safetensors: unexpected key conv3\.weight \(shape \[2\]\): not in a vae-small state dict$/,
      ],
      [
        "vae-small",
        await edited("double.safetensors", (t) =>
          t.set("deconv2.bias", {
            dtype: "F64",
            shape: [1],
            data: Float64Array.of(0.5),
          })),
        "a wrong dtype",
        /double\.safetensors: key deconv2\.bias is F64 \[1\], vae-small needs F32 \[1\]$/,
      ],
      [
        "vae-small",
        join(dir, "absent.safetensors"),
        "a missing file",
        /absent\.safetensors: no such file$/,
      ],
      [
        "vae-small",
        run,
        "a folder, not a file",
        /run: cannot read/,
      ],
    ];
    for (const [preset, from, what, message] of cases) {
      const out = join(dir, "out", preset);
      const result = await runCli([
        "import",
        "--model",
        preset,
        "--from",
        from,
        "--out",
        out,
      ]);
      assert.equal(result.code, 1, `${what}: ${result.stderr}`);
      assert.equal(lines(result.stderr).length, 1, `${what}: ${result.stderr}`);
      assert.match(lines(result.stderr)[0], /^genwasm import: /, what);
      assert.match(result.stderr.trim(), message, what);
      assert.ok(!await exists(join(dir, "out")), `${what}: nothing written`);
    }

    // A folder that holds a checkpoint is left as it was.
    const checkpoint = join(run, "checkpoint.safetensors");
    const before = await Deno.readFile(checkpoint);
    const occupied = await runCli([
      "import",
      "--model",
      "vae-small",
      "--from",
      file,
      "--out",
      run,
    ]);
    assert.equal(occupied.code, 1, occupied.stderr);
    assert.match(occupied.stderr, /already holds a checkpoint/);
    assert.deepEqual(await Deno.readFile(checkpoint), before);

    const usage: [string[], RegExp][] = [
      [["import", "--from", file, "--out", run], /--model is required/],
      [["import", "--model", "vae-small", "--out", run], /--from is required/],
      [
        ["import", "--model", "nope", "--from", file, "--out", run],
        /unknown model "nope"/,
      ],
      [["export"], /--run DIR is required/],
    ];
    for (const [args, message] of usage) {
      const result = await runCli(args);
      assert.equal(result.code, 2, result.stderr);
      assert.equal(lines(result.stderr).length, 1, result.stderr);
      assert.match(result.stderr, message);
    }
  });
});

Deno.test("export refuses a model with no PyTorch reference module, naming the key, and writes nothing", async () => {
  await withDir(async (dir) => {
    await initEngine({ threads: 2 });
    for (
      const [preset, message] of [
        [
          "flow-large",
          /flow-large has permutation "conv-lu"; the PyTorch reference module/,
        ],
        ["ae", /ae has no PyTorch reference module/],
      ] as const
    ) {
      const family = familyOf(preset);
      const model = family.create(preset, {}, 0);
      const run = join(dir, preset);
      try {
        await writeImportedRun(run, model, {
          training: { data: "mnist" },
          ema: false,
        });
      } finally {
        model.dispose();
      }
      const result = await runCli(["export", "--run", run]);
      assert.equal(result.code, 1, result.stderr);
      assert.equal(lines(result.stderr).length, 1, result.stderr);
      assert.match(result.stderr, message);
      assert.ok(!await exists(join(run, "pytorch.safetensors")));
    }
  });
});
