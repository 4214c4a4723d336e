/**
 * genwasm's kernel pool: every thread runs its part of a job once, on the
 * shared heap, and a worker's failure reaches the caller with its message.
 */
import assert from "node:assert/strict";
import { KernelPool } from "../../../backends/wasm/simd/pool.ts";
import { compileWat } from "../../../backends/wasm/simd/wat.ts";

Deno.test("KernelPool runs each part of a job once and reports a worker's failure", async () => {
  const cacheDir = await Deno.makeTempDir({ prefix: "genwasm_pool_" });
  // A module that only hands the heap back to the task.
  const wasm = await compileWat(
    '(module (import "env" "memory" (memory 1 16 shared)) (export "memory" (memory 0)))',
    false,
  );
  assert.ok(wasm);
  const memory = new WebAssembly.Memory({
    initial: 1,
    maximum: 16,
    shared: true,
  });
  const pool = await KernelPool.start(
    wasm,
    memory,
    [function addToOwnSlot(kernels, job, part) {
      if (job[1] === part) throw new Error(`part ${part} refused`);
      const heap = new Int32Array(
        (kernels.memory as WebAssembly.Memory).buffer,
      );
      Atomics.add(heap, part, job[0]);
    }],
    3,
    cacheDir,
  );
  const heap = new Int32Array(memory.buffer);
  try {
    assert.equal(pool.threads, 3);
    pool.run(0, [5, -1]);
    pool.run(0, [2, -1]);
    assert.deepEqual([...heap.subarray(0, 4)], [7, 7, 7, 0]);
    assert.throws(
      () => pool.run(0, [1, 2]),
      /a kernel worker failed on its part of the job: Error: part 2 refused/,
    );
    // Still working after a failure, and no stale message.
    pool.run(0, [1, -1]);
    assert.deepEqual([...heap.subarray(0, 4)], [9, 9, 8, 0]);
  } finally {
    pool.close();
    await Deno.remove(cacheDir, { recursive: true });
  }
});
