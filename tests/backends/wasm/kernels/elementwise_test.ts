/**
 * LeakyRelu, Greater and Select on wasm (genwasm's threaded SIMD kernels
 * where the sizes are in 16s and shapes match or the comparison is with a
 * scalar; stock otherwise) against the cpu backend, with LeakyReLU's
 * gradient, on sizes that split unevenly between the threads.
 */
import { tf } from "../../../../backends/tf.ts";
import { initEngine } from "../../../../backends/engine.ts";
import { wasmKernelConfigs } from "../../../../backends/wasm/register_kernels.ts";
import {
  assertBackendsAgree,
  assertGenwasmKernel,
  quietCpuBackend,
  Rng,
} from "../../../_helpers.ts";

await initEngine({ threads: 2 });
quietCpuBackend();

Deno.test("LeakyRelu, Greater and Select are genwasm's kernels on wasm", () => {
  for (const name of [tf.LeakyRelu, tf.Greater, tf.Select]) {
    assertGenwasmKernel(wasmKernelConfigs, name);
  }
});

// 16 x 5 chunks (uneven across 2 threads), a large activation, and sizes
// that are not in 16s (the stock kernels).
const shapes = [[5, 4, 4], [64, 14, 14, 64], [3, 7], [2, 9, 9, 3]];

Deno.test("leaky ReLU and its gradient match the cpu backend", async (t) => {
  const rng = new Rng(3);
  for (const shape of shapes) {
    for (const alpha of [0.2, 0, 1, 1.5]) {
      const size = shape.reduce((a, b) => a * b, 1);
      const x = rng.uniform(size, -2, 2);
      // Exact zeros: the gradient's mask is x > 0.
      for (let i = 0; i < size; i += 7) x[i] = 0;
      const dy = rng.uniform(size);
      await t.step(`${shape}, alpha ${alpha}`, async () => {
        await assertBackendsAgree(
          () => {
            const xt = tf.tensor(x, shape);
            return [
              tf.leakyRelu(xt, alpha),
              tf.grad((v) => tf.leakyRelu(v, alpha))(xt, tf.tensor(dy, shape)),
            ];
          },
          ["leakyRelu", "gradient"],
          // alpha x rounds in float32 here, in float64 on cpu.
          1e-7,
        );
      });
    }
  }
});

Deno.test("greater and where match the cpu backend, with scalars and broadcasting", async (t) => {
  const rng = new Rng(4);
  for (const shape of shapes) {
    const size = shape.reduce((a, b) => a * b, 1);
    const a = rng.uniform(size), b = rng.uniform(size), c = rng.uniform(size);
    a[1] = 0.25; // equal to the threshold: not greater
    await t.step(`${shape}`, async () => {
      await assertBackendsAgree(() => {
        const [at, bt, ct] = [a, b, c].map((v) => tf.tensor(v, shape));
        const row = tf.tensor(c.slice(0, shape.at(-1)!));
        return [
          tf.cast(tf.greater(at, 0.25), "float32"),
          tf.cast(tf.greater(at, bt), "float32"),
          tf.cast(tf.greater(0.25, at), "float32"),
          tf.where(tf.greater(at, 0), bt, ct),
          tf.where(tf.greater(at, bt), ct, row),
        ];
      }, [
        "a > scalar",
        "a > b",
        "scalar > a",
        "where(same shapes)",
        "where(broadcast row)",
      ], 0);
    });
  }
});
