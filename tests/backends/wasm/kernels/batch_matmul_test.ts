/**
 * BatchMatMul on wasm against the tfjs cpu backend: tf.matMul with all four
 * transpose combinations, plain rank 2, rank-3 batches of 1 to 4, and
 * broadcast batch dimensions (1 against n, rank 3 against rank 2, rank 4);
 * widths in 4s take genwasm's SIMD kernels, the rest the XNNPACK path.
 */
import { tf } from "../../../../backends/tf.ts";
import { initEngine } from "../../../../backends/engine.ts";
import { wasmKernelConfigs } from "../../../../backends/wasm/register_kernels.ts";
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

interface MatMulCase {
  /** a and b have the same batch dimensions (no broadcasting). */
  sameBatch: boolean;
  aShape: number[];
  bShape: number[];
  transposeA: boolean;
  transposeB: boolean;
  a: Float32Array;
  b: Float32Array;
  name: string;
}

/** Leading (batch) dimensions of a and b. */
const batchPairs: [number[], number[]][] = [
  [[], []],
  [[1], [1]],
  [[2], [2]],
  [[3], [3]],
  [[4], [4]],
  [[4], [1]], // broadcast b
  [[1], [3]], // broadcast a
  [[3], []], // rank 3 times rank 2
  [[], [2]], // rank 2 times rank 3
  [[2, 2], [2, 2]], // rank 4, same batch
  [[1, 1], [2, 3]], // rank 4, broadcast a
  [[2, 1], [1, 3]], // rank 4, both broadcast
];

const rng = new Rng(7100);

/** A case of random operands; `label` is added to its name. */
function matMulCase(
  aShape: number[],
  bShape: number[],
  transposeA: boolean,
  transposeB: boolean,
  sameBatch: boolean,
  label = "",
): MatMulCase {
  return {
    sameBatch,
    aShape,
    bShape,
    transposeA,
    transposeB,
    a: rng.uniform(sizeOf(aShape)),
    b: rng.uniform(sizeOf(bShape)),
    name: `a${shapeText(aShape)}${transposeA ? "ᵀ" : ""} x b${
      shapeText(bShape)
    }${transposeB ? "ᵀ" : ""}${label}`,
  };
}

const cases: MatMulCase[] = [];
for (const [batchA, batchB] of batchPairs) {
  for (const transposeA of [false, true]) {
    for (const transposeB of [false, true]) {
      // Widths in 4s (and M in 4s with N = 1) take the SIMD kernels.
      const m = rng.pick([1, 3, 4, 5, 6, 7, 8, 9, 12, 13]);
      const k = rng.pick([1, 2, 3, 5, 7, 11, 17]);
      const n = rng.pick([1, 3, 4, 5, 6, 7, 8, 10, 12, 20]);
      cases.push(matMulCase(
        [...batchA, ...(transposeA ? [k, m] : [m, k])],
        [...batchB, ...(transposeB ? [n, k] : [k, n])],
        transposeA,
        transposeB,
        shapeText(batchA) === shapeText(batchB),
      ));
    }
  }
}

/** Shapes for each way the SIMD kernels take a product (../simd/matmul.ts). */
const simdCases: [number[], number[], boolean, boolean][] = [
  [[3, 8, 5], [5, 12], false, false], // b shared: a's batch folds into M
  [[2, 5, 8], [5, 12], true, false], // b shared, a transposed
  [[2, 13, 9], [2, 9, 20], false, false], // 6 + 6 + 1 rows, 8 + 8 + 4 columns
  [[8, 7], [7, 1], false, false], // N = 1: the swapped product
  [[7, 8], [1, 7], true, true], // swapped, b^T a reshape
  [[16, 1], [20, 1], false, true], // K = 1: an outer product
  [[40, 6], [40, 36], true, false], // a dense layer's dW = x^T dy
];
for (const [aShape, bShape, transposeA, transposeB] of simdCases) {
  cases.push(matMulCase(
    aShape,
    bShape,
    transposeA,
    transposeB,
    aShape.length === bShape.length,
    " (SIMD)",
  ));
}

Deno.test("BatchMatMul is genwasm's kernel on wasm", () => {
  assertGenwasmKernel(wasmKernelConfigs, "BatchMatMul");
});

Deno.test("batchMatMul matches the cpu backend on random shapes and all transpose combinations", async (t) => {
  for (const c of cases) {
    await t.step(c.name, async () => {
      await assertBackendsAgree(
        () =>
          tf.matMul(
            tf.tensor(c.a, c.aShape),
            tf.tensor(c.b, c.bShape),
            c.transposeA,
            c.transposeB,
          ),
        ["matMul"],
      );
    });
  }
});

Deno.test("batchMatMul gradients match the cpu backend", async (t) => {
  // tfjs-core's BatchMatMul gradient does not reduce over broadcast batch
  // dimensions (it fails on every backend), so only equal batch shapes here.
  for (const c of cases.filter((c) => c.sameBatch)) {
    await t.step(c.name, async () => {
      const outShape = tf.tidy(() =>
        tf.matMul(
          tf.zeros(c.aShape),
          tf.zeros(c.bShape),
          c.transposeA,
          c.transposeB,
        ).shape
      );
      const dy = new Rng(sizeOf(outShape)).uniform(sizeOf(outShape));
      await assertBackendsAgree(
        () =>
          tf.grads((a, b) => tf.matMul(a, b, c.transposeA, c.transposeB))(
            [tf.tensor(c.a, c.aShape), tf.tensor(c.b, c.bShape)],
            tf.tensor(dy, outShape),
          ),
        ["matMul da", "matMul db"],
      );
    });
  }
});
