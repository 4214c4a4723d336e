/**
 * What the page's bundle gets for `@tensorflow/tfjs` (build/page.ts
 * aliases it here): tfjs-core with its chained tensor methods and its
 * gradients registered, as the union package registers them, without the
 * union's layers, data, converter, cpu and WebGL backends, which sampling
 * never calls (the bundle is about half as large).
 *
 * @module
 */
import "@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops";
import "@tensorflow/tfjs-core/dist/register_all_gradients";

export * from "@tensorflow/tfjs-core";
