/**
 * ResizeNearestNeighbor and its gradient on wasm (genwasm's threaded SIMD
 * kernels for exact 2x upsampling, stock otherwise): the upsampling
 * against the cpu backend, including the stock cases (channels not in 4s,
 * 3x, aligned corners, half-pixel centres); the 2x gradient against its
 * definition (the sum of each 2x2 block of dy), since tfjs-backend-cpu
 * 4.22's gradient disagrees with the definition on batches of more than
 * one image (checked by hand: a 3x7x7x8 batch, max error 8.7).
 */
import { tf } from "../../../../backends/tf.ts";
import { initEngine } from "../../../../backends/engine.ts";
import { wasmKernelConfigs } from "../../../../backends/wasm/register_kernels.ts";
import {
  assertBackendsAgree,
  assertClose,
  assertGenwasmKernel,
  quietCpuBackend,
  Rng,
} from "../../../_helpers.ts";

await initEngine({ threads: 2 });
quietCpuBackend();

Deno.test("ResizeNearestNeighbor and its gradient are genwasm's kernels on wasm", () => {
  assertGenwasmKernel(wasmKernelConfigs, tf.ResizeNearestNeighbor);
  assertGenwasmKernel(wasmKernelConfigs, tf.ResizeNearestNeighborGrad);
});

Deno.test("nearest-neighbour upsampling matches the cpu backend", async (t) => {
  const rng = new Rng(11);
  const cases: [number[], number, boolean, boolean][] = [
    // [x shape, scale, alignCorners, halfPixelCenters]
    [[3, 7, 7, 8], 2, false, false],
    [[2, 5, 3, 4], 2, false, false],
    [[2, 5, 3, 6], 2, false, false],
    [[2, 4, 4, 4], 3, false, false],
    [[2, 4, 4, 4], 2, true, false],
    [[2, 4, 4, 4], 2, false, true],
  ];
  for (const [shape, scale, alignCorners, halfPixelCenters] of cases) {
    const [n, h, w, c] = shape;
    const x = rng.uniform(n * h * w * c);
    const name = `${shape} x${scale}${alignCorners ? ", aligned corners" : ""}${
      halfPixelCenters ? ", half-pixel centres" : ""
    }`;
    await t.step(name, async () => {
      await assertBackendsAgree(
        () => [
          tf.image.resizeNearestNeighbor(
            tf.tensor4d(x, [n, h, w, c]),
            [scale * h, scale * w],
            alignCorners,
            halfPixelCenters,
          ),
        ],
        ["upsampled"],
        0,
      );
    });
  }
});

Deno.test("the 2x upsampling's gradient sums each 2x2 block of dy", async (t) => {
  const rng = new Rng(12);
  for (
    const shape of [[3, 7, 7, 8], [2, 5, 3, 4], [64, 14, 14, 64], [2, 5, 3, 6]]
  ) {
    const [n, h, w, c] = shape;
    const dy = rng.uniform(n * 2 * h * 2 * w * c);
    await t.step(`${shape}`, () => {
      const expected = new Float64Array(n * h * w * c);
      for (let b = 0; b < n; b++) {
        for (let i = 0; i < 2 * h; i++) {
          for (let j = 0; j < 2 * w; j++) {
            for (let k = 0; k < c; k++) {
              expected[((b * h + (i >> 1)) * w + (j >> 1)) * c + k] +=
                dy[((b * 2 * h + i) * 2 * w + j) * c + k];
            }
          }
        }
      }
      const dx = tf.tidy(() =>
        tf.grad((v) =>
          tf.image.resizeNearestNeighbor(v as tf.Tensor4D, [2 * h, 2 * w])
        )(tf.zeros([n, h, w, c]), tf.tensor4d(dy, [n, 2 * h, 2 * w, c]))
          .dataSync()
      );
      assertClose(dx, expected, 1e-6, "gradient");
    });
  }
});
