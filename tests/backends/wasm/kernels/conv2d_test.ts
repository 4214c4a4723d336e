/**
 * Conv2D and FusedConv2D on wasm (genwasm's narrow SIMD convolution where
 * output channels are few, the stock kernels elsewhere) against the tfjs
 * cpu backend, on random geometries: strides, non-square kernels, same and
 * valid padding, bias, ReLU and linear activations, every output channel
 * count of the narrow path and wider ones, input channels in 4s and not.
 */
import assert from "node:assert/strict";
import { type TensorInfo, tf } from "../../../../backends/tf.ts";
import { initEngine } from "../../../../backends/engine.ts";
import { wasmKernelConfigs } from "../../../../backends/wasm/register_kernels.ts";
import { narrowConvolutionGeometry } from "../../../../backends/wasm/kernels/Conv2D.ts";
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
const cases = geometries(rng, 16).map((g, i) => {
  const inChannels = i < 8 ? [16, 20, 64][i % 3] : rng.pick([3, 4, 8, 64]);
  // Every channel count of the narrow path (1-8), then wider ones.
  const outChannels = i < 8 ? i + 1 : rng.pick([12, 16]);
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

Deno.test("the narrow convolution takes 16+ input channels in 4s and at most 8 output channels without dilation, and nothing else", () => {
  const info = (shape: number[]): TensorInfo => ({
    dataId: {},
    shape,
    dtype: "float32",
  });
  const x = info([2, 9, 9, 64]);
  const filter = (inChannels: number, outChannels: number) =>
    info([3, 3, inChannels, outChannels]);
  const attrs = { strides: 1, pad: "same", dilations: 1 } as never;
  assert.ok(narrowConvolutionGeometry(x, filter(64, 8), attrs));
  assert.ok(narrowConvolutionGeometry(x, filter(64, 1), attrs));
  assert.equal(narrowConvolutionGeometry(x, filter(64, 9), attrs), undefined);
  assert.equal(
    narrowConvolutionGeometry(info([2, 9, 9, 18]), filter(18, 4), attrs),
    undefined,
  );
  assert.equal(
    narrowConvolutionGeometry(info([2, 9, 9, 8]), filter(8, 4), attrs),
    undefined,
  );
  assert.equal(
    narrowConvolutionGeometry(x, filter(64, 8), {
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
