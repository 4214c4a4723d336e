/**
 * A small seeded pseudo-random number generator, so that shuffles and weight
 * initialisation repeat exactly from a seed on every backend.
 *
 * @module
 */

/** A source of uniform numbers in [0, 1), like `Math.random`. */
export type Random = () => number;

/**
 * Mulberry32 (Tommy Ettinger, 2017): 32 bits of state, full period 2^32,
 * good enough for shuffling and initialisation, not for cryptography.
 *
 * @param seed Any number; only its low 32 bits are used.
 * @returns A function giving the next uniform number in [0, 1) each call.
 *
 * @example Two generators with the same seed agree
 * ```ts
 * import assert from "node:assert/strict";
 * import { mulberry32 } from "./random.ts";
 * const a = mulberry32(42);
 * const b = mulberry32(42);
 * assert.equal(a(), b());
 * ```
 */
export function mulberry32(seed: number): Random {
  const generator = new Mulberry32(seed);
  return () => generator.next();
}

/**
 * Mulberry32 with its state in view, for runs that must checkpoint and
 * resume their random stream exactly.
 *
 * @example Resume a stream from its saved state
 * ```ts
 * import assert from "node:assert/strict";
 * import { Mulberry32 } from "./random.ts";
 * const a = new Mulberry32(7);
 * a.next();
 * const b = new Mulberry32(0);
 * b.state = a.state;
 * assert.equal(a.next(), b.next());
 * ```
 */
export class Mulberry32 {
  /** The 32-bit state; assign a saved value to resume. */
  state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** The next uniform number in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let mixed = Math.imul(this.state ^ (this.state >>> 15), this.state | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
  }

  /** A whole number in [0, 2^31 - 1), e.g. a seed for tf.random* ops. */
  nextSeed(): number {
    return Math.floor(this.next() * 2147483647);
  }
}

/**
 * A standard normal number from two uniform ones (Box–Muller transform).
 *
 * @param random The uniform source to draw from.
 * @returns A sample of N(0, 1).
 *
 * @example
 * ```ts
 * import { mulberry32, normal } from "./random.ts";
 * const random = mulberry32(1);
 * console.log(normal(random));
 * ```
 */
export function normal(random: Random): number {
  // 1 - u lies in (0, 1], so the logarithm is finite.
  const u = 1 - random();
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}
