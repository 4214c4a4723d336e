/**
 * DepthwiseConv2dNativeBackpropInput and DepthwiseConv2dNativeBackpropFilter
 * on wasm (the gradients of tf.depthwiseConv2d) against the tfjs cpu backend,
 * for channel multipliers 1 and 2.
 */
import { tf } from "../../../../backends/tf.ts";
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

interface DepthwiseCase extends Geometry {
  xShape: Shape4;
  filterShape: Shape4;
  yShape: Shape4;
  x: Float32Array;
  filter: Float32Array;
  dy: Float32Array;
  name: string;
}

const rng = new Rng(8086);
const cases: DepthwiseCase[] = [1, 2].flatMap((multiplier) =>
  geometries(rng, 13).map((g) => {
    const channels = rng.pick([1, 3, 5, 7]);
    const xShape: Shape4 = [g.batch, g.height, g.width, channels];
    const filterShape: Shape4 = [g.kh, g.kw, channels, multiplier];
    const yShape = tf.backend_util.computeConv2DInfo(
      xShape,
      filterShape,
      [g.sh, g.sw],
      1,
      g.pad,
      undefined,
      true,
    ).outShape;
    return {
      ...g,
      xShape,
      filterShape,
      yShape,
      x: rng.uniform(sizeOf(xShape)),
      filter: rng.uniform(sizeOf(filterShape)),
      dy: rng.uniform(sizeOf(yShape)),
      name: `${geometryText(g)} c${channels} multiplier ${multiplier}`,
    };
  })
);

Deno.test("DepthwiseConv2dNativeBackpropInput and ...BackpropFilter are genwasm's kernels on wasm", () => {
  assertGenwasmKernel(wasmKernelConfigs, "DepthwiseConv2dNativeBackpropInput");
  assertGenwasmKernel(wasmKernelConfigs, "DepthwiseConv2dNativeBackpropFilter");
});

function depthwiseGrads(c: DepthwiseCase): tf.Tensor[] {
  const x = tf.tensor4d(c.x, c.xShape);
  const filter = tf.tensor4d(c.filter, c.filterShape);
  const dy = tf.tensor4d(c.dy, c.yShape);
  return tf.grads((x, w) =>
    tf.depthwiseConv2d(
      x as tf.Tensor4D,
      w as tf.Tensor4D,
      [c.sh, c.sw],
      c.pad,
    )
  )([x, filter], dy);
}

Deno.test("depthwiseConv2dNativeBackpropInput matches the cpu backend on random shapes", async (t) => {
  for (const c of cases) {
    await t.step(c.name, async () => {
      await assertBackendsAgree(
        () => depthwiseGrads(c)[0],
        ["depthwiseConv2d dx"],
      );
    });
  }
});

Deno.test("depthwiseConv2dNativeBackpropFilter matches the cpu backend on random shapes", async (t) => {
  for (const c of cases) {
    await t.step(c.name, async () => {
      await assertBackendsAgree(
        () => depthwiseGrads(c)[1],
        ["depthwiseConv2d dW"],
      );
    });
  }
});
