/**
 * genwasm's kernel pool: every thread runs its part of a job once, on the
 * shared heap, and a worker's failure reaches the caller with its message;
 * every thread, the caller's included, runs tasks from their source text
 * alone, and every registered task does.
 */
import assert from "node:assert/strict";
import {
  KernelPool,
  MAX_JOB,
  poolTask,
  taskFromSource,
} from "../../../backends/wasm/simd/pool.ts";
import { POOL_TASKS } from "../../../backends/wasm/simd/kernels.ts";
import { buildSimdKernels } from "../../../backends/wasm/simd/node_kernels.ts";
import { defaultCacheDir } from "../../../backends/wasm/_loader.ts";
import { compileWat } from "../../../backends/wasm/simd/assemble.ts";
import { nodeWorkers } from "../../../backends/wasm/simd/node_workers.ts";

/** Adds `amount` to the heap's int `part`; part `refusingPart` throws instead. */
const addToOwnSlot = poolTask(
  ["amount", "refusingPart"],
  (kernels, job, part) => {
    if (job.refusingPart === part) throw new Error(`part ${part} refused`);
    const heap = new Int32Array((kernels.memory as WebAssembly.Memory).buffer);
    Atomics.add(heap, part, job.amount);
  },
);

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
    [addToOwnSlot],
    3,
    nodeWorkers(cacheDir),
  );
  const heap = new Int32Array(memory.buffer);
  try {
    assert.equal(pool.threads, 3);
    pool.run(addToOwnSlot, { amount: 5, refusingPart: -1 });
    pool.run(addToOwnSlot, { amount: 2, refusingPart: -1 });
    assert.deepEqual([...heap.subarray(0, 4)], [7, 7, 7, 0]);
    assert.throws(
      () => pool.run(addToOwnSlot, { amount: 1, refusingPart: 2 }),
      /a kernel worker failed on its part of the job: Error: part 2 refused/,
    );
    // Still working after a failure, and no stale message.
    pool.run(addToOwnSlot, { amount: 1, refusingPart: -1 });
    assert.deepEqual([...heap.subarray(0, 4)], [9, 9, 8, 0]);
  } finally {
    pool.close();
    await Deno.remove(cacheDir, { recursive: true });
  }
});

/** A module-level name: a task that reads it cannot run from its source. */
const OUTSIDE = 3;

Deno.test("KernelPool runs a task from its source text alone on the calling thread too: one that reaches outside itself fails there", async () => {
  const wasm = await compileWat(
    '(module (import "env" "memory" (memory 1)) (export "memory" (memory 0)))',
    false,
  );
  assert.ok(wasm);
  const reachesOut = poolTask(["index"], (kernels, job) => {
    new Int32Array((kernels.memory as WebAssembly.Memory).buffer)[job.index] =
      OUTSIDE;
  });
  const selfContained = poolTask(["index"], (kernels, job) => {
    new Int32Array((kernels.memory as WebAssembly.Memory).buffer)[job.index] =
      3;
  });
  const memory = new WebAssembly.Memory({ initial: 1 });
  const pool = await KernelPool.start(
    wasm,
    memory,
    [reachesOut, selfContained],
    1,
    nodeWorkers(defaultCacheDir()),
  );
  try {
    assert.throws(
      () => pool.run(reachesOut, { index: 1 }),
      /OUTSIDE is not defined/,
    );
    pool.run(selfContained, { index: 1 });
    assert.equal(new Int32Array(memory.buffer)[1], 3);
    assert.throws(
      () => pool.run(poolTask(["index"], () => {}), { index: 0 }),
      /task with fields index is not in the pool/,
    );
  } finally {
    pool.close();
  }
});

Deno.test("every task in POOL_TASKS runs from its source text alone on every thread (an all-zero job runs each task's setup)", async () => {
  const memory = new WebAssembly.Memory({
    initial: 4,
    maximum: 16,
    shared: true,
  });
  const kernels = await buildSimdKernels(memory, 3, defaultCacheDir());
  assert.ok(kernels, "the kernels must build where SIMD runs");
  try {
    for (const task of POOL_TASKS) {
      const zeros = Object.fromEntries(task.fields.map((field) => [field, 0]));
      kernels.pool.run(task, zeros);
      assert.deepEqual(taskFromSource(task).fields, task.fields);
    }
  } finally {
    kernels.pool.close();
  }
});

Deno.test("poolTask refuses a job longer than the control block holds", () => {
  const fields = Array.from({ length: MAX_JOB }, (_, i) => `f${i}`);
  assert.throws(() => poolTask(fields, () => {}), /a job of 29 > 28 fields/);
});
