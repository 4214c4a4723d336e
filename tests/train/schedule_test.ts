import assert from "node:assert/strict";
import { learningRateAt } from "../../train/schedule.ts";

const close = (a: number, b: number) =>
  assert.ok(Math.abs(a - b) < 1e-12, `${a} != ${b}`);

Deno.test("learningRateAt() warms up linearly, then follows the schedule to the last step", () => {
  const base = { base: 0.01, warmupSteps: 4, totalSteps: 14 };
  close(learningRateAt(0, { ...base, schedule: "constant" }), 0.0025);
  close(learningRateAt(3, { ...base, schedule: "constant" }), 0.01);
  close(learningRateAt(13, { ...base, schedule: "constant" }), 0.01);
  // cosine: 0.5 (1 + cos(pi * (step - 4) / 9))
  close(learningRateAt(4, { ...base, schedule: "cosine" }), 0.01);
  close(
    learningRateAt(7, { ...base, schedule: "cosine" }),
    0.01 * 0.5 * (1 + Math.cos(Math.PI / 3)),
  );
  close(learningRateAt(13, { ...base, schedule: "cosine" }), 0);
  close(
    learningRateAt(13, { ...base, schedule: "cosine", minRatio: 0.1 }),
    0.001,
  );
  close(
    learningRateAt(10, { ...base, schedule: "linear" }),
    0.01 * (1 - 6 / 9),
  );
});
