/**
 * Training: the loop that takes any model fulfilling the models' contract
 * (`@genwasm/models`) through its steps with one Adam per variable group,
 * an EMA of the weights, gradient clipping and learning-rate schedules; run
 * folders that never lose work (atomic checkpoints in safetensors, resume,
 * one writer at a time); progress, metrics logs and loss plots.
 *
 * @example Tensors through the safetensors format, as checkpoints store them
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeSafetensors, encodeSafetensors } from "./mod.ts";
 * const bytes = encodeSafetensors(
 *   new Map([["w", { dtype: "F32", shape: [2], data: new Float32Array([1, 2]) }]]),
 * );
 * const { tensors } = decodeSafetensors(bytes, "example");
 * assert.deepEqual(tensors.get("w")?.shape, [2]);
 * ```
 *
 * @module
 */
export * from "./checkpoint.ts";
export * from "./clip.ts";
export * from "./ema.ts";
export * from "./fused_adam.ts";
export * from "./loss_plot.ts";
export * from "./metrics_log.ts";
export * from "./optimizer_state.ts";
export * from "./progress.ts";
export * from "./run_folder.ts";
export * from "./safetensors.ts";
export * from "./schedule.ts";
export * from "./step.ts";
export * from "./trainer.ts";
