import assert from "node:assert/strict";
import {
  decodeSafetensors,
  decodeWideSafetensors,
  encodeSafetensors,
  type StoredTensor,
  type WideTensor,
} from "../../train/safetensors.ts";
import { Rng } from "../_helpers.ts";

function sample(): Map<string, StoredTensor> {
  const rng = new Rng(5);
  return new Map<string, StoredTensor>([
    ["encoder.conv1.kernel", {
      dtype: "F32",
      shape: [4, 4, 1, 3],
      data: rng.uniform(48),
    }],
    ["step", { dtype: "I32", shape: [], data: new Int32Array([1234]) }],
    ["mask", {
      dtype: "U8",
      shape: [5],
      data: new Uint8Array([1, 0, 1, 1, 0]),
    }],
    ["empty", { dtype: "F32", shape: [0, 3], data: new Float32Array(0) }],
  ]);
}

Deno.test("encodeSafetensors then decodeSafetensors gives back bit-exact tensors and metadata", () => {
  const tensors = sample();
  const bytes = encodeSafetensors(tensors, {
    preset: "vae",
    config: '{"latent":16}',
  });
  const decoded = decodeSafetensors(bytes, "x.safetensors");
  assert.deepEqual(decoded.metadata, {
    preset: "vae",
    config: '{"latent":16}',
  });
  assert.deepEqual([...decoded.tensors.keys()], [...tensors.keys()]);
  for (const [name, tensor] of tensors) {
    const got = decoded.tensors.get(name)!;
    assert.equal(got.dtype, tensor.dtype);
    assert.deepEqual(got.shape, tensor.shape);
    assert.deepEqual(
      new Uint8Array(got.data.buffer, got.data.byteOffset, got.data.byteLength),
      new Uint8Array(
        tensor.data.buffer,
        tensor.data.byteOffset,
        tensor.data.byteLength,
      ),
    );
  }
});

Deno.test("encodeSafetensors writes the documented layout: u64 header length, 8-aligned JSON", () => {
  const bytes = encodeSafetensors(sample());
  const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  assert.equal(headerLength % 8, 0);
  const header = JSON.parse(
    new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)),
  );
  assert.deepEqual(header["encoder.conv1.kernel"], {
    dtype: "F32",
    shape: [4, 4, 1, 3],
    data_offsets: [0, 192],
  });
  assert.deepEqual(header.step.data_offsets, [192, 196]);
  // The first float sits right after the header, little-endian.
  const first = new DataView(bytes.buffer).getFloat32(8 + headerLength, true);
  assert.equal(first, sample().get("encoder.conv1.kernel")!.data[0]);
});

Deno.test("encodeSafetensors refuses data that does not fit its shape", () => {
  assert.throws(
    () =>
      encodeSafetensors(
        new Map([["w", {
          dtype: "F32",
          shape: [3],
          data: new Float32Array(2),
        }]]),
      ),
    /tensor w: shape \[3\] holds 3 values, data has 2/,
  );
});

/** A file whose header is `header` (JSON) followed by `dataBytes` zero bytes. */
function handMade(
  header: unknown,
  dataBytes: number,
  declaredLength?: number,
): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + dataBytes);
  new DataView(out.buffer).setBigUint64(
    0,
    BigInt(declaredLength ?? json.length),
    true,
  );
  out.set(json, 8);
  return out;
}

Deno.test("decodeSafetensors refuses broken files with a message naming the file", () => {
  const cases: [Uint8Array, RegExp][] = [
    [new Uint8Array(5), /too short/],
    [handMade({}, 0, 1e12), /runs past the end/],
    [
      handMade({ w: { dtype: "F32", shape: [2], data_offsets: [0, 8] } }, 4),
      /ends at byte 8 of a 4-byte data section/,
    ],
    [
      handMade({ w: { dtype: "F32", shape: [3], data_offsets: [0, 8] } }, 8),
      /needs 12 bytes, offsets give 8/,
    ],
    [
      handMade({ w: { dtype: "F16", shape: [2], data_offsets: [0, 4] } }, 4),
      /dtype "F16"/,
    ],
    [
      handMade({ w: { dtype: "F32", shape: [-1], data_offsets: [0, 4] } }, 4),
      /shape/,
    ],
    [
      handMade({ w: { dtype: "F32", shape: [1], data_offsets: [4, 0] } }, 4),
      /data_offsets/,
    ],
    [handMade([1, 2], 0), /not a JSON object/],
    [handMade({ __metadata__: { a: 1 } }, 0), /__metadata__/],
  ];
  for (const [bytes, expected] of cases) {
    assert.throws(
      () => decodeSafetensors(bytes, "runs/x/model.safetensors"),
      (error: Error) => {
        assert.match(
          error.message,
          /^runs\/x\/model\.safetensors: not a valid safetensors file: /,
        );
        assert.match(error.message, expected);
        return true;
      },
    );
  }
});

Deno.test("decodeSafetensors survives every truncation and random byte flips without crashing", () => {
  const bytes = encodeSafetensors(sample(), { preset: "vae" });
  const rng = new Rng(99);
  let refused = 0;
  const attempts: Uint8Array[] = [];
  for (let length = 0; length < bytes.length; length += 7) {
    attempts.push(bytes.slice(0, length));
  }
  for (let i = 0; i < 300; i++) {
    const mutated = bytes.slice();
    for (let flips = rng.int(1, 4); flips > 0; flips--) {
      mutated[rng.int(0, mutated.length - 1)] = rng.int(0, 255);
    }
    attempts.push(mutated);
  }
  for (const attempt of attempts) {
    try {
      decodeSafetensors(attempt, "f.safetensors");
    } catch (error) {
      assert.match(
        (error as Error).message,
        /^f\.safetensors: not a valid safetensors file: /,
      );
      refused++;
    }
  }
  // Every truncation is refused; flips inside tensor data load as other values.
  assert.ok(refused >= Math.ceil(bytes.length / 7), `only ${refused} refused`);
});

Deno.test("decodeWideSafetensors reads PyTorch's I64 and F64 tensors bit-exactly; decodeSafetensors (checkpoints) refuses them by name", () => {
  const wide = new Map<string, WideTensor>([
    ["norm.num_batches_tracked", {
      dtype: "I64",
      shape: [],
      data: BigInt64Array.of(-(2n ** 40n) - 3n),
    }],
    ["weight", {
      dtype: "F64",
      shape: [2],
      data: Float64Array.of(Math.PI, -1e-300),
    }],
    ["bias", { dtype: "F32", shape: [1], data: Float32Array.of(0.5) }],
  ]);
  const bytes = encodeSafetensors(wide, { format: "pt" });
  const decoded = decodeWideSafetensors(bytes, "sd.safetensors");
  assert.equal(decoded.metadata.format, "pt");
  for (const [name, tensor] of wide) {
    const got = decoded.tensors.get(name)!;
    assert.equal(got.dtype, tensor.dtype);
    assert.deepEqual(got.shape, tensor.shape);
    assert.deepEqual(got.data, tensor.data, name);
  }
  assert.throws(
    () => decodeSafetensors(bytes, "sd.safetensors"),
    /^Error: sd\.safetensors: not a valid safetensors file: tensor norm\.num_batches_tracked has dtype "I64"; genwasm reads F32, I32 and U8$/,
  );
});
