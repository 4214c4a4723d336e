import assert from "node:assert/strict";
import type { PeerBlas } from "../../bench/peers/_blas.ts";
import {
  bestTorch,
  blasSection,
  type PeerReport,
  renderPeers,
} from "../../bench/peers/_markdown.ts";

const OPENBLAS: PeerBlas = {
  libraries: [
    "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblasp-r0.3.21.so",
    "/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3",
  ],
  blasInfo: "generic",
  gflops: 118.25,
  size: 1024,
  threads: 1,
};

/** A one-model report on OpenBLAS. */
function report(blas = OPENBLAS): PeerReport {
  return {
    machine: {
      cpuModel: "AMD EPYC",
      cores: 2,
      deno: "2.9.6",
      v8: "15.0",
      os: "x86_64-unknown-linux-gnu",
    },
    date: new Date("2026-11-26T15:26:28.929Z"),
    torchVersion: "1.13.0a0",
    blas,
    warmup: 5,
    timed: 20,
    threads: [1],
    models: ["vae"],
    expectedParameters: { vae: 220385 },
    results: {
      vae: {
        1: {
          ours: {
            status: "ok",
            parameters: 220385,
            medianMs: 146,
            stepsMs: [146],
          },
          torch: {
            status: "ok",
            parameters: 220385,
            medianMs: 200,
            stepsMs: [200],
          },
        },
      },
    },
    loadBefore: 0.1,
    loadAfter: 0.2,
  };
}

Deno.test("blasSection() lists the loaded libraries, BLAS_INFO and the GEMM GFLOPS against the minimum", () => {
  assert.equal(
    blasSection(OPENBLAS),
    [
      "## Peer BLAS",
      "",
      "Measured by `bench/peers/blas.py` before any step was timed, in a process",
      "with the peer's 1-thread settings.",
      "",
      "- Libraries loaded: `/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblasp-r0.3.21.so`, `/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3`",
      "- torch's BLAS_INFO: generic",
      "- 1024² float32 matrix product at 1 thread: 118 GFLOPS (median); the comparison needs at least 30",
    ].join("\n"),
  );
});

Deno.test("blasSection() shows a dash for what the probe did not say", () => {
  const text = blasSection({ libraries: [], size: 1024, threads: 1 });
  assert.match(text, /^- Libraries loaded: —$/m);
  assert.match(text, /^- torch's BLAS_INFO: —$/m);
  assert.match(text, /thread: unknown GFLOPS \(median\)/);
});

Deno.test("renderPeers() names the peer's BLAS in Machine, puts Peer BLAS after it, and says why OpenBLAS", () => {
  const text = renderPeers(report());
  assert.match(
    text,
    /^- PyTorch's BLAS: \/usr\/lib\/x86_64-linux-gnu\/openblas-pthread\/libopenblasp-r0\.3\.21\.so, 118 GFLOPS \(1024² GEMM, 1 thread\)$/m,
  );
  const machine = text.indexOf("## Machine");
  const blas = text.indexOf("## Peer BLAS");
  const parameters = text.indexOf("## Parameters");
  assert.ok(machine > 0 && machine < blas && blas < parameters);
  const howTo = text.slice(text.indexOf("## Peers: how to run"), machine);
  assert.match(howTo, /The peer runs on OpenBLAS \(`libopenblas0-pthread`/);
  assert.match(howTo, /netlib's\nreference BLAS/);
  assert.match(howTo, /refuses to write this file below 30 GFLOPS/);
});

Deno.test("the target compares ours at 2 threads with PyTorch at its best thread count", () => {
  const side = (medianMs: number) => ({
    status: "ok" as const,
    parameters: 220385,
    medianMs,
    stepsMs: [medianMs],
  });
  const twoThreads = {
    ...report(),
    threads: [1, 2],
    results: {
      vae: {
        1: { ours: side(146), torch: side(69) },
        2: { ours: side(110), torch: side(120) },
      },
    },
  };
  assert.deepEqual(bestTorch(twoThreads, "vae"), { ms: 69, threads: 1 });
  const row = renderPeers(twoThreads).split("\n").find((line) =>
    line.startsWith("| vae ") && line.includes("(1T)")
  );
  assert.ok(row, "the time table has a vae row naming PyTorch's best");
  // 110 / 69 = 1.59: not met, though 110 / 120 at 2 threads is below 1.
  assert.equal(
    row,
    "| vae | 146 | 69.0 | 2.12x | 110 | 120 | 0.92x | 69.0 (1T) | 1.59x | not met |",
  );
});
