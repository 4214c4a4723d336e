import assert from "node:assert/strict";
import {
  blasLibrary,
  blasRefusal,
  formatGflops,
  MIN_PEER_GFLOPS,
  parsePeerBlas,
  type PeerBlas,
  usesOpenBlas,
} from "../../bench/peers/_blas.ts";

const OPENBLAS_CORE =
  "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblasp-r0.3.21.so";
const NETLIB = "/usr/lib/x86_64-linux-gnu/blas/libblas.so.3";
const NETLIB_LAPACK = "/usr/lib/x86_64-linux-gnu/lapack/liblapack.so.3";

/** A probe result with `gflops` and the given libraries. */
function probe(
  gflops: number | undefined,
  libraries = [NETLIB_LAPACK, NETLIB],
): PeerBlas {
  return { libraries, blasInfo: "generic", gflops, size: 1024, threads: 1 };
}

Deno.test("parsePeerBlas() reads the probe's JSON line as bench/peers/blas.py prints it", () => {
  const line =
    `{"libraries": ["${OPENBLAS_CORE}", "/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3"], ` +
    `"blasInfo": "generic", "gflops": 118.25, "size": 1024, "threads": 1, ` +
    `"timedMs": [18.2, 18.1], "torch": "1.13.0a0"}`;
  assert.deepEqual(parsePeerBlas(JSON.parse(line)), {
    libraries: [
      OPENBLAS_CORE,
      "/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3",
    ],
    blasInfo: "generic",
    gflops: 118.25,
    size: 1024,
    threads: 1,
  });
});

Deno.test("parsePeerBlas() leaves out what is missing or of the wrong type, and throws on no object", () => {
  assert.deepEqual(
    parsePeerBlas({
      libraries: [NETLIB, 7],
      blasInfo: null,
      gflops: "fast",
    }),
    {
      libraries: [NETLIB],
      blasInfo: undefined,
      gflops: undefined,
      size: 1024,
      threads: 1,
    },
  );
  // JSON has no NaN, but a hand-made object may: not a figure.
  assert.equal(parsePeerBlas({ gflops: NaN }).gflops, undefined);
  assert.deepEqual(parsePeerBlas({}).libraries, []);
  for (const json of [undefined, null, 5, "text", []]) {
    assert.throws(() => parsePeerBlas(json), /printed no JSON object/);
  }
});

Deno.test("blasRefusal() refuses below MIN_PEER_GFLOPS and without a figure, and lets at or above it go ahead", () => {
  assert.equal(MIN_PEER_GFLOPS, 30);
  assert.equal(blasRefusal(probe(MIN_PEER_GFLOPS)), undefined);
  assert.equal(blasRefusal(probe(118.3, [OPENBLAS_CORE])), undefined);
  // A fast BLAS other than OpenBLAS is still a fair peer.
  assert.equal(blasRefusal(probe(95, ["/usr/lib/libblis.so.4"])), undefined);
  const slow = blasRefusal(probe(5.93));
  assert.ok(slow);
  assert.match(slow, /blas\/libblas\.so\.3/);
  assert.match(slow, /5\.93 GFLOPS/);
  assert.match(slow, /below the 30 GFLOPS/);
  assert.match(slow, /at 1 thread, below/);
  assert.match(slow, /apt-get install -y libopenblas0-pthread/);
  assert.ok(!slow.includes("\n"), "one line on stderr");
  assert.ok(blasRefusal(probe(MIN_PEER_GFLOPS - 0.01)));
  // On OpenBLAS a low figure means a busy machine, not a package to install.
  const busy = blasRefusal(probe(12, [OPENBLAS_CORE]));
  assert.ok(busy);
  assert.match(busy, /OpenBLAS is loaded, so the machine is likely busy/);
  assert.doesNotMatch(busy, /apt-get/);
  const unknown = blasRefusal(probe(undefined, []));
  assert.ok(unknown);
  assert.match(unknown, /unknown GFLOPS/);
  assert.match(unknown, /no BLAS library in \/proc\/self\/maps/);
});

Deno.test("usesOpenBlas() and blasLibrary() name the library the products ran on", () => {
  const openblas = probe(118, [
    OPENBLAS_CORE,
    "/usr/lib/x86_64-linux-gnu/openblas-pthread/liblapack.so.3",
  ]);
  assert.equal(usesOpenBlas(openblas), true);
  assert.equal(blasLibrary(openblas), OPENBLAS_CORE);
  const netlib = probe(6);
  assert.equal(usesOpenBlas(netlib), false);
  // The BLAS, not the LAPACK loaded before it.
  assert.equal(blasLibrary(netlib), NETLIB);
  assert.equal(blasLibrary(probe(6, [NETLIB_LAPACK])), NETLIB_LAPACK);
});

Deno.test("formatGflops() gives 3 significant figures, or says unknown", () => {
  assert.equal(formatGflops(118.25), "118 GFLOPS");
  assert.equal(formatGflops(82.77), "82.8 GFLOPS");
  assert.equal(formatGflops(5.934), "5.93 GFLOPS");
  assert.equal(formatGflops(undefined), "unknown GFLOPS");
});
