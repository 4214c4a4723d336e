/**
 * Learning-rate schedules: a linear warm-up from 0, then constant, cosine or
 * linear decay to `minRatio` of the base rate at the last step.
 *
 * @module
 */

import type { ScheduleName } from "@genwasm/models/contract";

export { type ScheduleName, SCHEDULES } from "@genwasm/models/contract";

/** Settings of {@link learningRateAt}. */
export interface ScheduleOptions {
  /** Peak rate, reached at the end of warm-up. */
  base: number;
  /** Steps of linear warm-up (0: none). */
  warmupSteps: number;
  /** Steps in the whole run. */
  totalSteps: number;
  schedule: ScheduleName;
  /** Final rate as a fraction of `base` for the decaying schedules; default 0. */
  minRatio?: number;
}

/**
 * The learning rate for `step` (counted from 0).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { learningRateAt } from "./schedule.ts";
 * const schedule = { base: 1e-3, warmupSteps: 10, totalSteps: 100, schedule: "cosine" } as const;
 * assert.equal(learningRateAt(0, schedule), 1e-4); // first warm-up step
 * assert.equal(learningRateAt(10, schedule), 1e-3); // the peak
 * ```
 */
export function learningRateAt(
  step: number,
  { base, warmupSteps, totalSteps, schedule, minRatio = 0 }: ScheduleOptions,
): number {
  if (step < warmupSteps) return (base * (step + 1)) / warmupSteps;
  if (schedule === "constant") return base;
  const span = Math.max(1, totalSteps - warmupSteps - 1);
  const progress = Math.min(1, (step - warmupSteps) / span);
  const decay = schedule === "cosine"
    ? 0.5 * (1 + Math.cos(Math.PI * progress))
    : 1 - progress;
  return base * (minRatio + (1 - minRatio) * decay);
}
