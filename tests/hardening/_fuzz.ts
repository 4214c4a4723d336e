/**
 * A small mutation fuzzer for the parsers the project owns: from one valid
 * input it derives truncations, random byte flips, and forged numbers in
 * the header (all-ones, huge and zero 32-bit words), then checks that each
 * mutant either parses to what a plain reference reading of it gives, or is
 * refused with a one-line Error naming the file, quickly. Counts are kept
 * for the hardening report.
 *
 * @module
 */
import assert from "node:assert/strict";
import { Rng } from "../_helpers.ts";

/** What a fuzz run tried and how each input ended. */
export interface FuzzCounts {
  tried: number;
  accepted: number;
  refused: number;
}

/** Forged 32-bit words: all ones, the largest int32, 2^30, zero. */
const FORGED_WORDS = [0xffffffff, 0x7fffffff, 0x40000000, 0];

/**
 * `count` mutants of `valid`: every `truncateStride`-th truncation, then
 * byte flips (1..4 anywhere), forged words in the first `headerBytes`,
 * and bytes appended.
 */
export function mutants(
  valid: Uint8Array,
  count: number,
  { seed = 1, headerBytes = 64 } = {},
): Uint8Array[] {
  const rng = new Rng(seed);
  const out: Uint8Array[] = [];
  const stride = Math.max(1, Math.floor(valid.length / (count / 4)));
  for (let length = 0; length < valid.length; length += stride) {
    out.push(valid.slice(0, length));
  }
  const header = Math.min(headerBytes, valid.length);
  while (out.length < count) {
    const mutant = valid.slice();
    const kind = rng.int(0, 3);
    if (kind <= 1) {
      for (let flips = rng.int(1, 4); flips > 0; flips--) {
        const at = kind === 0
          ? rng.int(0, mutant.length - 1)
          : rng.int(0, header - 1);
        mutant[at] = rng.int(0, 255);
      }
      out.push(mutant);
    } else if (kind === 2 && header >= 4) {
      const at = rng.int(0, header - 4);
      const word = FORGED_WORDS[rng.int(0, FORGED_WORDS.length - 1)];
      new DataView(mutant.buffer).setUint32(at, word, rng.int(0, 1) === 1);
      out.push(mutant);
    } else {
      const extra = Uint8Array.from(
        { length: rng.int(1, 16) },
        () => rng.int(0, 255),
      );
      const longer = new Uint8Array(mutant.length + extra.length);
      longer.set(mutant);
      longer.set(extra, mutant.length);
      out.push(longer);
    }
  }
  return out.slice(0, count);
}

/** Options for {@link fuzz}. */
export interface FuzzOptions<T> {
  /**
   * Asserts that what `parse` returned for `input` is right (say, equal to
   * a reference reading); an accepted input is not fine just for loading.
   */
  check: (input: Uint8Array, parsed: T, index: number) => void;
  /** Longest any one input may take; default 2000 ms. */
  maxMs?: number;
}

/**
 * Feeds every input to `parse`; each must return a value that `check`
 * accepts, or throw an Error whose message is one line containing `name`,
 * within `maxMs`.
 */
export async function fuzz<T>(
  inputs: Uint8Array[],
  name: string,
  parse: (bytes: Uint8Array) => T | Promise<T>,
  { check, maxMs = 2000 }: FuzzOptions<T>,
): Promise<FuzzCounts> {
  const counts = { tried: 0, accepted: 0, refused: 0 };
  for (const [index, input] of inputs.entries()) {
    counts.tried++;
    const started = performance.now();
    let outcome: { parsed: T } | { error: unknown };
    try {
      outcome = { parsed: await parse(input) };
    } catch (error) {
      outcome = { error };
    }
    const elapsed = performance.now() - started;
    assert.ok(elapsed < maxMs, `input ${index} took ${elapsed.toFixed(0)} ms`);
    if ("error" in outcome) {
      const { error } = outcome;
      assert.ok(
        error instanceof Error,
        `input ${index}: threw a non-Error ${String(error)}`,
      );
      assert.ok(
        error.message.includes(name) && !error.message.includes("\n"),
        `input ${index} (${input.length} bytes): message should be one line naming ${name}: ${error.message}`,
      );
      counts.refused++;
      continue;
    }
    check(input, outcome.parsed, index);
    counts.accepted++;
  }
  return counts;
}

/** One summary line for the test output. */
export function report(what: string, counts: FuzzCounts): string {
  return `${what}: ${counts.tried} inputs tried, ${counts.accepted} loaded and checked, ${counts.refused} refused with the file named, 0 crashes`;
}
