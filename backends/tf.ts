/**
 * The one place the project imports TensorFlow.js from.
 *
 * The `@tensorflow/tfjs` union package is used rather than `tfjs-core` alone:
 * under Deno the npm build of tfjs-core registers no gradients and no chained
 * tensor methods, and its ESM `register_all_gradients.js` cannot be imported
 * (extensionless specifiers). The union bundle registers both on the same
 * engine, at about 50 ms of extra start-up. It lacks gradients for the
 * comparison kernels, which ./comparison_gradients.ts registers (zero), so
 * that gradients of gradients work.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import "./comparison_gradients.ts";

export { tf };
export type { Tensor, TensorInfo } from "@tensorflow/tfjs-core";
