/** bench:winograd's comparison of two loss curves, on hand-made curves. */
import assert from "node:assert/strict";
import {
  largestRelativeDifference,
  lateMeans,
} from "../../bench/winograd_losses.ts";

const direct = new Map<string, [number, number][]>([
  ["loss", [[10, 2], [20, 1], [30, 0.5], [40, 0.25]]],
]);
const other = new Map<string, [number, number][]>([
  ["loss", [[10, 2.002], [20, 1], [30, 0.75], [40, 0.25]]],
]);

Deno.test("largestRelativeDifference takes |a - b| / |b| over the steps asked for", () => {
  assert.equal(largestRelativeDifference(other, direct), 0.5);
  assert.ok(
    Math.abs(largestRelativeDifference(other, direct, 20) - 1e-3) < 1e-12,
  );
  // Curves of different lengths or phases cannot be compared.
  const short = new Map([["loss", direct.get("loss")!.slice(1)]]);
  assert.equal(largestRelativeDifference(short, direct), Infinity);
});

Deno.test("lateMeans averages each phase after the step given", () => {
  assert.equal(lateMeans(direct, 20), "loss 0.3750");
  assert.equal(lateMeans(other, 10), "loss 0.6667");
});
