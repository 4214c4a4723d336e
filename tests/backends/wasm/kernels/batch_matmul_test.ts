/**
 * BatchMatMul on wasm against the tfjs cpu backend: tf.matMul with all four
 * transpose combinations, plain rank 2, rank-3 batches of 1 to 4, and
 * broadcast batch dimensions (1 against n, rank 3 against rank 2, rank 4).
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
const cases: MatMulCase[] = [];
for (const [batchA, batchB] of batchPairs) {
  for (const transposeA of [false, true]) {
    for (const transposeB of [false, true]) {
      const m = rng.pick([1, 3, 5, 6, 7, 9, 13]);
      const k = rng.pick([1, 2, 3, 5, 7, 11, 17]);
      const n = rng.pick([1, 3, 5, 6, 7, 10]);
      const aShape = [...batchA, ...(transposeA ? [k, m] : [m, k])];
      const bShape = [...batchB, ...(transposeB ? [n, k] : [k, n])];
      cases.push({
        sameBatch: shapeText(batchA) === shapeText(batchB),
        aShape,
        bShape,
        transposeA,
        transposeB,
        a: rng.uniform(sizeOf(aShape)),
        b: rng.uniform(sizeOf(bShape)),
        name: `a${shapeText(aShape)}${transposeA ? "ᵀ" : ""} x b${
          shapeText(bShape)
        }${transposeB ? "ᵀ" : ""}`,
      });
    }
  }
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
