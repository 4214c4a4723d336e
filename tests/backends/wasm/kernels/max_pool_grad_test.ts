/**
 * MaxPoolGrad on wasm (the gradient of tf.maxPool) against the tfjs cpu
 * backend. tfjs-backend-wasm's stock kernel is wrong once batch > 1 or
 * channels > 1, so every case here has both.
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

interface PoolCase extends Geometry {
  xShape: Shape4;
  yShape: Shape4;
  x: Float32Array;
  dy: Float32Array;
  name: string;
}

function poolCase(rng: Rng, g: Geometry, x?: Float32Array): PoolCase {
  const channels = rng.pick([2, 3, 5, 7]);
  const xShape: Shape4 = [g.batch, g.height, g.width, channels];
  const yShape = tf.backend_util.computePool2DInfo(
    xShape,
    [g.kh, g.kw],
    [g.sh, g.sw],
    1,
    g.pad,
  ).outShape;
  return {
    ...g,
    xShape,
    yShape,
    x: x ?? rng.uniform(sizeOf(xShape)),
    dy: rng.uniform(sizeOf(yShape)),
    name: `${geometryText(g)} c${channels}`,
  };
}

const rng = new Rng(4242);
// Batch 2..8 so that every case has batch > 1 and channels > 1; plus the
// 2x2 stride-2 pool models use most.
const shapes = [
  ...geometries(rng, 14, 8).map((g) => ({
    ...g,
    batch: Math.max(2, g.batch),
  })),
  ...[3, 5].map((batch) => ({
    batch,
    height: rng.int(4, 9),
    width: rng.int(4, 9),
    kh: 2,
    kw: 2,
    sh: 2,
    sw: 2,
    pad: rng.pick(["same", "valid"] as const),
  })),
];
const cases = shapes.map((g) => poolCase(rng, g));

// Inputs with many exact ties: relu of values drawn from {-1, -0.5, 0, 0.5, 1}
// (about half the window is 0, as after a relu layer).
const tieCases = geometries(new Rng(99), 8, 4).map((g) => {
  const c = poolCase(rng, { ...g, batch: Math.max(2, g.batch) });
  const x = c.x.map((v) => Math.max(0, Math.round(v * 2) / 2));
  return { ...c, x, name: `${c.name} relu-ties` };
});

Deno.test("MaxPoolGrad is genwasm's kernel on wasm", () => {
  assertGenwasmKernel(wasmKernelConfigs, "MaxPoolGrad");
});

function maxPoolGradient(c: PoolCase): tf.Tensor {
  const x = tf.tensor4d(c.x, c.xShape);
  const dy = tf.tensor4d(c.dy, c.yShape);
  return tf.grad((x) =>
    tf.maxPool(x as tf.Tensor4D, [c.kh, c.kw], [c.sh, c.sw], c.pad)
  )(x, dy);
}

Deno.test("maxPoolGrad matches the cpu backend on random shapes", async (t) => {
  for (const c of cases) {
    await t.step(c.name, async () => {
      await assertBackendsAgree(() => maxPoolGradient(c), ["maxPool dx"]);
    });
  }
});

Deno.test("maxPoolGrad breaks ties like the cpu backend (first maximum in the window)", async (t) => {
  for (const c of tieCases) {
    await t.step(c.name, async () => {
      await assertBackendsAgree(() => maxPoolGradient(c), ["maxPool dx"]);
    });
  }
});
