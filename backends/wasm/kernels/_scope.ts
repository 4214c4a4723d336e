/**
 * Composite kernels: a kernel built from other wasm kernels, called directly
 * (not through tfjs ops, which must not run inside a kernel), with every
 * intermediate freed when the kernel returns — `tf.tidy` at kernel level.
 *
 * @module
 */
import { type TensorInfo, tf } from "../../tf.ts";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";

type Attrs = Record<string, unknown>;

/** What tfjs hands a kernel function. */
export interface KernelArgs {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: tf.NamedAttrMap;
}

/** Stock tfjs-backend-wasm kernels that a genwasm kernel replaces, by name. */
const stockKernels = new Map<string, tf.KernelConfig>();

/**
 * Remembers the stock kernel before it is replaced, so wrappers can call it,
 * and returns it (its `setupFunc` must still run when the backend starts).
 */
export function keepStockKernel(
  kernelName: string,
): tf.KernelConfig | undefined {
  if (!stockKernels.has(kernelName)) {
    const config = tf.getKernel(kernelName, "wasm");
    if (config) stockKernels.set(kernelName, config);
  }
  return stockKernels.get(kernelName);
}

/**
 * Runs the stock kernel `kernelName` replaced by genwasm's (the fallback of
 * a replacement for the cases it does not take).
 */
export function runStockKernel(
  kernelName: string,
  args: KernelArgs,
): TensorInfo {
  return keepStockKernel(kernelName)!.kernelFunc(args as never) as TensorInfo;
}

/** Runs wasm kernels and frees their outputs unless kept. */
export class KernelScope {
  readonly #made: TensorInfo[] = [];
  constructor(readonly backend: BackendWasm) {}

  /** Runs the wasm kernel `kernelName` (the replaced stock one if `stock`). */
  run(
    kernelName: string,
    inputs: Record<string, TensorInfo>,
    attrs: Attrs = {},
    { stock = false } = {},
  ): TensorInfo {
    const kernelFunc = stock
      ? stockKernels.get(kernelName)?.kernelFunc
      : tf.getKernel(kernelName, "wasm")?.kernelFunc;
    if (!kernelFunc) throw new Error(`no wasm kernel ${kernelName}`);
    const out = kernelFunc({
      inputs,
      attrs: attrs as tf.NamedAttrMap,
      backend: this.backend,
    }) as TensorInfo;
    this.#made.push(out);
    return out;
  }

  /** A new float32 tensor, uninitialised, freed with the scope unless kept. */
  make(shape: number[]): TensorInfo {
    const out = this.backend.makeOutput(shape, "float32");
    this.#made.push(out);
    return out;
  }

  /** Takes `info` (made elsewhere) into the scope: freed with it unless kept. */
  own(info: TensorInfo): TensorInfo {
    this.#made.push(info);
    return info;
  }

  reshape(x: TensorInfo, shape: number[]): TensorInfo {
    return this.run("Reshape", { x }, { shape });
  }

  transpose(x: TensorInfo, perm: number[]): TensorInfo {
    return this.run("Transpose", { x }, { perm });
  }

  /** Constant padding (zeros unless `value`); `paddings` is [before, after] per axis. */
  pad(x: TensorInfo, paddings: [number, number][], value = 0): TensorInfo {
    if (paddings.every(([a, b]) => a === 0 && b === 0)) return x;
    return this.run("PadV2", { x }, { paddings, constantValue: value });
  }

  slice(x: TensorInfo, begin: number[], size: number[]): TensorInfo {
    if (begin.every((b) => b === 0) && size.every((s, i) => s === x.shape[i])) {
      return x;
    }
    return this.run("Slice", { x }, { begin, size });
  }

  /** Stride-1 conv with explicit padding and optional dilation (NHWC, HWIO). */
  conv2d(
    x: TensorInfo,
    filter: TensorInfo,
    pad: [[number, number], [number, number]],
    dilations: [number, number] = [1, 1],
  ): TensorInfo {
    return this.run("Conv2D", { x, filter }, {
      strides: [1, 1],
      pad: [[0, 0], pad[0], pad[1], [0, 0]],
      dataFormat: "NHWC",
      dilations,
      dimRoundingMode: undefined,
    });
  }

  /** Frees everything this scope made except `result`, and returns it. */
  keep(result: TensorInfo): TensorInfo {
    // An input handed straight back must become a tensor of its own.
    if (!this.#made.includes(result)) {
      result = this.run("Identity", { x: result });
    }
    for (const info of this.#made) {
      if (info !== result) this.backend.disposeData(info.dataId);
    }
    this.#made.length = 0;
    return result;
  }
}
