/**
 * The step profile of `bench:steps --profile`: FLOPs counted from shapes,
 * op scopes dropped, repeated profiles averaged per step, profiled steps
 * spread among the timed ones, and one tiny real profile.
 */
import assert from "node:assert/strict";
import { initEngine } from "../../backends/engine.ts";
import {
  aggregateProfiles,
  interleave,
  isWasmKernel,
  kernelFlops,
  type KernelRecord,
  profileModel,
  realKernels,
} from "../../bench/_kernel_profile.ts";

await initEngine({ threads: 2 });

Deno.test("kernelFlops() counts a stride-1 Conv2D and FusedConv2D as 2 * N * OH * OW * Co * KH * KW * Ci", () => {
  const expected = 2 * 64 * 28 * 28 * 64 * 9 * 64;
  assert.equal(
    kernelFlops("Conv2D", [[64, 28, 28, 64], [3, 3, 64, 64]], [[
      64,
      28,
      28,
      64,
    ]]),
    expected,
  );
  // The bias and the absent PReLU weights of a fused conv change nothing.
  assert.equal(
    kernelFlops(
      "FusedConv2D",
      [[64, 28, 28, 64], [3, 3, 64, 64], [64], null],
      [[64, 28, 28, 64]],
    ),
    expected,
  );
});

Deno.test("kernelFlops() counts both gradients of a strided conv as the forward conv", () => {
  // Forward: x 64x28x28x32, 4x4 filter 32 -> 64 at stride 2, out 64x14x14x64.
  const forward = 2 * 64 * 14 * 14 * 64 * 4 * 4 * 32;
  assert.equal(
    kernelFlops("Conv2D", [[64, 28, 28, 32], [4, 4, 32, 64]], [[
      64,
      14,
      14,
      64,
    ]]),
    forward,
  );
  // Input gradient: (dy, filter) -> dx.
  assert.equal(
    kernelFlops(
      "Conv2DBackpropInput",
      [[64, 14, 14, 64], [4, 4, 32, 64]],
      [[64, 28, 28, 32]],
    ),
    forward,
  );
  // Filter gradient: (x, dy) -> dW.
  assert.equal(
    kernelFlops(
      "Conv2DBackpropFilter",
      [[64, 28, 28, 32], [64, 14, 14, 64]],
      [[4, 4, 32, 64]],
    ),
    forward,
  );
});

Deno.test("kernelFlops() counts depthwise convolutions as KH * KW multiply-adds per output", () => {
  // 3 channels, multiplier 2: 6 outputs channels of 3x3 taps each.
  const forward = 2 * 2 * 8 * 8 * 6 * 9;
  const filter = [3, 3, 3, 2];
  assert.equal(
    kernelFlops("DepthwiseConv2dNative", [[2, 8, 8, 3], filter], [[
      2,
      8,
      8,
      6,
    ]]),
    forward,
  );
  assert.equal(
    kernelFlops("DepthwiseConv2dNativeBackpropInput", [[2, 8, 8, 6], filter], [
      [2, 8, 8, 3],
    ]),
    forward,
  );
  assert.equal(
    kernelFlops(
      "DepthwiseConv2dNativeBackpropFilter",
      [[2, 8, 8, 3], [2, 8, 8, 6]],
      [filter],
    ),
    forward,
  );
});

Deno.test("kernelFlops() counts a matrix product as 2 * batch * M * N * K, transposed or broadcast", () => {
  // A x B^T: [64, 32] x [3136, 32]^T -> [64, 3136], K = 32.
  assert.equal(
    kernelFlops("BatchMatMul", [[64, 32], [3136, 32]], [[64, 3136]]),
    2 * 64 * 3136 * 32,
  );
  // A^T x B: [3136, 64]^T x [3136, 32] -> [64, 32], K = 3136.
  assert.equal(
    kernelFlops("BatchMatMul", [[3136, 64], [3136, 32]], [[64, 32]]),
    2 * 64 * 32 * 3136,
  );
  // A batch of one broadcast against 8.
  assert.equal(
    kernelFlops("BatchMatMul", [[1, 10, 20], [8, 20, 30]], [[8, 10, 30]]),
    2 * 8 * 10 * 30 * 20,
  );
  assert.equal(
    kernelFlops("_FusedMatMul", [[16, 100], [100, 10], [10]], [[16, 10]]),
    2 * 16 * 10 * 100,
  );
});

Deno.test("kernelFlops() has no count for memory-bound kernels or missing shapes", () => {
  assert.equal(kernelFlops("Add", [[4, 4], [4, 4]], [[4, 4]]), undefined);
  assert.equal(
    kernelFlops("Conv2D", [[1, 4, 4, 1], null], [[1, 4, 4, 1]]),
    undefined,
  );
});

function record(
  name: string,
  ms: number,
  inputs: number[][] = [],
  output: number[] = [],
): KernelRecord {
  return {
    name,
    inputShapes: inputs,
    outputShapes: [output],
    kernelTimeMs: ms,
  };
}

Deno.test("realKernels() drops op scopes and custom-gradient wrappers, keeps wasm kernels", () => {
  const records = [
    record("fusedConv2d__op", 9),
    record("FusedConv2D", 8),
    record("unnamed scope", 3),
    record("Conv2DBackpropInput", 2),
    record("GenwasmGroupNorm", 1),
    record("Add", 1),
  ];
  assert.deepEqual(realKernels(records).map((r) => r.name), [
    "FusedConv2D",
    "Conv2DBackpropInput",
    "GenwasmGroupNorm",
    "Add",
  ]);
  assert.equal(isWasmKernel("fusedConv2d__op"), false);
  assert.deepEqual(
    realKernels(records, (name) => name === "Add").map((r) => r.name),
    ["Add"],
  );
});

Deno.test("aggregateProfiles() averages time, calls and FLOPs per step over the profiles", () => {
  const small = [[1, 8, 8, 4], [3, 3, 4, 4]];
  const smallFlops = 2 * 8 * 8 * 4 * 9 * 4;
  const big = [[1, 8, 8, 16], [3, 3, 16, 16]];
  const bigFlops = 2 * 8 * 8 * 16 * 9 * 16;
  const profile = aggregateProfiles([
    [
      record("Conv2D", 10, big, [1, 8, 8, 16]),
      record("Conv2D", 1, small, [1, 8, 8, 4]),
      record("Add", 1),
      record("Add", 1),
    ],
    [
      record("Conv2D", 14, big, [1, 8, 8, 16]),
      record("Conv2D", 3, small, [1, 8, 8, 4]),
      record("Add", 2),
    ],
  ]);
  assert.equal(profile.profiledSteps, 2);
  assert.equal(profile.kernelMs, (10 + 1 + 1 + 1 + 14 + 3 + 2) / 2);
  assert.equal(profile.gflop, (bigFlops + smallFlops) / 1e9);
  assert.deepEqual(profile.kernels.map((k) => k.name), ["Conv2D", "Add"]);
  const [conv, add] = profile.kernels;
  assert.equal(conv.msPerStep, 14);
  assert.equal(conv.callsPerStep, 2);
  assert.equal(conv.gflops, 2 * (bigFlops + smallFlops) / 28 / 1e6);
  assert.equal(add.msPerStep, 2);
  assert.equal(add.callsPerStep, 1.5);
  assert.equal(add.gflopPerStep, undefined);
  assert.equal(profile.shapes.length, 2);
  const [first, second] = profile.shapes;
  assert.equal(first.inputs, "1x8x8x16, 3x3x16x16");
  assert.equal(first.output, "1x8x8x16");
  assert.equal(first.msPerCall, 12);
  assert.equal(first.callsPerStep, 1);
  assert.equal(first.gflops, bigFlops / 12 / 1e6);
  assert.equal(second.msPerStep, 2);
  assert.throws(() => aggregateProfiles([]), /no profiled steps/);
});

Deno.test("interleave() spreads the profiled steps evenly among the timed ones", () => {
  const order = interleave(10, 5);
  assert.equal(order.length, 15);
  assert.equal(order.filter(Boolean).length, 5);
  assert.deepEqual(
    order.map((profiled) => (profiled ? "P" : ".")).join(""),
    "..P..P..P..P..P",
  );
  assert.deepEqual(interleave(0, 2), [true, true]);
  assert.deepEqual(interleave(2, 0), [false, false]);
});

Deno.test("profileModel() profiles a tiny model's steps: real kernels only, FLOPs counted", async () => {
  const profile = await profileModel(
    "vae-small",
    { warmup: 1, timed: 2, profiled: 1 },
    2,
    16,
  );
  assert.equal(profile.stepsMs.length, 2);
  assert.equal(profile.profiledSteps, 1);
  // Times have no value to expect, only a sign and order.
  assert.ok(profile.wallMs > 0 && profile.kernelMs > 0);
  // The profiled steps' kernels ran within those steps.
  assert.ok(profile.profiledWallMs >= profile.kernelMs);
  const names = profile.kernels.map((k) => k.name);
  assert.ok(names.every(isWasmKernel), names.join(", "));
  assert.ok(names.includes("Conv2DBackpropFilter"), names.join(", "));
  assert.ok(profile.gflop > 0);
  assert.ok(profile.shapes.every((shape) => shape.gflops > 0));
});
