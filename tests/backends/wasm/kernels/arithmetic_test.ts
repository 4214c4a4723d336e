/**
 * Add, Sub, Multiply, Neg and Cast on wasm (genwasm's SIMD kernels for
 * float32 row broadcasts and Neg; stock for equal shapes, scalars
 * and the rest) against the cpu backend, exactly: on the calling thread and
 * on the pool's (from 262144 outputs), on sizes not in 4s or 16s and rows
 * that split unevenly between the threads; with Relu and its gradient.
 */
import assert from "node:assert/strict";
import { tf } from "../../../../backends/tf.ts";
import { initEngine } from "../../../../backends/engine.ts";
import { wasmKernelConfigs } from "../../../../backends/wasm/register_kernels.ts";
import { broadcastRows } from "../../../../backends/wasm/kernels/Arithmetic.ts";
import {
  assertBackendsAgree,
  assertGenwasmKernel,
  quietCpuBackend,
  Rng,
  shapeText,
  sizeOf,
} from "../../../_helpers.ts";

await initEngine({ threads: 2 });
quietCpuBackend();

const rng = new Rng(20261207);

Deno.test("Add, Sub, Multiply, Neg and Cast are genwasm's kernels on wasm", () => {
  for (const name of ["Add", "Sub", "Multiply", "Neg", "Cast"]) {
    assertGenwasmKernel(wasmKernelConfigs, name);
  }
});

Deno.test("broadcastRows merges axes into rows and columns, or declines", () => {
  const rows = (a: number[], b: number[]) =>
    broadcastRows(a, b, tf.backend_util.assertAndGetBroadcastShape(a, b));
  const full = (row: number) => ({ row, stream: true });
  const perRow = { row: 4, stream: false };
  const scalar = { row: 0, stream: false };
  assert.deepEqual(rows([2, 3, 5], [2, 3, 5]), {
    rows: 1,
    cols: 30,
    a: full(0),
    b: full(0),
  });
  assert.deepEqual(rows([2, 3, 5], []), {
    rows: 1,
    cols: 30,
    a: full(0),
    b: scalar,
  });
  assert.deepEqual(rows([1, 1], [4, 1, 5]), {
    rows: 1,
    cols: 20,
    a: scalar,
    b: full(0),
  });
  assert.deepEqual(rows([2, 3, 5], [5]), {
    rows: 6,
    cols: 5,
    a: full(20),
    b: full(0),
  });
  assert.deepEqual(rows([1, 5], [2, 3, 5]), {
    rows: 6,
    cols: 5,
    a: full(0),
    b: full(20),
  });
  assert.deepEqual(rows([2, 3, 1], [2, 3, 5]), {
    rows: 6,
    cols: 5,
    a: perRow,
    b: full(20),
  });
  assert.deepEqual(rows([2, 3, 5], [2, 3, 1]), {
    rows: 6,
    cols: 5,
    a: full(20),
    b: perRow,
  });
  assert.equal(rows([2, 1], [1, 5]), undefined, "an outer product");
  assert.equal(rows([2, 3, 5], [2, 1, 5]), undefined, "a middle axis");
});

/** Pairs of shapes [a, b]: equal shapes and scalars (stock), row broadcasts small (the calling thread) and large (the pool). */
const PAIRS: [number[], number[]][] = [
  [[3, 7], [3, 7]],
  [[5, 4, 4], [5, 4, 4]],
  [[33, 1001], [33, 1001]], // equal shapes and scalars: stock
  [[64, 14, 14, 64], [64, 14, 14, 64]],
  [[], []],
  [[7, 3], []],
  [[211, 163], []],
  [[], [101, 331]],
  [[4, 5, 3], [3]],
  [[1, 2], [9, 3, 2]],
  [[64, 14, 14, 4], [4]],
  [[127, 17, 5], [5]], // 2159 rows of 5 (from [R, C] x [C] by 1 axis)
  [[1031, 37], [37]],
  [[7101, 37], [37]], // 7101 rows of 37 on the pool: split unevenly
  [[3], [7, 11, 3]],
  [[6, 1], [6, 13]],
  [[64, 392], [64, 1]],
  [[513, 97], [513, 1]],
  [[2049, 1], [2049, 129]], // on the pool, split unevenly
  [[2049, 129], [2049, 1]],
  [[1, 37], [4100, 1]], // an outer product: stock
  [[5, 3, 6], [5, 1, 6]], // a broadcast middle axis: stock
];

Deno.test("add, sub and mul match the cpu backend exactly, broadcasting included", async (t) => {
  for (const [aShape, bShape] of PAIRS) {
    const a = rng.uniform(sizeOf(aShape), -2, 2);
    const b = rng.uniform(sizeOf(bShape), -2, 2);
    await t.step(`${shapeText(aShape)} with ${shapeText(bShape)}`, async () => {
      await assertBackendsAgree(
        () => {
          const [at, bt] = [tf.tensor(a, aShape), tf.tensor(b, bShape)];
          return [tf.add(at, bt), tf.sub(at, bt), tf.mul(at, bt)];
        },
        ["add", "sub", "mul"],
        0,
      );
    });
  }
});

Deno.test("int32 arithmetic and a zero-sized tensor go to the stock kernels", async () => {
  await assertBackendsAgree(
    () => {
      const a = tf.tensor([1, -2, 3, 40000], [4], "int32");
      const b = tf.tensor([5, 6, -7, 8], [4], "int32");
      const empty = tf.add(tf.zeros([0, 3]), tf.ones([3]));
      return [
        tf.cast(tf.add(a, b), "float32"),
        tf.cast(tf.sub(a, b), "float32"),
        tf.cast(tf.mul(a, b), "float32"),
        tf.cast(tf.neg(a), "float32"),
        tf.concat([tf.reshape(empty, [0]), tf.ones([1])]),
      ];
    },
    ["int32 add", "int32 sub", "int32 mul", "int32 neg", "empty"],
    0,
  );
});

/** Shapes of x for Neg: the calling thread, and the pool (from 263 x 1001). */
const UNARY_SHAPES = [
  [3, 7],
  [5, 4, 4],
  [33, 1001],
  [263, 1001],
  [64, 14, 14, 64],
];

Deno.test("neg, and relu's gradient through a cast and a product, match the cpu backend", async (t) => {
  for (const shape of UNARY_SHAPES) {
    const x = rng.uniform(sizeOf(shape), -2, 2);
    // Exact zeros: relu's mask is x > 0.
    for (let i = 0; i < x.length; i += 7) x[i] = 0;
    const dy = rng.uniform(sizeOf(shape));
    await t.step(shapeText(shape), async () => {
      await assertBackendsAgree(
        () => {
          const xt = tf.tensor(x, shape);
          return [
            tf.relu(xt),
            tf.step(xt),
            tf.step(xt, 0.25),
            tf.neg(xt),
            tf.grad((v) => tf.relu(v))(xt, tf.tensor(dy, shape)),
          ];
        },
        ["relu", "step", "step(alpha 0.25)", "neg", "relu's gradient"],
        0,
      );
    });
  }
});

Deno.test("neg passes NaN on and flips zeros", () => {
  // 9 numbers: 8 four at a time, the last alone.
  const x = tf.tensor([NaN, -1, 0, 2, NaN, -0.5, 3, 1, NaN]);
  const neg = tf.neg(x);
  assert.deepEqual(
    Array.from(neg.dataSync()),
    [NaN, 1, -0, -2, NaN, 0.5, -3, -1, NaN],
  );
  tf.dispose([x, neg]);
});

Deno.test("cast to the same dtype shares memory and outlives its input; other casts convert", async () => {
  await tf.setBackend("wasm");
  const before = tf.engine().backend.numDataIds();
  const x = tf.tensor([1.5, -2.25, 3]);
  const same = tf.cast(x, "float32");
  assert.equal(tf.engine().backend.numDataIds(), before + 1, "no copy");
  x.dispose();
  assert.deepEqual(Array.from(same.dataSync()), [1.5, -2.25, 3]);
  const ints = tf.cast(same, "int32");
  assert.equal(ints.dtype, "int32");
  assert.deepEqual(Array.from(ints.dataSync()), [1, -2, 3]);
  tf.dispose([same, ints]);
  assert.equal(tf.engine().backend.numDataIds(), before);
});
