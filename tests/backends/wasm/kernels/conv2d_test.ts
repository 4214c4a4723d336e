/**
 * Conv2D and FusedConv2D on wasm (genwasm's SIMD convolution where it
 * applies, the stock kernels elsewhere) against the tfjs cpu backend, on
 * random geometries: strides, non-square kernels, same and valid padding,
 * bias, ReLU and linear activations, output channels in 4s and not.
 */
import assert from "node:assert/strict";
import { type TensorInfo, tf } from "../../../../backends/tf.ts";
import { initEngine } from "../../../../backends/engine.ts";
import { wasmKernelConfigs } from "../../../../backends/wasm/register_kernels.ts";
import { simdConvolutionGeometry } from "../../../../backends/wasm/kernels/Conv2D.ts";
import {
  assertBackendsAgree,
  assertGenwasmKernel,
  geometries,
  geometryText,
  quietCpuBackend,
  Rng,
  sizeOf,
} from "../../../_helpers.ts";

await initEngine({ threads: 2 });
quietCpuBackend();

const rng = new Rng(20261126);
const cases = geometries(rng, 14).map((g) => {
  const inChannels = rng.pick([1, 3, 6]);
  const outChannels = rng.pick([4, 8, 12, 5]);
  const xShape = [g.batch, g.height, g.width, inChannels] as [
    number,
    number,
    number,
    number,
  ];
  const filterShape = [g.kh, g.kw, inChannels, outChannels] as [
    number,
    number,
    number,
    number,
  ];
  return {
    ...g,
    xShape,
    filterShape,
    x: rng.uniform(sizeOf(xShape)),
    filter: rng.uniform(sizeOf(filterShape)),
    bias: rng.uniform(outChannels),
    name: `${geometryText(g)} ci${inChannels} co${outChannels}`,
  };
});

Deno.test("Conv2D and FusedConv2D are genwasm's kernels on wasm", () => {
  assertGenwasmKernel(wasmKernelConfigs, "Conv2D");
  assertGenwasmKernel(wasmKernelConfigs, "FusedConv2D");
});

Deno.test("the SIMD convolution takes output channels in 4s without dilation, and nothing else", () => {
  const info = (shape: number[]): TensorInfo => ({
    dataId: {},
    shape,
    dtype: "float32",
  });
  const x = info([2, 9, 9, 3]);
  const filter = (outChannels: number) => info([3, 3, 3, outChannels]);
  const attrs = { strides: 1, pad: "same", dilations: 1 } as never;
  assert.ok(simdConvolutionGeometry(x, filter(8), attrs));
  assert.equal(simdConvolutionGeometry(x, filter(6), attrs), undefined);
  assert.equal(
    simdConvolutionGeometry(x, filter(8), {
      strides: 1,
      pad: "same",
      dilations: 2,
    } as never),
    undefined,
  );
});

Deno.test("conv2d and fused conv2d (bias; linear and ReLU) match the cpu backend", async (t) => {
  for (const c of cases) {
    await t.step(c.name, async () => {
      await assertBackendsAgree(() => {
        const x = tf.tensor4d(c.x, c.xShape);
        const filter = tf.tensor4d(c.filter, c.filterShape);
        const bias = tf.tensor1d(c.bias);
        const strides: [number, number] = [c.sh, c.sw];
        return [
          tf.conv2d(x, filter, strides, c.pad),
          tf.fused.conv2d({ x, filter, strides, pad: c.pad, bias }),
          tf.fused.conv2d({
            x,
            filter,
            strides,
            pad: c.pad,
            bias,
            activation: "relu",
          }),
          tf.fused.conv2d({
            x,
            filter,
            strides,
            pad: c.pad,
            activation: "relu",
          }),
        ];
      }, ["conv2d", "bias", "bias + relu", "relu"]);
    });
  }
});
