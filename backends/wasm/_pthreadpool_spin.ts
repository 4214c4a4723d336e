/**
 * How long XNNPACK's idle threads spin in tfjs-backend-wasm's threaded
 * build. Its thread pool (pthreadpool) polls an atomic 1,000,000 times
 * before a thread sleeps: a worker after each parallel operator, waiting
 * for the next, and the calling thread waiting for its workers. That is a
 * millisecond or more of a core per XNNPACK operator, and genwasm's own
 * kernel pool (./simd/pool.ts) needs that core right then: with as many
 * threads as cores, the spinning XNNPACK worker halves the share of the
 * genwasm worker, and a job split in equal parts waits for its slowest
 * part. A flow step at 2 threads on the 2-core project machine spent
 * about a sixth of its CPU time so (7 of 33 s over 35 steps, by thread).
 *
 * The three spin loops are compiled, unrolled five times, as
 * `i32.const 1000000; local.set n; loop ... n -= 5; br_if n != 0`. We
 * rewrite the constant in the binary before compiling it, in place (the
 * same three bytes of LEB128, padded), so that the threads sleep in
 * Atomics.wait after a few microseconds of polling instead.
 *
 * @module
 */

/** The polls tfjs-backend-wasm 4.22's threaded build ships with. */
export const STOCK_SPIN_POLLS = 1_000_000;

/**
 * Polls genwasm sets: a few microseconds, about one Atomics.wait round
 * trip, so a thread still catches an operator that follows at once.
 */
export const SPIN_POLLS = 1000;

/** i32.const 1000000 (LEB128 c0 84 3d), then local.set: a spin loop's start. */
const SPIN_START = [0x41, 0xc0, 0x84, 0x3d, 0x21];

/** The spin loops of the known threaded build. */
const SPIN_LOOPS = 3;

/** The largest value three LEB128 bytes hold. */
const MAX_POLLS = 2 ** 21 - 1;

/**
 * `binary` with pthreadpool's spin loops polling `polls` times instead of
 * {@link STOCK_SPIN_POLLS}, and how many loops were rewritten. A binary
 * without exactly the three known loops (the single-thread builds, another
 * tfjs version) comes back as it is, with 0.
 *
 * @param polls A positive multiple of 5 (the loops count down by five to
 * exactly zero; any other count would wrap around) below 2^21.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { withSpinPolls } from "./_pthreadpool_spin.ts";
 * // i32.const 1000000, local.set 3 in a made-up code fragment.
 * const code = new Uint8Array([0x00, 0x41, 0xc0, 0x84, 0x3d, 0x21, 0x03]);
 * assert.equal(withSpinPolls(code, 1000).rewritten, 0); // not the three loops
 * ```
 */
export function withSpinPolls(
  binary: Uint8Array<ArrayBuffer>,
  polls: number,
): { binary: Uint8Array<ArrayBuffer>; rewritten: number } {
  if (
    !Number.isInteger(polls) || polls <= 0 || polls % 5 || polls > MAX_POLLS
  ) {
    throw new Error(
      `spin polls must be a positive multiple of 5 below 2^21, got ${polls}`,
    );
  }
  const sites = spinSites(binary);
  if (sites.length !== SPIN_LOOPS || polls === STOCK_SPIN_POLLS) {
    return { binary, rewritten: 0 };
  }
  const patched = binary.slice();
  for (const site of sites) {
    // Three LEB128 bytes: the low groups carry the continuation bit.
    patched[site + 1] = 0x80 | (polls & 0x7f);
    patched[site + 2] = 0x80 | ((polls >> 7) & 0x7f);
    patched[site + 3] = (polls >> 14) & 0x7f;
  }
  return { binary: patched, rewritten: sites.length };
}

/** Throws unless `polls` is a positive multiple of 5 below 2^21. */
export function checkSpinPolls(polls: number): void {
  if (
    !Number.isInteger(polls) || polls <= 0 || polls % 5 || polls > MAX_POLLS
  ) {
    throw new Error(
      `spin polls must be a positive multiple of 5 below 2^21, got ${polls}`,
    );
  }
}

/** Byte offsets of every {@link SPIN_START} in `binary`. */
export function spinSites(binary: Uint8Array): number[] {
  const sites: number[] = [];
  const [first] = SPIN_START;
  for (
    let at = binary.indexOf(first);
    at >= 0 && at + SPIN_START.length <= binary.length;
    at = binary.indexOf(first, at + 1)
  ) {
    if (SPIN_START.every((byte, i) => binary[at + i] === byte)) {
      sites.push(at);
    }
  }
  return sites;
}
