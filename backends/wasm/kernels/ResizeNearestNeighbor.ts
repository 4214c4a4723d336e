/**
 * ResizeNearestNeighbor and its gradient for exact 2x upsampling (corners
 * not aligned, no half-pixel centres: tfjs's defaults, the diffusion
 * U-Net's up path) on genwasm's threaded SIMD kernels
 * (../simd/resize.ts); every other resize goes to the stock kernels.
 *
 * @module
 */
import { type TensorInfo, tf } from "../../tf.ts";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { type KernelArgs, runStockKernel } from "./_scope.ts";
import { heapAddress } from "./_padded.ts";
import { activeSimdKernels } from "../simd/kernels.ts";
import { upsample2x } from "../simd/resize.ts";

/** Whether `small` -> `large` is a 2x upsampling the SIMD kernels take. */
function isExactDoubling(
  small: TensorInfo,
  large: readonly number[],
  attrs: { alignCorners: boolean; halfPixelCenters: boolean },
): boolean {
  const [batch, height, width, channels] = small.shape;
  return activeSimdKernels() !== undefined && small.dtype === "float32" &&
    small.shape.length === 4 && !attrs.alignCorners &&
    !attrs.halfPixelCenters && channels % 4 === 0 &&
    batch * height * width > 0 &&
    tf.util.arraysEqual([...large], [batch, 2 * height, 2 * width, channels]);
}

function resizeNearestNeighbor(args: KernelArgs): TensorInfo {
  const { images } = args.inputs as { images: TensorInfo };
  const attrs = args.attrs as unknown as tf.ResizeNearestNeighborAttrs;
  const [batch, , , channels] = images.shape;
  const outShape = [batch, attrs.size[0], attrs.size[1], channels];
  if (!isExactDoubling(images, outShape, attrs)) {
    return runStockKernel(tf.ResizeNearestNeighbor, args);
  }
  const backend = args.backend as BackendWasm;
  const y = backend.makeOutput(outShape, "float32");
  upsample2x(
    activeSimdKernels()!.pool,
    false,
    heapAddress(backend, images),
    heapAddress(backend, y),
    images.shape,
  );
  return y;
}

function resizeNearestNeighborGrad(args: KernelArgs): TensorInfo {
  const { images, dy } = args.inputs as { images: TensorInfo; dy: TensorInfo };
  const attrs = args.attrs as unknown as tf.ResizeNearestNeighborGradAttrs;
  if (dy.dtype !== "float32" || !isExactDoubling(images, dy.shape, attrs)) {
    return runStockKernel(tf.ResizeNearestNeighborGrad, args);
  }
  const backend = args.backend as BackendWasm;
  const dx = backend.makeOutput(images.shape, "float32");
  upsample2x(
    activeSimdKernels()!.pool,
    true,
    heapAddress(backend, dx),
    heapAddress(backend, dy),
    images.shape,
  );
  return dx;
}

/** ResizeNearestNeighbor: exact 2x on the SIMD kernels, the rest stock. */
export const resizeNearestNeighborConfig: tf.KernelConfig = {
  kernelName: tf.ResizeNearestNeighbor,
  backendName: "wasm",
  kernelFunc: resizeNearestNeighbor as unknown as tf.KernelFunc,
};

/** Its gradient likewise. */
export const resizeNearestNeighborGradConfig: tf.KernelConfig = {
  kernelName: tf.ResizeNearestNeighborGrad,
  backendName: "wasm",
  kernelFunc: resizeNearestNeighborGrad as unknown as tf.KernelFunc,
};
