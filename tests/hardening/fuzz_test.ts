/**
 * Fuzzing every parser the project owns: IDX (plain and gzipped), PNG
 * (the folder reader's decoder), safetensors checkpoints with their
 * metadata and hash, and the CLI's flags. Thousands of mutated, truncated
 * and forged inputs; each loads or is refused with one line naming the
 * file (or the flag), never a crash, a hang or a forged-size allocation.
 * What loads must also be right: equal to a plain reference reading written
 * here (IDX, PNG), to what was written (checkpoints), or to the values on
 * the command line (flags).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { crc32, gunzipSync } from "node:zlib";
import { encode } from "fast-png";
import { parseIdx, readIdx } from "../../data/idx.ts";
import { decodePngPixels } from "../../data/png_decode.ts";
import {
  type CheckpointContents,
  parseCheckpoint,
  saveCheckpoint,
} from "../../train/checkpoint.ts";
import { parseTrainArgs, type TrainCommand } from "../../cli/train.ts";
import { UsageError } from "../../cli/_flags.ts";
import { Rng } from "../_helpers.ts";
import { decodePlainPng } from "../_plain_png.ts";
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

/**
 * The IDX reading of `bytes` by the format's definition, or undefined if
 * they are not an unsigned-byte IDX file of `rank` dimensions whose inner
 * sizes are `inner`, with exactly as many values as the shape holds.
 */
function plainIdx(
  bytes: Uint8Array,
  inner: number[],
): { shape: number[]; data: Uint8Array } | undefined {
  const rank = 1 + inner.length;
  const start = 4 + 4 * rank;
  if (bytes.length < start) return undefined;
  if (bytes[0] !== 0 || bytes[1] !== 0 || bytes[2] !== 8) return undefined;
  if (bytes[3] !== rank) return undefined;
  const shape: number[] = [];
  for (let axis = 0; axis < rank; axis++) {
    const at = 4 + 4 * axis;
    // Big-endian, by hand.
    shape.push(
      bytes[at] * 2 ** 24 + bytes[at + 1] * 2 ** 16 + bytes[at + 2] * 256 +
        bytes[at + 3],
    );
  }
  if (inner.some((size, axis) => shape[axis + 1] !== size)) return undefined;
  const count = shape.reduce((a, b) => a * b, 1);
  if (bytes.length - start !== count) return undefined;
  return { shape, data: Uint8Array.from(bytes.subarray(start)) };
}

/** Asserts that an accepted IDX array is the plain reading of `input`. */
function assertIdxRight(
  input: Uint8Array,
  parsed: { shape: number[]; data: Uint8Array },
  index: number,
): void {
  const expected = plainIdx(input, [6, 6]);
  assert.ok(expected, `input ${index}: loaded, but it is not a valid IDX file`);
  assert.deepEqual(parsed.shape, expected.shape, `input ${index}: shape`);
  assert.deepEqual(
    new Uint8Array(parsed.data),
    expected.data,
    `input ${index}: values`,
  );
}

async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream()
    .pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

Deno.test("fuzz: IDX files, plain and gzipped, load as a plain reading gives or are refused naming the file", async () => {
  const valid = idxBytes([20, 6, 6], new Rng(1));
  const inputs = [valid, ...mutants(valid, 3000, { headerBytes: 16 })];
  const plain = await fuzz(
    inputs,
    "images.idx",
    (bytes) => parseIdx(bytes, "images.idx", { shape: [null, 6, 6] }),
    { check: assertIdxRight },
  );
  assert.ok(plain.refused > plain.tried / 3, report("idx", plain));
  // Every accepted input is valid (checked above); this count makes every
  // valid one accepted too.
  const validInputs = inputs.filter((input) => plainIdx(input, [6, 6]));
  assert.equal(plain.accepted, validInputs.length, report("idx", plain));
  const folder = await Deno.makeTempDir({ prefix: "genwasm_fuzz_" });
  try {
    const path = join(folder, "images.idx.gz");
    const zippedValid = await gzip(valid);
    const zipped = await fuzz(
      [zippedValid, ...mutants(zippedValid, 300, { seed: 2 })],
      path,
      async (bytes) => {
        await Deno.writeFile(path, bytes);
        return await readIdx(path, { shape: [null, 6, 6] });
      },
      {
        // The reference inflates with node:zlib, not the stream API.
        check: (input, parsed, index) =>
          assertIdxRight(gunzipSync(input), parsed, index),
      },
    );
    assert.ok(
      zipped.refused > 0 && zipped.accepted > 0,
      report("idx.gz", zipped),
    );
    console.log(report("idx", plain));
    console.log(report("idx.gz", zipped));
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
});

/**
 * The RGB floats a PNG holds, from the plain reader: samples over their
 * maximum, grey repeated. Only what the fuzzed file can turn into (grey or
 * RGB without transparency) is read; anything else fails the test, as a
 * decode this test cannot check.
 */
function plainRgb(bytes: Uint8Array, index: number) {
  const png = decodePlainPng(bytes);
  assert.ok(
    (png.colorType === 0 || png.colorType === 2) && !png.transparency,
    `input ${index}: loaded a PNG of colour type ${png.colorType} (tRNS: ${!!png
      .transparency}), which this test cannot check`,
  );
  const maximum = 2 ** png.depth - 1;
  const data = new Float32Array(png.width * png.height * 3);
  for (let pixel = 0; pixel < png.width * png.height; pixel++) {
    for (let channel = 0; channel < 3; channel++) {
      const sample =
        png.samples[pixel * png.channels + (png.channels === 3 ? channel : 0)];
      data[pixel * 3 + channel] = sample / maximum;
    }
  }
  return { width: png.width, height: png.height, data };
}

/** Asserts that accepted pixels are the plain reader's reading of `input`. */
function assertPngRight(
  input: Uint8Array,
  image: {
    width: number;
    height: number;
    channels: number;
    data: Float32Array;
  },
  index: number,
): void {
  const expected = plainRgb(input, index);
  assert.deepEqual(
    [image.width, image.height, image.channels],
    [expected.width, expected.height, 3],
    `input ${index}: size`,
  );
  assert.deepEqual(image.data, expected.data, `input ${index}: pixels`);
}

/**
 * `bytes` with every whole chunk's CRC recomputed, so that a mutation gets
 * past the CRC check to the header fields, the zlib stream and the row
 * filters behind it.
 */
function resealed(bytes: Uint8Array): Uint8Array {
  const out = bytes.slice();
  const view = new DataView(out.buffer);
  for (let at = 8; at + 12 <= out.length;) {
    const length = view.getUint32(at);
    if (at + 12 + length > out.length) break;
    view.setUint32(
      at + 8 + length,
      crc32(out.subarray(at + 4, at + 8 + length)),
    );
    at += 12 + length;
  }
  return out;
}

/** A 9 x 7 RGB PNG of random pixels, the seed of the PNG fuzzers. */
function randomPng(): Uint8Array {
  const rng = new Rng(3);
  return encode({
    width: 9,
    height: 7,
    channels: 3,
    data: Uint8Array.from(rng.ints(9 * 7 * 3, 0, 255)),
  });
}

Deno.test("fuzz: PNG files load as a plain decoder reads them or are refused naming the file", async () => {
  const valid = randomPng();
  const counts = await fuzz(
    [valid, ...mutants(valid, 3000, { headerBytes: 40 })],
    "cat.png",
    (bytes) => decodePngPixels(bytes, "cat.png", { channels: 3 }),
    { check: assertPngRight },
  );
  assert.ok(counts.refused > counts.tried / 3, report("png", counts));
  assert.ok(counts.accepted > 0, report("png", counts));
  console.log(report("png", counts));
});

Deno.test("fuzz: PNG files mutated under resealed CRCs load as a plain decoder reads them or are refused", async () => {
  const valid = randomPng();
  const inputs = mutants(valid, 2000, { seed: 6, headerBytes: 40 }).map(
    resealed,
  );
  const counts = await fuzz(
    inputs,
    "cat.png",
    (bytes) => decodePngPixels(bytes, "cat.png", { channels: 3 }),
    { check: assertPngRight },
  );
  assert.ok(counts.refused > counts.tried / 3, report("png", counts));
  assert.ok(counts.accepted > 0, report("png", counts));
  console.log(report("png (resealed CRCs)", counts));
});

/**
 * A safetensors file with its JSON header replaced by `rewrite(header)`,
 * padded with spaces to 8 bytes as the format's writers do; the data
 * section is kept as it was.
 */
function withHeader(
  file: Uint8Array,
  rewrite: (header: Record<string, unknown>) => string,
): Uint8Array {
  const length = Number(new DataView(file.buffer).getBigUint64(0, true));
  const header = JSON.parse(
    new TextDecoder().decode(file.subarray(8, 8 + length)),
  );
  let json = rewrite(header);
  json += " ".repeat((8 - (json.length % 8)) % 8);
  const out = new Uint8Array(8 + json.length + file.length - 8 - length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(new TextEncoder().encode(json), 8);
  out.set(file.subarray(8 + length), 8 + json.length);
  return out;
}

Deno.test("fuzz: checkpoints (safetensors header, metadata, hash) load what was written or are refused naming the file", async () => {
  const folder = await Deno.makeTempDir({ prefix: "genwasm_fuzz_" });
  try {
    const path = join(folder, "checkpoint.safetensors");
    const rng = new Rng(4);
    const weights = rng.uniform(32), moments = rng.uniform(32);
    await saveCheckpoint(path, {
      preset: "vae",
      config: { latentSize: 16 },
      step: 12,
      randomState: 99,
      training: { batchSize: 64 },
      tensors: new Map([
        ["model.w", { dtype: "F32", shape: [8, 4], data: weights.slice() }],
        ["optimizer.model.w.m", {
          dtype: "F32",
          shape: [8, 4],
          data: moments.slice(),
        }],
      ]),
    });
    const valid = await Deno.readFile(path);
    const assertWritten = (loaded: CheckpointContents, index: number) => {
      const { tensors, ...rest } = loaded;
      assert.deepEqual(rest, {
        preset: "vae",
        config: { latentSize: 16 },
        step: 12,
        randomState: 99,
        training: { batchSize: 64 },
      }, `input ${index}: metadata`);
      assert.deepEqual(
        [...tensors],
        [
          ["model.w", { dtype: "F32", shape: [8, 4], data: weights }],
          ["optimizer.model.w.m", {
            dtype: "F32",
            shape: [8, 4],
            data: moments,
          }],
        ],
        `input ${index}: tensors`,
      );
    };
    // Rewrites whose reading is known: the same header pretty-printed, and
    // with __metadata__ moved after the tensors. Both must load unchanged.
    const rewritten = [
      withHeader(valid, (header) => JSON.stringify(header, null, 2)),
      withHeader(
        valid,
        ({ __metadata__, ...tensors }) =>
          JSON.stringify({ ...tensors, __metadata__ }),
      ),
    ];
    for (const [index, bytes] of rewritten.entries()) {
      assert.notDeepEqual(bytes, valid);
      assertWritten(
        await parseCheckpoint(bytes, "checkpoint.safetensors"),
        index,
      );
    }
    const counts = await fuzz(
      [valid, ...mutants(valid, 2000, { headerBytes: 400 })],
      "checkpoint.safetensors",
      (bytes) => parseCheckpoint(bytes, "checkpoint.safetensors"),
      // The hash covers everything, so whatever loads is what was saved.
      { check: (_input, loaded, index) => assertWritten(loaded, index) },
    );
    // Every change to the tensor bytes breaks the hash; few mutants survive.
    assert.ok(
      counts.refused > counts.tried * 0.9 && counts.accepted > 0,
      report("checkpoint", counts),
    );
    console.log(report("checkpoint", counts));
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
});

/**
 * Where each valued flag of `train` lands in the parsed command, and the
 * value its text stands for there (numbers as JavaScript reads them).
 */
const FLAG_FIELDS: Record<
  string,
  {
    field: (command: TrainCommand) => unknown;
    value: (text: string) => unknown;
  }
> = {
  "--model": { field: (c) => c.model, value: String },
  "--data": { field: (c) => c.data.data, value: String },
  "--steps": { field: (c) => c.training.steps, value: Number },
  "--epochs": { field: (c) => c.epochs, value: Number },
  "--batch": { field: (c) => c.training.batchSize, value: Number },
  "--lr": { field: (c) => c.training.learningRate, value: Number },
  "--seed": { field: (c) => c.training.seed, value: Number },
  "--warmup": { field: (c) => c.training.warmupSteps, value: Number },
  "--schedule": { field: (c) => c.training.schedule, value: String },
  "--clip-norm": { field: (c) => c.training.clipNorm, value: Number },
  "--ema": { field: (c) => c.training.emaDecay, value: Number },
  "--out": { field: (c) => c.out, value: String },
  "--threads": { field: (c) => c.engine.threads, value: Number },
  "--backend": { field: (c) => c.engine.backend, value: String },
  "--image-size": { field: (c) => c.data.imageSize, value: Number },
  "--channels": { field: (c) => c.data.channels, value: Number },
  "--eval-every": { field: (c) => c.evalEvery, value: Number },
};

/**
 * Asserts that a parsed command holds what `args` say, read plainly: each
 * valued flag takes the next argument (the last one given wins), --set
 * pairs are JSON overrides, --resume and --conditional are switches, and a
 * lone "--" ends the list. Anything else should have been refused.
 */
function assertFlagsRight(args: string[], command: TrainCommand): void {
  const where = JSON.stringify(args);
  const last = new Map<string, string>();
  const sets = new Map<string, unknown>();
  let resume = false, conditional = false;
  for (let i = 0; i < args.length; i++) {
    const flag = args[i];
    if (flag === "--" && i === args.length - 1) break;
    if (flag === "--resume") resume = true;
    else if (flag === "--conditional") conditional = true;
    else if (flag === "--set") {
      // VALUE is JSON when it parses, else a plain string.
      const [key, text] = args[++i].split(/=(.*)/s);
      let value: unknown = text;
      try {
        value = JSON.parse(text);
      } catch { /* a plain string */ }
      sets.set(key, value);
    } else if (Object.hasOwn(FLAG_FIELDS, flag) && i + 1 < args.length) {
      last.set(flag, args[++i]);
    } else assert.fail(`${where}: accepted ${JSON.stringify(flag)} at ${i}`);
  }
  for (const [flag, text] of last) {
    const { field, value } = FLAG_FIELDS[flag];
    assert.equal(field(command), value(text), `${where}: ${flag}`);
  }
  for (const [key, value] of sets) {
    assert.deepEqual(command.overrides[key], value, `${where}: --set ${key}`);
  }
  assert.equal(command.resume, resume, `${where}: --resume`);
  assert.equal(
    command.overrides.conditional,
    conditional ? true : undefined,
    `${where}: --conditional`,
  );
}

Deno.test("fuzz: train's flags parse to the values written or give one usage line naming a flag", () => {
  const rng = new Rng(5);
  const valued = [...Object.keys(FLAG_FIELDS), "--set"];
  const flags = [...valued, "--resume", "--conditional", "--bogus", "-x", "--"];
  const values = [
    "1",
    "0",
    "-1",
    "3",
    "64",
    "0.5",
    "1e-3",
    "NaN",
    "Infinity",
    "1e999",
    "vae",
    "cgan",
    "mnist",
    "cosine",
    "cpu",
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
    // Mostly a valued flag and a value, so that many lists parse and their
    // values get checked; now and then a lone flag or value anywhere.
    const args: string[] = [];
    for (let group = rng.int(0, 4); group > 0; group--) {
      const draw = rng.next();
      if (draw < 0.7) args.push(rng.pick(valued), rng.pick(values));
      else args.push(rng.pick(draw < 0.85 ? flags : values));
    }
    let command;
    try {
      command = parseTrainArgs(args);
    } catch (error) {
      assert.ok(
        error instanceof UsageError,
        `${JSON.stringify(args)}: ${error}`,
      );
      assert.ok(!error.message.includes("\n"), error.message);
      assert.match(error.message, /--|argument|model|give/, error.message);
      refused++;
      continue;
    }
    assert.notEqual(command, "help", JSON.stringify(args));
    assertFlagsRight(args, command as TrainCommand);
    parsed++;
  }
  assert.ok(
    parsed > 100 && refused > 0,
    `${parsed} parsed, ${refused} refused`,
  );
  console.log(
    `flags: ${
      parsed + refused
    } argument lists tried, ${parsed} parsed and checked, ${refused} refused with one usage line, 0 crashes`,
  );
});
