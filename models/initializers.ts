/**
 * Weight initialisers, drawn from a seeded {@link Random} so that a model
 * built from the same seed starts from the same weights on every backend.
 *
 * @module
 */
import { normal, type Random } from "@genwasm/data/random";

/** How a layer's kernel is initialised. */
export type InitializerName = "glorot" | "he" | "torch";

/** Fills `count` values for a kernel with `fanIn` inputs and `fanOut` outputs per unit. */
export type Initializer = (
  count: number,
  fanIn: number,
  fanOut: number,
  random: Random,
) => Float32Array;

/** `count` draws from U(-limit, limit). */
function uniformWithin(
  count: number,
  limit: number,
  random: Random,
): Float32Array {
  const values = new Float32Array(count);
  for (let index = 0; index < count; index++) {
    values[index] = (2 * random() - 1) * limit;
  }
  return values;
}

/**
 * Glorot (Xavier) uniform, Glorot & Bengio 2010: U(-limit, limit) with
 * limit = sqrt(6 / (fanIn + fanOut)). Suits linear, sigmoid and tanh layers.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { glorotUniform } from "./initializers.ts";
 * import { mulberry32 } from "../data/random.ts";
 * const values = glorotUniform(4, 2, 2, mulberry32(0));
 * assert.ok(values.every((value) => Math.abs(value) <= Math.sqrt(6 / (2 + 2)))); // ±1.22
 * ```
 */
export const glorotUniform: Initializer = (count, fanIn, fanOut, random) =>
  uniformWithin(count, Math.sqrt(6 / (fanIn + fanOut)), random);

/**
 * He (Kaiming) normal, He et al. 2015: N(0, 2 / fanIn). Suits layers
 * followed by ReLU.
 *
 * @example
 * ```ts
 * import { heNormal } from "./initializers.ts";
 * import { mulberry32 } from "../data/random.ts";
 * console.log(heNormal(4, 8, 8, mulberry32(0))); // standard deviation 0.5
 * ```
 */
export const heNormal: Initializer = (count, fanIn, _fanOut, random) => {
  const deviation = Math.sqrt(2 / fanIn);
  const values = new Float32Array(count);
  for (let index = 0; index < count; index++) {
    values[index] = normal(random) * deviation;
  }
  return values;
};

/**
 * PyTorch's default for Conv2d and Linear (kaiming_uniform with a = sqrt(5)):
 * U(-1/sqrt(fanIn), 1/sqrt(fanIn)), for the bias too (see
 * {@link initialBias}). A third of He's variance: Adam's fixed-size steps
 * change such weights faster, relatively, early in training.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { torchUniform } from "./initializers.ts";
 * import { mulberry32 } from "../data/random.ts";
 * const values = torchUniform(4, 16, 8, mulberry32(0));
 * assert.ok(values.every((value) => Math.abs(value) <= 0.25)); // ±1 / sqrt(16)
 * ```
 */
export const torchUniform: Initializer = (count, fanIn, _fanOut, random) =>
  uniformWithin(count, 1 / Math.sqrt(fanIn), random);

/** Initialisers by name. */
export const INITIALIZERS: Record<InitializerName, Initializer> = {
  glorot: glorotUniform,
  he: heNormal,
  torch: torchUniform,
};

/**
 * A layer's initial bias: drawn like the kernel for "torch" (after it, from
 * the same stream), zeros for the others.
 */
export function initialBias(
  name: InitializerName,
  count: number,
  fanIn: number,
  random: Random,
): Float32Array {
  return name === "torch"
    ? torchUniform(count, fanIn, count, random)
    : new Float32Array(count);
}

/**
 * An embedding table's initial rows: N(0, 1) for "torch" (PyTorch's
 * `nn.Embedding`), Glorot-uniform over (rows, width) for the others.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { embeddingTable } from "./initializers.ts";
 * import { mulberry32 } from "../data/random.ts";
 * const rows = embeddingTable("glorot", 10, 6, mulberry32(0));
 * assert.equal(rows.length, 60);
 * assert.ok(rows.every((value) => Math.abs(value) <= Math.sqrt(6 / 16)));
 * ```
 */
export function embeddingTable(
  name: InitializerName,
  rows: number,
  width: number,
  random: Random,
): Float32Array {
  return name === "torch"
    ? Float32Array.from({ length: rows * width }, () => normal(random))
    : glorotUniform(rows * width, rows, width, random);
}

/**
 * Looks an initialiser up by name.
 *
 * @throws Error for an unknown name.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { heNormal, initializer } from "./initializers.ts";
 * assert.equal(initializer("he"), heNormal);
 * ```
 */
export function initializer(name: InitializerName): Initializer {
  if (!Object.hasOwn(INITIALIZERS, name)) {
    throw new Error(
      `unknown initializer "${name}": use ${
        Object.keys(INITIALIZERS).join(" or ")
      }`,
    );
  }
  return INITIALIZERS[name];
}
