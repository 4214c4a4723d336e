/**
 * OneHot on wasm: the stock kernel ignores `dtype` and writes int32 bit
 * patterns into float32 tensors; genwasm's honours dtype and on/off values.
 */
import { tf } from "../../../../backends/tf.ts";
import { initEngine, wasmKernelConfigs } from "../../../../backends/mod.ts";
import {
  assertBackendsAgree,
  assertGenwasmKernel,
  quietCpuBackend,
  Rng,
} from "../../../_helpers.ts";

await initEngine({ threads: 2 });
quietCpuBackend();

Deno.test("OneHot registered for wasm is genwasm's", () => {
  assertGenwasmKernel(wasmKernelConfigs, "OneHot");
});

Deno.test("oneHot matches the cpu backend for float32 and int32, any on/off values", async () => {
  const rng = new Rng(11);
  for (
    const [depth, on, off, dtype] of [
      [10, 1, 0, "float32"],
      [4, 0.9, 0.05, "float32"],
      [7, 3, -2, "int32"],
      [5, 1, 0, "int32"],
    ] as const
  ) {
    // Indices include out-of-range values, which give an all-off row.
    const indices = rng.ints(9, -1, depth);
    await assertBackendsAgree(
      () =>
        tf.cast(
          tf.oneHot(tf.tensor1d(indices, "int32"), depth, on, off, dtype),
          "float32",
        ),
      [`oneHot depth ${depth} on ${on} off ${off} ${dtype}`],
    );
  }
});
