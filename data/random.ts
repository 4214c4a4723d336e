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
 * import { mulberry32 } from "./random.ts";
 * const a = mulberry32(42);
 * const b = mulberry32(42);
 * console.log(a() === b()); // true
 * ```
 */
export function mulberry32(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = Math.imul(state ^ (state >>> 15), state | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
  };
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
