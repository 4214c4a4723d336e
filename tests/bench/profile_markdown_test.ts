/**
 * bench/PROFILE.md's text from a made-up report: the ceiling, the summary
 * with the time outside kernels, each model's kernels and shapes, and the
 * rows of models that did not run.
 */
import assert from "node:assert/strict";
import {
  aggregateProfiles,
  type KernelRecord,
  type ModelProfile,
} from "../../bench/_kernel_profile.ts";
import {
  ceilingTable,
  type ProfileReport,
  renderProfile,
  shapeTable,
} from "../../bench/_profile_markdown.ts";
import type { Ceiling } from "../../bench/_ceiling.ts";

const conv: KernelRecord = {
  name: "Conv2D",
  inputShapes: [[64, 28, 28, 64], [3, 3, 64, 64]],
  outputShapes: [[64, 28, 28, 64]],
  kernelTimeMs: 80,
};
const add: KernelRecord = {
  name: "Add",
  inputShapes: [[64, 28, 28, 64], [64, 28, 28, 64]],
  outputShapes: [[64, 28, 28, 64]],
  kernelTimeMs: 10,
};
/** 2 * 64 * 28 * 28 * 64 * 9 * 64 FLOPs: 3.70 GFLOP. */
const convGflop = 2 * 64 * 28 * 28 * 64 * 9 * 64 / 1e9;

function profile(threads: number, wallMs: number): ModelProfile {
  return {
    model: "ddpm",
    threads,
    parameters: 1000,
    wallMs,
    stepsMs: [wallMs, wallMs, wallMs],
    profiledWallMs: wallMs + 5,
    ...aggregateProfiles([[conv, add], [conv, add]]),
  };
}

const ceilings: Ceiling[] = [
  { fused: true, threads: 1, gflops: 40 },
  { fused: false, threads: 1, gflops: 30 },
  { fused: true, threads: 2, gflops: 70 },
  { fused: false, threads: 2, gflops: 55 },
];

function report(loadBefore: number): ProfileReport {
  return {
    machine: {
      cpuModel: "Test CPU",
      cores: 2,
      deno: "2.9.6",
      v8: "15.0",
      os: "linux",
    },
    date: new Date("2026-01-02T03:04:05Z"),
    loadBefore,
    loadAfter: 1.25,
    counts: { warmup: 5, timed: 10, profiled: 5 },
    batchSize: 64,
    ceilings,
    models: ["ddpm", "flow", "gan"],
    threads: [1, 2],
    results: {
      ddpm: { 1: profile(1, 100), 2: profile(2, 95) },
      flow: {
        1: { model: "flow", failed: "out of memory" },
        2: { model: "flow", missing: true },
      },
    },
  };
}

/** The Markdown table row whose first cells are `first`. */
function row(text: string, ...first: string[]): string[] {
  const line = text.split("\n").find((candidate) =>
    candidate.startsWith(`| ${first.join(" | ")} |`)
  );
  assert.ok(line, `no row starting ${first.join(" | ")} in:\n${text}`);
  return line.split("|").slice(1, -1).map((cell) => cell.trim());
}

Deno.test("ceilingTable() shows one thread, the pool and the ideal per loop", () => {
  const text = ceilingTable(ceilings, [1, 2]);
  assert.deepEqual(row(text, "f32x4.relaxed_madd"), [
    "f32x4.relaxed_madd",
    "40.0",
    "70.0",
    "80.0",
  ]);
  assert.deepEqual(row(text, "f32x4.mul + f32x4.add").slice(1), [
    "30.0",
    "55.0",
    "60.0",
  ]);
});

Deno.test("renderProfile() summarises each model and thread count: wall, kernels, outside, GFLOPS against the ceiling", () => {
  const text = renderProfile(report(0.1));
  // Kernels: (80 + 10) ms per step; outside: 100 - 90, and 105 - 90 in the
  // profiled steps; 3.70 GFLOP in 100 ms.
  assert.deepEqual(row(text, "ddpm", "1"), [
    "ddpm",
    "1",
    "100",
    "90.0",
    "10.0",
    "15.0",
    "3.70",
    "37.0",
    "40.0",
    "92%",
    "Conv2D 89%, Add 11%",
  ]);
  // At 2 threads the ceiling is 2 x 40 GFLOPS (the ideal), not the pool's 70.
  assert.deepEqual(row(text, "ddpm", "2").slice(2, 10), [
    "95.0",
    "90.0",
    "5.00",
    "10.0",
    "3.70",
    "38.9",
    "80.0",
    "49%",
  ]);
  assert.equal(row(text, "flow", "1").at(-1), "failed: out of memory");
  assert.equal(row(text, "flow", "2").at(-1), "not built yet");
  assert.equal(row(text, "gan", "1").at(-1), "not run");
  assert.match(text, /^# genwasm: where a training step's time goes/);
  assert.match(text, /load average: 0\.10 before, 1\.25 after/);
  assert.doesNotMatch(text, /Other processes were busy/);
  assert.match(renderProfile(report(1.5)), /Other processes were busy/);
});

Deno.test("renderProfile() lists each model's kernels by time with calls and GFLOPS per step", () => {
  const text = renderProfile(report(0.1));
  assert.match(text, /### ddpm, 1 thread\n/);
  assert.match(text, /### ddpm, 2 threads\n/);
  assert.match(
    text,
    /Wall 100 ms per step \(median of 3\), kernels 90\.0 ms \(mean of 2 profiled steps\), outside kernels 10\.0 ms \(10% of the wall; in the profiled steps 15\.0 ms of a 105 ms wall\)/,
  );
  assert.match(text, /### flow, 1 thread\n\nfailed: out of memory/);
  const kernels = text.slice(text.indexOf("### ddpm, 1 thread"));
  assert.deepEqual(row(kernels, "Conv2D"), [
    "Conv2D",
    "80.00",
    "89%",
    "1.00",
    convGflop.toFixed(2),
    (convGflop / 80 * 1e3).toFixed(1),
  ]);
  assert.deepEqual(row(kernels, "Add"), [
    "Add",
    "10.00",
    "11%",
    "1.00",
    "—",
    "—",
  ]);
  assert.ok(kernels.indexOf("| Conv2D |") < kernels.indexOf("| Add |"));
});

Deno.test("shapeTable() names the inputs, the output, ms per call and the share of the ceiling", () => {
  const text = shapeTable(profile(1, 100), 100);
  const gflops = convGflop / 80 * 1e3;
  assert.deepEqual(row(text, "Conv2D"), [
    "Conv2D",
    "64x28x28x64, 3x3x64x64 -> 64x28x28x64",
    "1.00",
    "80.00",
    "80.0",
    gflops.toFixed(1),
    `${gflops.toFixed(0)}%`,
  ]);
  // Only counted kernels have shapes.
  assert.doesNotMatch(text, /\| Add \|/);
});
