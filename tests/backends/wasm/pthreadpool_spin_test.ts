/**
 * XNNPACK's idle threads spin briefly (backends/wasm/_pthreadpool_spin.ts):
 * the rewrite of the threaded binary's three spin loops, byte for byte; the
 * builds it leaves alone; the engine reporting and honouring the polls; and
 * what the rewrite is for: idle XNNPACK threads burn far less CPU between
 * operators than with tfjs's stock spin.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { tf } from "../../../backends/tf.ts";
import { initEngine } from "../../../backends/engine.ts";
import {
  SPIN_POLLS,
  spinSites,
  STOCK_SPIN_POLLS,
  withSpinPolls,
} from "../../../backends/wasm/_pthreadpool_spin.ts";
import { BINARY } from "../../../backends/wasm/_emscripten.ts";

const wasmOut = (name: string) =>
  Deno.readFileSync(fileURLToPath(import.meta.resolve(
    `npm:@tensorflow/tfjs-backend-wasm@4.22.0/wasm-out/${name}`,
  )));

/** The unsigned LEB128 number at `at`, and the bytes it took. */
function readLeb128(bytes: Uint8Array, at: number): [number, number] {
  let value = 0;
  for (let i = 0;; i++) {
    value |= (bytes[at + i] & 0x7f) << (7 * i);
    if (!(bytes[at + i] & 0x80)) return [value, i + 1];
  }
}

Deno.test("withSpinPolls rewrites the three spin loops of the threaded build to the polls asked, and nothing else", () => {
  const binary = wasmOut(BINARY["threaded-simd"]);
  const sites = spinSites(binary);
  assert.equal(sites.length, 3);
  for (const site of sites) {
    assert.deepEqual(readLeb128(binary, site + 1), [STOCK_SPIN_POLLS, 3]);
  }
  const { binary: patched, rewritten } = withSpinPolls(binary, 1000);
  assert.equal(rewritten, 3);
  assert.equal(patched.length, binary.length);
  for (const site of sites) {
    assert.deepEqual(readLeb128(patched, site + 1), [1000, 3]);
  }
  const changed = [...patched.keys()].filter((i) => patched[i] !== binary[i]);
  assert.ok(changed.length > 0 && changed.length <= 9, `${changed.length}`);
  assert.ok(
    changed.every((i) => sites.some((site) => i > site && i <= site + 3)),
  );
  assert.ok(WebAssembly.validate(patched));
});

Deno.test("withSpinPolls leaves a binary without exactly the three known loops, and the stock count, as they are", () => {
  // The single-thread builds have pthreadpool's loops too, compiled in but
  // never spinning (no threads): the engine rewrites the threaded one only.
  for (const variant of ["simd", "plain"] as const) {
    assert.equal(spinSites(wasmOut(BINARY[variant])).length, 3, variant);
  }
  const threaded = wasmOut(BINARY["threaded-simd"]);
  const site = spinSites(threaded)[0];
  const one = threaded.slice(site - 16, site + 16);
  assert.equal(spinSites(one).length, 1);
  assert.equal(withSpinPolls(one, SPIN_POLLS).binary, one);
  assert.equal(withSpinPolls(threaded, STOCK_SPIN_POLLS).binary, threaded);
});

Deno.test("spin polls must be a positive multiple of 5 below 2^21 (the loops count down by five to zero)", async () => {
  const binary = wasmOut(BINARY["threaded-simd"]);
  for (const polls of [0, -5, 7, 2.5, 2 ** 21 + 5]) {
    assert.throws(
      () => withSpinPolls(binary, polls),
      /positive multiple of 5 below 2\^21, got/,
      String(polls),
    );
  }
  await assert.rejects(
    () => initEngine({ threads: 2, spinPolls: 12 }),
    /spin polls must be a positive multiple of 5 below 2\^21, got 12/,
  );
});

/**
 * CPU clock ticks of this process's worker threads ("worker-N": emscripten's
 * pthreads and genwasm's pool; not the main thread, not V8's own), by
 * thread id. A thread that ends while they are read (a restarted engine's)
 * is left out.
 */
function workerTicks(): Map<string, number> {
  const ticks = new Map<string, number>();
  for (const entry of Deno.readDirSync("/proc/self/task")) {
    let stat;
    try {
      stat = Deno.readTextFileSync(`/proc/self/task/${entry.name}/stat`);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) continue;
      throw error;
    }
    const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
    if (!name.startsWith("worker-")) continue;
    // utime and stime: fields 14 and 15, the 12th and 13th after "(comm) ".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    ticks.set(entry.name, Number(fields[11]) + Number(fields[12]));
  }
  return ticks;
}

/**
 * Worker threads' CPU ticks over `operators` small XNNPACK convolutions (1x1,
 * which genwasm leaves to XNNPACK), each followed by an idle pause in
 * which a spinning thread burns a core.
 */
async function idleSpinTicks(operators: number): Promise<number> {
  const x = tf.randomNormal([1, 32, 32, 16]) as tf.Tensor4D;
  const filter = tf.randomNormal([1, 1, 16, 16]) as tf.Tensor4D;
  const before = workerTicks();
  for (let i = 0; i < operators; i++) {
    tf.tidy(() => tf.conv2d(x, filter, 1, "valid").dataSync());
    await new Promise((resolve) => setTimeout(resolve, 6));
  }
  // Ticks each thread alive at the end spent since the start (or its own).
  let ticks = 0;
  for (const [thread, now] of workerTicks()) {
    ticks += now - (before.get(thread) ?? 0);
  }
  tf.dispose([x, filter]);
  return ticks;
}

Deno.test({
  name:
    "the threaded engine runs the short spin by default and reports it; its idle XNNPACK threads burn far less CPU than with the stock spin",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    const ticks: Record<string, number> = {};
    for (const polls of [SPIN_POLLS, STOCK_SPIN_POLLS]) {
      const info = await initEngine({
        threads: 2,
        spinPolls: polls === SPIN_POLLS ? undefined : polls,
      });
      if (info.variant !== "threaded-simd") return; // no threads here
      assert.equal(info.spinPolls, polls);
      // A 1x1 convolution gives the same result either way.
      const x = tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]);
      const y = tf.conv2d(x, tf.tensor4d([3], [1, 1, 1, 1]), 1, "valid");
      assert.deepEqual([...y.dataSync()], [3, 6, 9, 12]);
      ticks[polls] = await idleSpinTicks(300);
    }
    // 1,000,000 polls are over a millisecond of a core after every
    // operator (300 operators: 41 and 49 ticks of 10 ms in two runs); 1000
    // polls next to none (2 and 3).
    const [short, stock] = [ticks[SPIN_POLLS], ticks[STOCK_SPIN_POLLS]];
    assert.ok(stock >= 3 * short + 10, `short ${short}, stock ${stock} ticks`);
    await initEngine({ threads: 2 });
  },
});
