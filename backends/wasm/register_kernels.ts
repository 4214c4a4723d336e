/**
 * The single list of kernels genwasm adds to, or replaces in,
 * tfjs-backend-wasm, and the call that registers them.
 *
 * @module
 */
import { tf } from "../tf.ts";
import { keepStockKernel } from "./kernels/_scope.ts";
import { conv2DConfig, fusedConv2DConfig } from "./kernels/Conv2D.ts";
import { conv2DBackpropInputConfig } from "./kernels/Conv2DBackpropInput.ts";
import { conv2DBackpropFilterConfig } from "./kernels/Conv2DBackpropFilter.ts";
import { batchMatMulConfig } from "./kernels/BatchMatMul.ts";
import { unsortedSegmentSumConfig } from "./kernels/UnsortedSegmentSum.ts";
import { depthwiseConv2dNativeBackpropInputConfig } from "./kernels/DepthwiseConv2dNativeBackpropInput.ts";
import { depthwiseConv2dNativeBackpropFilterConfig } from "./kernels/DepthwiseConv2dNativeBackpropFilter.ts";
import { maxPoolGradConfig } from "./kernels/MaxPoolGrad.ts";
import { castConfig, identityConfig } from "./kernels/Identity.ts";
import { oneHotConfig } from "./kernels/OneHot.ts";
import { sliceConfig } from "./kernels/Slice.ts";
import { splitVConfig } from "./kernels/SplitV.ts";
import { concatConfig } from "./kernels/Concat.ts";
import { meanConfig, sumConfig } from "./kernels/Sum.ts";
import { tileConfig } from "./kernels/Tile.ts";
import { groupNormConfig, groupNormGradConfig } from "./kernels/GroupNorm.ts";
import { batchNormConfig, batchNormGradConfig } from "./kernels/BatchNorm.ts";
import { adamConfig } from "./kernels/Adam.ts";
import {
  resizeNearestNeighborConfig,
  resizeNearestNeighborGradConfig,
} from "./kernels/ResizeNearestNeighbor.ts";
import {
  greaterConfig,
  leakyReluConfig,
  selectConfig,
} from "./kernels/Elementwise.ts";
import {
  addConfig,
  multiplyConfig,
  negConfig,
  subConfig,
} from "./kernels/Arithmetic.ts";

/** Kernels registered for the `wasm` backend, replacing any stock kernel of the same name. */
export const wasmKernelConfigs: tf.KernelConfig[] = [
  conv2DConfig,
  fusedConv2DConfig,
  conv2DBackpropInputConfig,
  conv2DBackpropFilterConfig,
  batchMatMulConfig,
  unsortedSegmentSumConfig,
  depthwiseConv2dNativeBackpropInputConfig,
  depthwiseConv2dNativeBackpropFilterConfig,
  maxPoolGradConfig,
  oneHotConfig,
  identityConfig,
  castConfig,
  sliceConfig,
  splitVConfig,
  concatConfig,
  sumConfig,
  meanConfig,
  tileConfig,
  groupNormConfig,
  groupNormGradConfig,
  batchNormConfig,
  batchNormGradConfig,
  adamConfig,
  leakyReluConfig,
  greaterConfig,
  selectConfig,
  addConfig,
  subConfig,
  multiplyConfig,
  negConfig,
  resizeNearestNeighborConfig,
  resizeNearestNeighborGradConfig,
];

let registered = false;

/** Registers {@link wasmKernelConfigs} once; later calls do nothing. */
export function registerWasmKernels(): void {
  if (registered) return;
  registered = true;
  for (const config of wasmKernelConfigs) {
    const stock = keepStockKernel(config.kernelName);
    if (stock) tf.unregisterKernel(config.kernelName, "wasm");
    // The stock kernel binds its wasm export in setupFunc; wrappers call it.
    tf.registerKernel({
      ...config,
      setupFunc: config.setupFunc ?? stock?.setupFunc,
    });
  }
}
