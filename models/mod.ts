/**
 * Models: the contract a trainable model fulfils (and the training
 * hyper-parameters, which no model config holds), what a family declares,
 * a kit of trainable layers and initialisers, and one folder per model
 * family.
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
export * from "./contract.ts";
export * from "./family.ts";
export * from "./initializers.ts";
export * from "./layers.ts";
export * from "./ae/mod.ts";
