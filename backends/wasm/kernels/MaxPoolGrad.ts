/**
 * MaxPoolGrad that is right for any batch and channel count (the stock wasm
 * kernel is not when batch > 1 or channels > 1).
 *
 * For each window offset (kh, kw), in the cpu backend's order, the input
 * pixel seen at that offset takes dy where it equals the window's maximum and
 * no earlier offset already took it (first maximum wins on ties); its share
 * is spread back to input positions by zero-insertion and padding. KH*KW
 * rounds of wasm elementwise kernels, no JavaScript per element.
 *
 * @module
 */
import { type TensorInfo, tf } from "../../tf.ts";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { type KernelArgs, KernelScope } from "./_scope.ts";

/** [N, OH, OW, C] -> [N, OH*s, OW*s, C] with dy at (oh*s, ow*s), zeros between. */
function spread(
  scope: KernelScope,
  x: TensorInfo,
  sh: number,
  sw: number,
): TensorInfo {
  const [n, oh, ow, c] = x.shape;
  let y = scope.reshape(x, [n * oh, 1, ow, c]);
  y = scope.pad(y, [[0, 0], [0, sh - 1], [0, 0], [0, 0]]);
  y = scope.reshape(y, [n * oh * sh, ow, 1, c]);
  y = scope.pad(y, [[0, 0], [0, 0], [0, sw - 1], [0, 0]]);
  return scope.reshape(y, [n, oh * sh, ow * sw, c]);
}

function maxPoolGrad(
  args: KernelArgs,
): TensorInfo {
  const { dy, input, output } = args.inputs as {
    dy: TensorInfo;
    input: TensorInfo;
    output: TensorInfo;
  };
  const { filterSize, strides, pad, dimRoundingMode } = args
    .attrs as unknown as tf.MaxPoolGradAttrs;
  const pool = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    filterSize,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const [n, height, width, c] = input.shape;
  const { outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw } =
    pool;
  const { filterHeight: kh, filterWidth: kw } = pool;
  const { top: padTop, left: padLeft } = pool.padInfo;
  const scope = new KernelScope(args.backend as BackendWasm);
  // Input padded with -inf so every window offset can be sliced in range.
  const rowsRead = (oh - 1) * sh + kh, colsRead = (ow - 1) * sw + kw;
  let x = scope.slice(input, [0, 0, 0, 0], [
    n,
    Math.min(height, rowsRead - padTop),
    Math.min(width, colsRead - padLeft),
    c,
  ]);
  x = scope.pad(x, [
    [0, 0],
    [padTop, rowsRead - padTop - x.shape[1]],
    [padLeft, colsRead - padLeft - x.shape[2]],
    [0, 0],
  ], -Infinity);
  // Gradient accumulated on a padded grid big enough for every placement.
  const gridRows = Math.max(oh * sh + kh - 1, padTop + height);
  const gridCols = Math.max(ow * sw + kw - 1, padLeft + width);
  let grid: TensorInfo | undefined;
  let taken: TensorInfo | undefined;
  const zeros = scope.run("ZerosLike", { x: dy });
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const seen = scope.run("StridedSlice", { x }, {
        begin: [0, i, j, 0],
        end: [n, i + (oh - 1) * sh + 1, j + (ow - 1) * sw + 1, c],
        strides: [1, sh, sw, 1],
        beginMask: 0,
        endMask: 0,
        ellipsisMask: 0,
        newAxisMask: 0,
        shrinkAxisMask: 0,
      });
      let hit = scope.run("Equal", { a: seen, b: output });
      if (taken) {
        hit = scope.run("LogicalAnd", {
          a: hit,
          b: scope.run("LogicalNot", { x: taken }),
        });
        taken = scope.run("LogicalOr", { a: taken, b: hit });
      } else {
        taken = hit;
      }
      const share = scope.run("Select", { condition: hit, t: dy, e: zeros });
      const placed = scope.pad(spread(scope, share, sh, sw), [
        [0, 0],
        [i, gridRows - i - oh * sh],
        [j, gridCols - j - ow * sw],
        [0, 0],
      ]);
      grid = grid ? scope.run("Add", { a: grid, b: placed }) : placed;
    }
  }
  return scope.keep(
    scope.slice(grid!, [0, padTop, padLeft, 0], [n, height, width, c]),
  );
}

/** Replaces tfjs-backend-wasm's MaxPoolGrad (wrong for batch > 1 or channels > 1). */
export const maxPoolGradConfig: tf.KernelConfig = {
  kernelName: tf.MaxPoolGrad,
  backendName: "wasm",
  kernelFunc: maxPoolGrad as unknown as tf.KernelFunc,
};
