/**
 * Fuzzing every parser the project owns: IDX (plain and gzipped), PNG
 * (the folder reader's decoder), safetensors checkpoints with their
 * metadata and hash, and the CLI's flags. Thousands of mutated, truncated
 * and forged inputs; each loads or is refused with one line naming the
 * file (or the flag), never a crash, a hang or a forged-size allocation.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { encode } from "fast-png";
import { parseIdx, readIdx } from "../../data/idx.ts";
import { decodePngPixels } from "../../data/png_decode.ts";
import { parseCheckpoint, saveCheckpoint } from "../../train/checkpoint.ts";
import { parseTrainArgs } from "../../cli/train.ts";
import { UsageError } from "../../cli/_flags.ts";
import { Rng } from "../_helpers.ts";
import { fuzz, mutants, report } from "./_fuzz.ts";

function idxBytes(shape: number[], rng: Rng): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  const bytes = new Uint8Array(4 + 4 * shape.length + count);
  const view = new DataView(bytes.buffer);
  bytes.set([0, 0, 0x08, shape.length]);
  shape.forEach((size, axis) => view.setUint32(4 + 4 * axis, size, false));
  for (let i = 4 + 4 * shape.length; i < bytes.length; i++) {
    bytes[i] = rng.int(0, 255);
  }
  return bytes;
}

async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream()
    .pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

Deno.test("fuzz: IDX files, plain and gzipped, load or are refused naming the file", async () => {
  const valid = idxBytes([20, 6, 6], new Rng(1));
  const plain = await fuzz(
    mutants(valid, 3000, { headerBytes: 16 }),
    "images.idx",
    (bytes) => parseIdx(bytes, "images.idx", { shape: [null, 6, 6] }),
  );
  assert.ok(plain.refused > plain.tried / 3, report("idx", plain));
  const folder = await Deno.makeTempDir({ prefix: "genwasm_fuzz_" });
  try {
    const path = join(folder, "images.idx.gz");
    const zipped = await fuzz(
      mutants(await gzip(valid), 300, { seed: 2 }),
      path,
      async (bytes) => {
        await Deno.writeFile(path, bytes);
        return await readIdx(path, { shape: [null, 6, 6] });
      },
    );
    assert.ok(zipped.refused > 0);
    console.log(report("idx", plain));
    console.log(report("idx.gz", zipped));
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
});

Deno.test("fuzz: PNG files load or are refused naming the file", async () => {
  const rng = new Rng(3);
  const valid = encode({
    width: 9,
    height: 7,
    channels: 3,
    data: Uint8Array.from(rng.ints(9 * 7 * 3, 0, 255)),
  });
  const counts = await fuzz(
    mutants(valid, 3000, { headerBytes: 40 }),
    "cat.png",
    (bytes) => decodePngPixels(bytes, "cat.png", { channels: 3 }),
  );
  assert.ok(counts.refused > counts.tried / 3, report("png", counts));
  console.log(report("png", counts));
});

Deno.test("fuzz: checkpoints (safetensors header, metadata, hash) load or are refused naming the file", async () => {
  const folder = await Deno.makeTempDir({ prefix: "genwasm_fuzz_" });
  try {
    const path = join(folder, "checkpoint.safetensors");
    const rng = new Rng(4);
    await saveCheckpoint(path, {
      preset: "vae",
      config: { latentSize: 16 },
      step: 12,
      randomState: 99,
      training: { batchSize: 64 },
      tensors: new Map([
        ["model.w", { dtype: "F32", shape: [8, 4], data: rng.uniform(32) }],
        ["optimizer.model.w.m", {
          dtype: "F32",
          shape: [8, 4],
          data: rng.uniform(32),
        }],
      ]),
    });
    const valid = await Deno.readFile(path);
    const counts = await fuzz(
      mutants(valid, 2000, { headerBytes: 400 }),
      "checkpoint.safetensors",
      (bytes) => parseCheckpoint(bytes, "checkpoint.safetensors"),
    );
    // Every change to the tensor bytes breaks the hash; few mutants survive.
    assert.ok(
      counts.refused > counts.tried * 0.9,
      report("checkpoint", counts),
    );
    console.log(report("checkpoint", counts));
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
});

Deno.test("fuzz: train's flags parse or give one usage line naming a flag", () => {
  const rng = new Rng(5);
  const flags = [
    "--model",
    "--data",
    "--steps",
    "--epochs",
    "--batch",
    "--lr",
    "--seed",
    "--warmup",
    "--schedule",
    "--clip-norm",
    "--ema",
    "--out",
    "--set",
    "--threads",
    "--backend",
    "--image-size",
    "--channels",
    "--eval-every",
    "--resume",
    "--conditional",
    "--bogus",
    "-x",
    "--",
  ];
  const values = [
    "1",
    "0",
    "-1",
    "64",
    "1e-3",
    "NaN",
    "Infinity",
    "1e999",
    "vae",
    "mnist",
    "cosine",
    "a=b",
    "latentSize=8",
    "",
    " ",
    "=",
    "9007199254740993",
    "0x10",
    "runs/x",
  ];
  let parsed = 0, refused = 0;
  for (let i = 0; i < 3000; i++) {
    const args = Array.from(
      { length: rng.int(0, 6) },
      () => rng.next() < 0.5 ? rng.pick(flags) : rng.pick(values),
    );
    try {
      parseTrainArgs(args);
      parsed++;
    } catch (error) {
      assert.ok(
        error instanceof UsageError,
        `${JSON.stringify(args)}: ${error}`,
      );
      assert.ok(!error.message.includes("\n"), error.message);
      assert.match(error.message, /--|argument|model|give/, error.message);
      refused++;
    }
  }
  assert.ok(parsed > 0 && refused > 0);
  console.log(
    `flags: ${
      parsed + refused
    } argument lists tried, ${parsed} parsed, ${refused} refused with one usage line, 0 crashes`,
  );
});
