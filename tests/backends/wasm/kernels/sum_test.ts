/**
 * Sum and Mean on wasm against the tfjs cpu backend over random shapes and axis sets
 * (outer, middle, mixed and innermost axes; keepDims; sides of 1), the
 * gradients that reach it, and int32 (stock kernel).
 */
import { tf } from "../../../../backends/tf.ts";
import { initEngine } from "../../../../backends/engine.ts";
import { wasmKernelConfigs } from "../../../../backends/wasm/register_kernels.ts";
import {
  assertBackendsAgree,
  assertGenwasmKernel,
  quietCpuBackend,
  Rng,
  sizeOf,
} from "../../../_helpers.ts";

await initEngine({ threads: 2 });
quietCpuBackend();

const rng = new Rng(20261127);

Deno.test("Sum and Mean are genwasm's kernels on wasm", () => {
  assertGenwasmKernel(wasmKernelConfigs, "Sum");
  assertGenwasmKernel(wasmKernelConfigs, "Mean");
});

Deno.test("sum matches the cpu backend over random axis sets", async (t) => {
  for (let i = 0; i < 30; i++) {
    const rank = 1 + (i % 5);
    const shape = Array.from({ length: rank }, () => rng.int(1, 7));
    const axes = shape.map((_, d) => d).filter(() => rng.next() < 0.5);
    if (axes.length === 0) axes.push(rng.int(0, rank - 1));
    const keepDims = rng.next() < 0.5;
    const values = rng.uniform(sizeOf(shape));
    // One upstream gradient value per output number: each gradient is then
    // them spread back over the summed axes, so a spread along the wrong
    // axes shows (a constant upstream gradient gave a constant gradient).
    const reducedShape = shape.filter((_, d) => !axes.includes(d));
    const dy = rng.uniform(sizeOf(reducedShape));
    await t.step(
      `${shape} over ${axes}${keepDims ? " keepDims" : ""}`,
      async () => {
        await assertBackendsAgree(() => {
          const x = tf.tensor(values, shape);
          const y = tf.sum(x, axes, keepDims);
          const upstream = tf.tensor(dy, reducedShape);
          const dx = tf.grad((v) => tf.sum(v, axes))(x, upstream);
          const ints = tf.sum(tf.cast(tf.mul(x, 10), "int32"), axes, keepDims);
          const mean = tf.mean(x, axes, keepDims);
          const dMean = tf.grad((v) => tf.mean(v, axes))(x, upstream);
          return [y, dx, tf.cast(ints, "float32"), mean, dMean];
        }, ["sum", "gradient", "int32 sum", "mean", "mean's gradient"]);
      },
    );
  }
});

Deno.test("sum over the batch and pixels of an NHWC tensor (a bias gradient) matches the cpu backend", async () => {
  const shape = [16, 14, 14, 24];
  const values = rng.uniform(sizeOf(shape));
  await assertBackendsAgree(() => {
    const x = tf.tensor(values, shape);
    const grouped = tf.reshape(x, [16, 196, 4, 6]);
    return [
      tf.sum(x, [0, 1, 2]),
      tf.sum(grouped, [1, 3], true),
      tf.moments(x, [0, 1, 2]).mean,
      tf.moments(x, [0, 1, 2]).variance,
    ];
  }, ["bias gradient", "group statistics", "batch mean", "batch variance"]);
});

Deno.test("sums over leading axes on the SIMD kernels (calling thread and pool) match the cpu backend", async (t) => {
  // x as [rows, cols]: columns not in 4s, rows that split unevenly, a
  // single row per thread, and a size below the pool's threshold.
  const cases: [number[], number[]][] = [
    [[64, 14, 14, 64], [0, 1, 2]],
    [[211, 163], [0]],
    [[5, 7001], [0]],
    [[7, 40001], [0]],
    [[12544, 4], [0]],
    [[65537, 4], [0]],
    [[3, 1, 11001, 3], [0, 1, 2]],
    [[2, 30001], [0]],
    [[9, 13], [0]],
  ];
  for (const [shape, axes] of cases) {
    const values = rng.uniform(sizeOf(shape), -1, 1);
    await t.step(`${shape} over ${axes}`, async () => {
      await assertBackendsAgree(
        () => {
          const x = tf.tensor(values, shape);
          return [tf.sum(x, axes), tf.mean(x, axes, true)];
        },
        ["sum", "mean"],
        1e-6,
      );
    });
  }
});
