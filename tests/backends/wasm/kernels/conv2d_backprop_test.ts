/**
 * Conv2DBackpropInput and Conv2DBackpropFilter on wasm against the tfjs cpu
 * backend, reached the way models reach them: tf.conv2dTranspose, and the
 * input / filter gradients of tf.conv2d and tf.conv2dTranspose.
 */
import assert from "node:assert/strict";
import { tf } from "../../../../backends/tf.ts";
import { activeSimdKernels } from "../../../../backends/wasm/simd/kernels.ts";
import { filterGradientPath } from "../../../../backends/wasm/kernels/Conv2DBackpropFilter.ts";
import { initEngine } from "../../../../backends/engine.ts";
import { wasmKernelConfigs } from "../../../../backends/wasm/register_kernels.ts";
import {
  assertBackendsAgree,
  assertGenwasmKernel,
  geometries,
  type Geometry,
  geometryText,
  quietCpuBackend,
  Rng,
  sizeOf,
} from "../../../_helpers.ts";

await initEngine({ threads: 2 });
quietCpuBackend();

type Shape4 = [number, number, number, number];

interface ConvCase extends Geometry {
  inChannels: number;
  outChannels: number;
  xShape: Shape4;
  filterShape: Shape4;
  yShape: Shape4;
  x: Float32Array;
  filter: Float32Array;
  dy: Float32Array;
  dx: Float32Array;
  name: string;
}

const rng = new Rng(20240611);

function convCase(
  g: Geometry,
  inChannels: number,
  outChannels: number,
): ConvCase {
  const xShape: Shape4 = [g.batch, g.height, g.width, inChannels];
  const filterShape: Shape4 = [g.kh, g.kw, inChannels, outChannels];
  const yShape = tf.backend_util.computeConv2DInfo(
    xShape,
    filterShape,
    [g.sh, g.sw],
    1,
    g.pad,
  ).outShape;
  return {
    ...g,
    inChannels,
    outChannels,
    xShape,
    filterShape,
    yShape,
    x: rng.uniform(sizeOf(xShape)),
    filter: rng.uniform(sizeOf(filterShape)),
    dy: rng.uniform(sizeOf(yShape)),
    dx: rng.uniform(sizeOf(xShape)),
    name: `${geometryText(g)} ci${inChannels} co${outChannels}`,
  };
}

const cases: ConvCase[] = geometries(rng, 14).map((g) =>
  convCase(g, rng.pick([1, 3, 5, 7]), rng.pick([2, 3, 5, 6, 7]))
);
/** Stride 1 with a 1x1 kernel or one input channel, and >= 16 outputs: the filter gradient's GEMM path. */
const gemmCases: ConvCase[] = geometries(rng, 12)
  .filter((g) => g.sh === 1 && g.sw === 1)
  .map((g) => convCase(g, g.kh === 1 ? 5 : 1, 17));

/** Output channels in 4s: the filter gradient's SIMD path (genwasm's microkernels). */
const simdCases: ConvCase[] = geometries(rng, 14).map((g) =>
  convCase(g, rng.pick([1, 2, 3, 7, 13]), rng.pick([4, 8, 12, 20]))
);

/**
 * Few input channels and 16+ outputs in 4s: the input gradient is a
 * convolution with few output channels, genwasm's narrow SIMD path
 * (kernels/Conv2D.ts) at stride 1.
 */
const narrowCases: ConvCase[] = geometries(rng, 12).map((g) =>
  convCase(g, rng.pick([1, 2, 4, 8]), rng.pick([16, 20, 64]))
);

/** The forward conv's geometry, as the filter-gradient kernel sees it. */
const convInfo = (c: ConvCase) =>
  tf.backend_util.computeConv2DInfo(
    c.xShape,
    c.filterShape,
    [c.sh, c.sw],
    1,
    c.pad,
  );

Deno.test("conv2DBackpropFilter takes the SIMD path for output channels in 4s, its other paths otherwise", () => {
  assert.ok(activeSimdKernels(), "the engine built the kernels");
  for (const c of simdCases) {
    assert.equal(filterGradientPath(convInfo(c)), "simd", c.name);
  }
  for (const c of gemmCases) {
    assert.equal(filterGradientPath(convInfo(c)), "gemm", c.name);
  }
  for (const c of cases) {
    assert.notEqual(filterGradientPath(convInfo(c)), "simd", c.name);
  }
});

Deno.test("Conv2DBackpropInput and Conv2DBackpropFilter are genwasm's kernels on wasm", () => {
  assertGenwasmKernel(wasmKernelConfigs, "Conv2DBackpropInput");
  assertGenwasmKernel(wasmKernelConfigs, "Conv2DBackpropFilter");
});

Deno.test("conv2DBackpropInput matches the cpu backend on random shapes (few input channels: the narrow path)", async (t) => {
  for (const c of [...cases, ...narrowCases]) {
    await t.step(c.name, async () => {
      await assertBackendsAgree(() => {
        const dy = tf.tensor4d(c.dy, c.yShape);
        const filter = tf.tensor4d(c.filter, c.filterShape);
        const x = tf.tensor4d(c.x, c.xShape);
        const strides: [number, number] = [c.sh, c.sw];
        const transposed = tf.conv2dTranspose(
          dy,
          filter,
          c.xShape,
          strides,
          c.pad,
        );
        const dx = tf.grad((x) =>
          tf.conv2d(x as tf.Tensor4D, filter, strides, c.pad)
        )(x, dy);
        return [transposed, dx];
      }, ["conv2dTranspose", "conv2d dx"]);
    });
  }
});

Deno.test("conv2DBackpropFilter matches the cpu backend on random shapes (all three of its paths)", async (t) => {
  for (const c of [...cases, ...gemmCases, ...simdCases]) {
    await t.step(c.name, async () => {
      await assertBackendsAgree(() => {
        const dy = tf.tensor4d(c.dy, c.yShape);
        const filter = tf.tensor4d(c.filter, c.filterShape);
        const x = tf.tensor4d(c.x, c.xShape);
        return tf.grad((w) =>
          tf.conv2d(x, w as tf.Tensor4D, [c.sh, c.sw], c.pad)
        )(filter, dy);
      }, ["conv2d dW"]);
    });
  }
});

Deno.test("conv2dTranspose gradients (input and filter) match the cpu backend on random shapes", async (t) => {
  for (const c of [...cases, ...simdCases]) {
    await t.step(c.name, async () => {
      await assertBackendsAgree(() => {
        const dy = tf.tensor4d(c.dy, c.yShape);
        const filter = tf.tensor4d(c.filter, c.filterShape);
        const cotangent = tf.tensor4d(c.dx, c.xShape);
        return tf.grads((d, w) =>
          tf.conv2dTranspose(
            d as tf.Tensor4D,
            w as tf.Tensor4D,
            c.xShape,
            [c.sh, c.sw],
            c.pad,
          )
        )([dy, filter], cotangent);
      }, ["conv2dTranspose d(input)", "conv2dTranspose dW"]);
    });
  }
});
