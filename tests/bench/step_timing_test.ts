import assert from "node:assert/strict";
import { initEngine } from "../../backends/engine.ts";
import { timeModel } from "../../bench/_step_timing.ts";

await initEngine({ threads: 2 });

Deno.test("timeModel() times only the timed steps and, asked for a memory check, reads RSS from step 100 to the last", () => {
  const timing = timeModel(
    "vae-small",
    { warmup: 2, timed: 3, memorySteps: 110 },
    16,
    0,
  );
  assert.equal(timing.stepsMs.length, 3);
  // Times and memory sizes have no value to expect, only a sign and order.
  assert.ok(timing.stepsMs.every((ms) => ms > 0));
  const memory = timing.memory!;
  assert.equal(memory.steps, 110);
  assert.ok(memory.baseline > 0 && memory.last > 0);
  assert.ok(memory.peak >= Math.max(memory.baseline, memory.last));
  // Live tensors do not pile up between steps.
  assert.equal(timing.tensors[0], timing.tensors[1]);
  const plain = timeModel("vae-small", { warmup: 1, timed: 2 }, 16, 0);
  assert.equal(plain.memory, undefined);
});
