/**
 * The layout transforms between our tensors and PyTorch's, checked against
 * hand-made tensors of distinct values, element by element, with index
 * formulas written out independently of the module's permutations; and the
 * refusals of a state dict that does not fit.
 */
import assert from "node:assert/strict";
import {
  fromStateDict,
  fromTorch,
  permuteAxes,
  type TorchLayout,
  type TorchMapping,
  torchShape,
  toStateDict,
  toTorch,
} from "../../models/torch_layout.ts";

/** 0, 1, 2, ... as float32: every element distinct. */
function distinct(count: number): Float32Array {
  return Float32Array.from({ length: count }, (_, i) => i);
}

Deno.test("conv: an HWIO kernel becomes OIHW, torch[o][i][y][x] = ours[y][x][i][o]", () => {
  const [h, w, cin, cout] = [3, 2, 4, 5];
  const ours = distinct(h * w * cin * cout);
  const { shape, data } = toTorch({ kind: "conv" }, [h, w, cin, cout], ours);
  assert.deepEqual(shape, [cout, cin, h, w]);
  for (let o = 0; o < cout; o++) {
    for (let i = 0; i < cin; i++) {
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          assert.equal(
            data[((o * cin + i) * h + y) * w + x],
            ours[((y * w + x) * cin + i) * cout + o],
          );
        }
      }
    }
  }
});

Deno.test("conv-transpose: our (h, w, out, in) becomes PyTorch's (in, out, h, w)", () => {
  const [h, w, cout, cin] = [4, 3, 2, 5];
  const ours = distinct(h * w * cout * cin);
  const { shape, data } = toTorch(
    { kind: "conv-transpose" },
    [h, w, cout, cin],
    ours,
  );
  assert.deepEqual(shape, [cin, cout, h, w]);
  for (let i = 0; i < cin; i++) {
    for (let o = 0; o < cout; o++) {
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          assert.equal(
            data[((i * cout + o) * h + y) * w + x],
            ours[((y * w + x) * cout + o) * cin + i],
          );
        }
      }
    }
  }
});

Deno.test("dense: (in, out) becomes (out, in); matrix: M becomes its transpose", () => {
  const [n, m] = [3, 7];
  const ours = distinct(n * m);
  for (const kind of ["dense", "matrix"] as const) {
    const size = kind === "matrix" ? [n, n] : [n, m];
    const values = ours.subarray(0, size[0] * size[1]);
    const { shape, data } = toTorch({ kind }, size, values);
    assert.deepEqual(shape, [size[1], size[0]]);
    for (let a = 0; a < size[0]; a++) {
      for (let b = 0; b < size[1]; b++) {
        assert.equal(data[b * size[0] + a], values[a * size[1] + b]);
      }
    }
  }
});

Deno.test("dense from a flattened image: rows move from (h, w, c) to PyTorch's (c, h, w) order", () => {
  const [h, w, c, out] = [2, 3, 4, 5];
  const ours = distinct(h * w * c * out);
  const { shape, data } = toTorch(
    { kind: "dense", inputImage: [h, w, c] },
    [h * w * c, out],
    ours,
  );
  assert.deepEqual(shape, [out, h * w * c]);
  for (let o = 0; o < out; o++) {
    for (let ch = 0; ch < c; ch++) {
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const torchColumn = (ch * h + y) * w + x;
          const ourRow = (y * w + x) * c + ch;
          assert.equal(
            data[o * h * w * c + torchColumn],
            ours[ourRow * out + o],
          );
        }
      }
    }
  }
});

Deno.test("dense to an image, and the vector over it: columns and entries move to (c, h, w) order", () => {
  const [inputs, h, w, c] = [3, 2, 2, 5];
  const size = h * w * c;
  const ours = distinct(inputs * size);
  const { shape, data } = toTorch(
    { kind: "dense", outputImage: [h, w, c] },
    [inputs, size],
    ours,
  );
  assert.deepEqual(shape, [size, inputs]);
  const bias = distinct(size);
  const features = toTorch(
    { kind: "features", image: [h, w, c] },
    [size],
    bias,
  );
  assert.deepEqual(features.shape, [size]);
  for (let ch = 0; ch < c; ch++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const torchRow = (ch * h + y) * w + x;
        const ourColumn = (y * w + x) * c + ch;
        assert.equal(features.data[torchRow], bias[ourColumn]);
        for (let i = 0; i < inputs; i++) {
          assert.equal(data[torchRow * inputs + i], ours[i * size + ourColumn]);
        }
      }
    }
  }
});

Deno.test("dense to an image computes what PyTorch's Linear then view(c, h, w) computes", () => {
  // Our dense layer and reshape to (h, w, c), against y = W x + b viewed as
  // (c, h, w), with the exported W and b: the same image, channels moved.
  const [inputs, h, w, c] = [3, 2, 3, 2];
  const size = h * w * c;
  const kernel = Float32Array.from(
    { length: inputs * size },
    (_, i) => Math.sin(i),
  );
  const bias = Float32Array.from({ length: size }, (_, i) => Math.cos(i));
  const x = Float32Array.of(0.5, -1, 2);
  const ourImage = new Float32Array(size); // (h, w, c)
  for (let j = 0; j < size; j++) {
    ourImage[j] = bias[j];
    for (let i = 0; i < inputs; i++) ourImage[j] += x[i] * kernel[i * size + j];
  }
  const weight = toTorch(
    { kind: "dense", outputImage: [h, w, c] },
    [inputs, size],
    kernel,
  ).data;
  const torchBias =
    toTorch({ kind: "features", image: [h, w, c] }, [size], bias).data;
  for (let ch = 0; ch < c; ch++) {
    for (let y = 0; y < h; y++) {
      for (let xx = 0; xx < w; xx++) {
        const row = (ch * h + y) * w + xx;
        let value = torchBias[row];
        for (let i = 0; i < inputs; i++) {
          value += weight[row * inputs + i] * x[i];
        }
        assert.ok(
          Math.abs(value - ourImage[(y * w + xx) * c + ch]) < 1e-5,
          `pixel (${y}, ${xx}) channel ${ch}`,
        );
      }
    }
  }
});

Deno.test("channels: a per-channel vector becomes (1, c, 1, 1), values unchanged", () => {
  const ours = Float32Array.of(3, -1, 4);
  const { shape, data } = toTorch({ kind: "channels" }, [3], ours);
  assert.deepEqual(shape, [1, 3, 1, 1]);
  assert.deepEqual([...data], [3, -1, 4]);
});

Deno.test("fromTorch undoes toTorch for every layout", () => {
  const cases: [TorchLayout, number[]][] = [
    [{ kind: "same" }, [4, 3]],
    [{ kind: "conv" }, [3, 3, 2, 5]],
    [{ kind: "conv-transpose" }, [4, 4, 3, 2]],
    [{ kind: "dense" }, [6, 4]],
    [{ kind: "dense", inputImage: [2, 3, 2] }, [12, 5]],
    [{ kind: "dense", outputImage: [3, 2, 2] }, [5, 12]],
    [{ kind: "features", image: [2, 2, 3] }, [12]],
    [{ kind: "matrix" }, [4, 4]],
    [{ kind: "channels" }, [6]],
  ];
  for (const [layout, shape] of cases) {
    const ours = distinct(shape.reduce((a, b) => a * b, 1));
    const torch = toTorch(layout, shape, ours);
    assert.deepEqual(torch.shape, torchShape(layout, shape));
    assert.deepEqual(fromTorch(layout, shape, torch.data), ours, layout.kind);
  }
});

Deno.test("permuteAxes: a rank-3 transpose against its index formula", () => {
  const [a, b, c] = [2, 3, 4];
  const data = distinct(a * b * c);
  const out = permuteAxes(data, [a, b, c], [2, 0, 1]); // -> (c, a, b)
  for (let i = 0; i < a; i++) {
    for (let j = 0; j < b; j++) {
      for (let k = 0; k < c; k++) {
        assert.equal(out[(k * a + i) * b + j], data[(i * b + j) * c + k]);
      }
    }
  }
  assert.throws(() => permuteAxes(data, [5, 5], [1, 0]), /holds 25 values/);
});

Deno.test("a layout that does not fit the tensor is refused", () => {
  assert.throws(() => torchShape({ kind: "conv" }, [3, 3]), /conv/);
  assert.throws(() => torchShape({ kind: "matrix" }, [3, 4]), /matrix/);
  assert.throws(
    () => torchShape({ kind: "dense", inputImage: [2, 2, 2] }, [7, 1]),
    /dense/,
  );
});

// A small model: a conv, a dense layer and a counter, for the refusals.
const MAPPING: TorchMapping = {
  module: "Tiny()",
  entries: [
    { key: "conv.weight", ours: "conv.kernel", layout: { kind: "conv" } },
    { key: "conv.bias", ours: "conv.bias", layout: { kind: "same" } },
    { key: "dense.weight", ours: "dense.kernel", layout: { kind: "dense" } },
  ],
  constants: [{
    key: "norm.num_batches_tracked",
    tensor: { dtype: "I64", shape: [], data: BigInt64Array.of(0n) },
  }],
  fills: [],
};
const SHAPES = new Map([
  ["conv.kernel", [3, 3, 1, 2]],
  ["conv.bias", [2]],
  ["dense.kernel", [4, 3]],
]);

function tinyStateDict() {
  const read = (name: string) => {
    const shape = SHAPES.get(name)!;
    return { shape, data: distinct(shape.reduce((a, b) => a * b, 1)) };
  };
  return toStateDict(MAPPING, read) as Map<
    string,
    { dtype: string; shape: number[]; data: ArrayLike<unknown> }
  >;
}

function refusal(
  tensors: ReturnType<typeof tinyStateDict>,
  pattern: RegExp,
): void {
  assert.throws(
    () => fromStateDict(MAPPING, SHAPES, tensors, "w.safetensors", "tiny"),
    (error: Error) => {
      assert.match(error.message, pattern);
      assert.match(error.message, /^w\.safetensors: /, "names the file");
      assert.ok(!error.message.includes("\n"), "one line");
      return true;
    },
  );
}

Deno.test("fromStateDict gives back our values, exactly", () => {
  const values = fromStateDict(
    MAPPING,
    SHAPES,
    tinyStateDict(),
    "w.safetensors",
    "tiny",
  );
  assert.deepEqual(values.get("conv.kernel"), distinct(18));
  assert.deepEqual(values.get("dense.kernel"), distinct(12));
  assert.equal(values.size, 3);
});

Deno.test("fromStateDict refuses a missing key, naming it and its shape", () => {
  const tensors = tinyStateDict();
  tensors.delete("dense.weight");
  refusal(
    tensors,
    /missing key dense\.weight \(shape \[3,4\]\) of a tiny state dict/,
  );
});

Deno.test("fromStateDict refuses an extra key, naming it", () => {
  const tensors = tinyStateDict();
  tensors.set("extra.weight", {
    dtype: "F32",
    shape: [1],
    data: Float32Array.of(1),
  });
  refusal(tensors, /unexpected key extra\.weight \(shape \[1\]\)/);
});

Deno.test("fromStateDict refuses a wrong shape, naming the key and both shapes", () => {
  const tensors = tinyStateDict();
  tensors.set("conv.weight", {
    dtype: "F32",
    shape: [2, 1, 4, 4],
    data: new Float32Array(32),
  });
  refusal(
    tensors,
    /key conv\.weight has shape \[2,1,4,4\], tiny needs \[2,1,3,3\]/,
  );
});

Deno.test("fromStateDict refuses a wrong dtype, naming the key, both dtypes and shapes", () => {
  const tensors = tinyStateDict();
  tensors.set("conv.bias", {
    dtype: "F64",
    shape: [2],
    data: new Float64Array(2),
  });
  refusal(tensors, /key conv\.bias is F64 \[2\], tiny needs F32 \[2\]/);
  const counted = tinyStateDict();
  counted.set("norm.num_batches_tracked", {
    dtype: "F32",
    shape: [],
    data: new Float32Array(1),
  });
  refusal(counted, /key norm\.num_batches_tracked is F32 \[\], tiny needs I64/);
});

Deno.test("fromStateDict refuses another model's state dict, naming its keys", () => {
  const other = new Map([["encoder.weight", {
    dtype: "F32",
    shape: [2],
    data: new Float32Array(2),
  }]]);
  refusal(
    other,
    /not a tiny state dict: none of its 1 keys \(encoder\.weight\)/,
  );
});
