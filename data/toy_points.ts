/**
 * Toy 2-D distributions for flows and diffusion: two moons, eight Gaussians
 * and a swiss roll, as in the FFJORD and diffusion demos. Each is seeded, and
 * each is centred and scaled by one number (so shapes are not stretched) to
 * mean 0 and an average per-axis variance of 1, like N(0, I) in 2-D.
 *
 * Raw definitions (before centring and scaling), with u ~ U(0, 1) and
 * e ~ N(0, I):
 *
 * | name        | points                                                      | labels        |
 * | ----------- | ----------------------------------------------------------- | ------------- |
 * | `moons`     | t = pi u; moon 0: (cos t, sin t), moon 1: (1 - cos t, 1/2 - sin t); + 0.1 e (sklearn `make_moons(noise=0.1)`) | moon, 0 or 1 |
 * | `gaussians` | 2 (cos(k pi/4), sin(k pi/4)) + 0.1 e, k = 0..7               | k, 0..7       |
 * | `swissroll` | t = 3/2 pi (1 + 2u); (t cos t, t sin t) + 1.0 e (sklearn `make_swiss_roll(noise=1.0)`, axes x and z) | 0 |
 *
 * Moons and Gaussians take their labels in turn (point i has label
 * i mod 2 or i mod 8), so classes are balanced. The moon angle t is drawn at
 * random rather than evenly spaced as in sklearn, so that every seed gives
 * fresh points.
 *
 * @module
 */
import { mulberry32, normal, type Random } from "./random.ts";

/** Points in the plane and a label for each. */
export interface PointSet {
  /** (count, 2), row-major: x0, y0, x1, y1, ... */
  points: Float32Array;
  /** Component of each point: moon (0, 1), Gaussian (0..7), or 0. */
  labels: Uint8Array;
}

/** Names of the toy distributions, as {@link toyPoints} takes them. */
export const TOY_NAMES = ["moons", "gaussians", "swissroll"] as const;

/** One of {@link TOY_NAMES}. */
export type ToyName = typeof TOY_NAMES[number];

/** A raw point and its label, before centring and scaling. */
type RawPoint = [x: number, y: number, label: number];

/** A raw distribution: how to draw point `index`, and its exact moments. */
interface ToyDistribution {
  draw: (random: Random, index: number) => RawPoint;
  /** Exact mean of the raw points. */
  mean: [number, number];
  /** Exact variance of the raw points along each axis. */
  variance: [number, number];
}

const MOONS_NOISE = 0.1;
const GAUSSIANS_RADIUS = 2;
const GAUSSIANS_STD = 0.1;
const SWISS_ROLL_NOISE = 1.0;
/** Swiss roll angle range [a, b] = [3/2 pi, 9/2 pi]. */
const ROLL_START = 1.5 * Math.PI;
const ROLL_END = 4.5 * Math.PI;

/**
 * Moments used below, for t ~ U(0, pi) (moons) and t ~ U(a, b) (swiss roll):
 *   E cos t = 0, E sin t = 2/pi, E cos^2 t = E sin^2 t = 1/2;
 *   E t cos t = [t sin t + cos t]_a^b / (b - a) = 2,
 *   E t sin t = [sin t - t cos t]_a^b / (b - a) = 2 / (3 pi),
 *   E t^2 cos^2 t = ((b^3 - a^3)/3 - 3/2 pi) / (2 (b - a)),
 *   E t^2 sin^2 t = ((b^3 - a^3)/3 + 3/2 pi) / (2 (b - a)).
 */
const ROLL_T2 = (ROLL_END ** 3 - ROLL_START ** 3) / 3;
const ROLL_LENGTH = ROLL_END - ROLL_START;

/** The raw distributions, found by name. */
const TOY_DISTRIBUTIONS: Record<ToyName, ToyDistribution> = {
  moons: {
    draw: (random, index) => {
      const t = Math.PI * random();
      const moon = index % 2;
      const x = moon === 0 ? Math.cos(t) : 1 - Math.cos(t);
      const y = moon === 0 ? Math.sin(t) : 0.5 - Math.sin(t);
      return [
        x + MOONS_NOISE * normal(random),
        y + MOONS_NOISE * normal(random),
        moon,
      ];
    },
    // x: moons at means 0 and 1, E x^2 = (1/2 + 3/2) / 2 = 1.
    // y: moons at means 2/pi and 1/2 - 2/pi, E y^2 = (1/2 + 3/4 - 2/pi) / 2.
    mean: [0.5, 0.25],
    variance: [
      0.75 + MOONS_NOISE ** 2,
      0.5625 - 1 / Math.PI + MOONS_NOISE ** 2,
    ],
  },
  gaussians: {
    draw: (random, index) => {
      const component = index % 8;
      const angle = (component * Math.PI) / 4;
      return [
        GAUSSIANS_RADIUS * Math.cos(angle) + GAUSSIANS_STD * normal(random),
        GAUSSIANS_RADIUS * Math.sin(angle) + GAUSSIANS_STD * normal(random),
        component,
      ];
    },
    // The eight centres average cos^2 = sin^2 = 1/2 exactly.
    mean: [0, 0],
    variance: [
      GAUSSIANS_RADIUS ** 2 / 2 + GAUSSIANS_STD ** 2,
      GAUSSIANS_RADIUS ** 2 / 2 + GAUSSIANS_STD ** 2,
    ],
  },
  swissroll: {
    draw: (random) => {
      const t = ROLL_START + ROLL_LENGTH * random();
      return [
        t * Math.cos(t) + SWISS_ROLL_NOISE * normal(random),
        t * Math.sin(t) + SWISS_ROLL_NOISE * normal(random),
        0,
      ];
    },
    mean: [2, 2 / (3 * Math.PI)],
    variance: [
      (ROLL_T2 - 1.5 * Math.PI) / (2 * ROLL_LENGTH) - 4 +
      SWISS_ROLL_NOISE ** 2,
      (ROLL_T2 + 1.5 * Math.PI) / (2 * ROLL_LENGTH) -
      (2 / (3 * Math.PI)) ** 2 + SWISS_ROLL_NOISE ** 2,
    ],
  },
};

/**
 * The standard deviation of each axis after {@link toyPoints} has centred
 * and scaled a distribution (their squares average to 1).
 *
 * @param name One of {@link TOY_NAMES}.
 * @returns [std of x, std of y]: moons about [1.22, 0.71], gaussians
 * [1, 1], swissroll about [0.98, 1.02].
 * @throws Error if `name` is unknown.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { toyStd } from "./toy_points.ts";
 * assert.deepEqual(toyStd("gaussians"), [1, 1]);
 * ```
 */
export function toyStd(name: string): [number, number] {
  const { variance } = distribution(name);
  const scale = 2 / (variance[0] + variance[1]);
  return [Math.sqrt(variance[0] * scale), Math.sqrt(variance[1] * scale)];
}

function distribution(name: string): ToyDistribution {
  if (!(TOY_NAMES as readonly string[]).includes(name)) {
    throw new Error(
      `unknown toy distribution "${name}": expected one of ${
        TOY_NAMES.join(", ")
      }`,
    );
  }
  return TOY_DISTRIBUTIONS[name as ToyName];
}

/**
 * Draws `count` points of a toy 2-D distribution, centred to mean 0 and
 * scaled (one factor for both axes) so that the per-axis variances average
 * to 1. See the module documentation for each definition and its
 * parameters: two moons with noise 0.1, eight Gaussians of std 0.1 on a
 * circle of radius 2 (0.07 and 1.41 after scaling), a swiss roll with
 * noise 1.0.
 *
 * @param name `moons`, `gaussians` or `swissroll`.
 * @param count How many points.
 * @param seed Seed of the draw; the same seed gives the same points.
 * @returns (count, 2) points and one label per point.
 * @throws Error if `name` is unknown or `count` is not a whole number >= 0.
 *
 * @example Ten thousand points of two moons
 * ```ts
 * import assert from "node:assert/strict";
 * import { toyPoints } from "./toy_points.ts";
 * const { points, labels } = toyPoints("moons", 10000, 0);
 * assert.equal(points.length, 20000); // x0, y0, x1, y1 ...
 * assert.deepEqual([labels[0], labels[1]], [0, 1]);
 * ```
 */
export function toyPoints(name: string, count: number, seed: number): PointSet {
  const { draw, mean, variance } = distribution(name);
  if (!Number.isInteger(count) || count < 0) {
    throw new Error(`point count must be a whole number >= 0, got ${count}`);
  }
  const scale = 1 / Math.sqrt((variance[0] + variance[1]) / 2);
  const random = mulberry32(seed);
  const points = new Float32Array(2 * count);
  const labels = new Uint8Array(count);
  for (let index = 0; index < count; index++) {
    const [x, y, label] = draw(random, index);
    points[2 * index] = (x - mean[0]) * scale;
    points[2 * index + 1] = (y - mean[1]) * scale;
    labels[index] = label;
  }
  return { points, labels };
}
