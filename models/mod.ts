/**
 * Models: a kit of trainable layers and initialisers, and one folder per
 * model family.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ConvAutoencoder } from "./mod.ts";
 * const model = new ConvAutoencoder({ codeSize: 8 });
 * assert.equal(Object.keys(model.variables()).length, 12); // 6 layers, kernel and bias
 * model.dispose();
 * ```
 *
 * @module
 */
export * from "./initializers.ts";
export * from "./layers.ts";
export * from "./ae/mod.ts";
