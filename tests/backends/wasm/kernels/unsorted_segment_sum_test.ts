/**
 * UnsortedSegmentSum on wasm against the tfjs cpu backend: tf.unsortedSegmentSum
 * directly, and as the gradient of tf.gather (how label embeddings train).
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

interface SegmentCase {
  xShape: number[];
  numSegments: number;
  x: Float32Array;
  ids: Int32Array;
  dtype: "float32" | "int32";
  name: string;
}

const rng = new Rng(31337);
const segmentCases: SegmentCase[] = [];
for (let i = 0; i < 14; i++) {
  const rows = i === 0 ? 1 : i === 12 ? 20 : rng.int(2, 24);
  const inner = [[], [rng.pick([1, 3, 5, 7])], [
    rng.pick([2, 3]),
    rng.pick([3, 5]),
  ]][i % 3];
  const xShape = [rows, ...inner];
  const numSegments = rng.int(1, 9);
  // Case 12: some ids outside [0, numSegments), which are dropped.
  const ids = i === 12
    ? rng.ints(rows, -2, numSegments + 1)
    : rng.ints(rows, 0, numSegments - 1);
  // Case 13: int32 data.
  const dtype = i === 13 ? "int32" : "float32";
  const x = dtype === "int32"
    ? Float32Array.from(rng.ints(sizeOf(xShape), -9, 9))
    : rng.uniform(sizeOf(xShape));
  segmentCases.push({
    xShape,
    numSegments,
    x,
    ids,
    dtype,
    name: `x${shapeText(xShape)} ${dtype} segments ${numSegments}${
      i === 12 ? " with out-of-range ids" : ""
    }`,
  });
}

interface GatherCase {
  paramsShape: number[];
  indicesShape: number[];
  axis: number;
  params: Float32Array;
  indices: Int32Array;
  dy: Float32Array;
  name: string;
}

const gatherCases: GatherCase[] = [];
for (let i = 0; i < 10; i++) {
  const vocab = rng.int(1, 12);
  const dim = rng.pick([1, 3, 5, 7, 16]);
  // Mostly label embeddings (axis 0, one index per example); then a 2-D
  // index tensor and a gather along axis 1.
  const axis = i >= 8 ? 1 : 0;
  const paramsShape = axis === 0 ? [vocab, dim] : [3, vocab, dim];
  const indicesShape = i === 7 ? [rng.int(1, 4), 3] : [rng.int(1, 8)];
  const outShape = [
    ...paramsShape.slice(0, axis),
    ...indicesShape,
    ...paramsShape.slice(axis + 1),
  ];
  gatherCases.push({
    paramsShape,
    indicesShape,
    axis,
    params: rng.uniform(sizeOf(paramsShape)),
    indices: rng.ints(sizeOf(indicesShape), 0, vocab - 1),
    dy: rng.uniform(sizeOf(outShape)),
    name: `params${shapeText(paramsShape)} indices${
      shapeText(indicesShape)
    } axis ${axis}`,
  });
}

Deno.test("UnsortedSegmentSum is genwasm's kernel on wasm", () => {
  assertGenwasmKernel(wasmKernelConfigs, "UnsortedSegmentSum");
});

Deno.test("unsortedSegmentSum matches the cpu backend on random shapes", async (t) => {
  for (const c of segmentCases) {
    await t.step(c.name, async () => {
      await assertBackendsAgree(
        () =>
          tf.unsortedSegmentSum(
            tf.tensor(c.x, c.xShape, c.dtype),
            tf.tensor1d(c.ids, "int32"),
            c.numSegments,
          ),
        ["unsortedSegmentSum"],
      );
    });
  }
});

Deno.test("gather gradient (label embeddings) matches the cpu backend on random shapes", async (t) => {
  for (const c of gatherCases) {
    await t.step(c.name, async () => {
      await assertBackendsAgree(() => {
        const indices = tf.tensor(c.indices, c.indicesShape, "int32");
        const params = tf.tensor(c.params, c.paramsShape);
        const dy = tf.tensor(c.dy, [
          ...c.paramsShape.slice(0, c.axis),
          ...c.indicesShape,
          ...c.paramsShape.slice(c.axis + 1),
        ]);
        return tf.grad((p) => tf.gather(p, indices, c.axis))(params, dy);
      }, ["gather dParams"]);
    });
  }
});
