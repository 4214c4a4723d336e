/**
 * Our weights as a PyTorch state dict and back: the layout transforms
 * (TensorFlow.js keeps NHWC activations and HWIO kernels, PyTorch NCHW and
 * OIHW) and the checks that refuse a state dict of another model. Each
 * family lists, for each of its variables, the PyTorch key and the layout
 * (its `torch_names.ts`); this module moves the numbers. Plain arrays in,
 * plain arrays out: no tensors, no engine.
 *
 * Layouts, ours -> PyTorch:
 * - `same`: biases, norm scales and offsets, embedding tables.
 * - `conv`: kernel (h, w, in, out) -> weight (out, in, h, w).
 * - `conv-transpose`: kernel (h, w, out, in) -> weight (in, out, h, w),
 *   as `nn.ConvTranspose2d` stores it (both are the adjoint of a
 *   convolution; no flip).
 * - `dense`: kernel (in, out) -> weight (out, in); when the input is a
 *   flattened (h, w, c) image (`inputImage`) its rows are reordered from
 *   our (h, w, c) flattening to PyTorch's (c, h, w); likewise the columns
 *   of a dense layer whose output becomes an image (`outputImage`).
 * - `features`: a vector over a flattened (h, w, c) image (the bias of such
 *   a dense layer, the BatchNorm1d after it) reordered to (c, h, w).
 * - `matrix`: the flow's channel matrix M (z = x M over channels) -> the
 *   1x1 convolution weight W = M^T (z = W x).
 * - `channels`: a per-channel vector (c) -> (1, c, 1, 1) (ActNorm).
 *
 * @module
 */

/** How one of our tensors is laid out in PyTorch (see the module doc). */
export type TorchLayout =
  | { kind: "same" }
  | { kind: "conv" }
  | { kind: "conv-transpose" }
  | {
    kind: "dense";
    /** The input is a flattened (h, w, c) image. */
    inputImage?: readonly [number, number, number];
    /** The output is reshaped to an (h, w, c) image. */
    outputImage?: readonly [number, number, number];
  }
  | { kind: "features"; image: readonly [number, number, number] }
  | { kind: "matrix" }
  | { kind: "channels" };

/** A tensor as plain data: the shape and values of one state dict entry. */
export interface HostTensor {
  /** safetensors' dtype: F32 for weights, I64 for `num_batches_tracked`. */
  dtype: "F32" | "I64";
  shape: number[];
  data: Float32Array | BigInt64Array;
}

/** One of our variables (or buffers) and its PyTorch key. */
export interface TorchEntry {
  /** The PyTorch key, e.g. `generator.deconv1.weight`. */
  key: string;
  /** Our variable's name (a weight, or a buffer when `buffer` is set). */
  ours: string;
  /** Whether `ours` names a buffer (BatchNorm running statistics). */
  buffer?: boolean;
  layout: TorchLayout;
}

/**
 * A state dict entry with no variable of ours behind it: BatchNorm's
 * `num_batches_tracked`, the U-Net's sinusoidal `features` buffer. Export
 * writes `tensor`; import checks its dtype and shape and ignores its values.
 */
export interface TorchConstant {
  key: string;
  tensor: HostTensor;
}

/** A model's whole state dict, as its family declares it. */
export interface TorchMapping {
  /**
   * The reference module that loads it, as a Python expression in
   * `bench/peers/models.py`, e.g. `Vae(latent_size=16, base_width=32)`.
   */
  module: string;
  entries: TorchEntry[];
  constants: TorchConstant[];
  /**
   * Buffers of ours with no PyTorch counterpart, and the value import sets
   * them to (the flow's ActNorm `initialized` flag: 1, the weights are
   * trained).
   */
  fills: { ours: string; value: number }[];
}

/**
 * Rearranges the axes of a row-major array: the result has shape
 * `perm.map((axis) => shape[axis])`, and element [i0, i1, ...] of the
 * result is the element of `data` whose index along `perm[k]` is `ik`
 * (numpy's `transpose`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { permuteAxes } from "./torch_layout.ts";
 * // (2, 3) -> (3, 2)
 * const t = permuteAxes(Float32Array.of(1, 2, 3, 4, 5, 6), [2, 3], [1, 0]);
 * assert.deepEqual([...t], [1, 4, 2, 5, 3, 6]);
 * ```
 */
export function permuteAxes(
  data: Float32Array,
  shape: readonly number[],
  perm: readonly number[],
): Float32Array {
  const rank = shape.length;
  const strides = new Array<number>(rank);
  let stride = 1;
  for (let axis = rank - 1; axis >= 0; axis--) {
    strides[axis] = stride;
    stride *= shape[axis];
  }
  if (stride !== data.length) {
    throw new Error(
      `shape [${shape}] holds ${stride} values, the data has ${data.length}`,
    );
  }
  const outShape = perm.map((axis) => shape[axis]);
  const outStrides = perm.map((axis) => strides[axis]);
  const out = new Float32Array(data.length);
  const index = new Array<number>(rank).fill(0);
  let source = 0;
  for (let i = 0; i < out.length; i++) {
    out[i] = data[source];
    // Odometer over the output's axes, last fastest.
    for (let k = rank - 1; k >= 0; k--) {
      index[k]++;
      source += outStrides[k];
      if (index[k] < outShape[k]) break;
      source -= outStrides[k] * outShape[k];
      index[k] = 0;
    }
  }
  return out;
}

/** The inverse of a permutation: `inverse[perm[k]] = k`. */
function invert(perm: readonly number[]): number[] {
  const inverse = new Array<number>(perm.length);
  perm.forEach((axis, k) => inverse[axis] = k);
  return inverse;
}

/**
 * How a layout moves data: view our array with shape `view`, permute its
 * axes by `perm`, and read the result with shape `torch`.
 */
interface Plan {
  view: number[];
  perm: number[];
  torch: number[];
}

function plan(layout: TorchLayout, ours: readonly number[]): Plan {
  const fail = (): never => {
    throw new Error(
      `layout ${layout.kind} does not fit a tensor of shape [${ours}]`,
    );
  };
  const size = (image: readonly number[]) => image[0] * image[1] * image[2];
  switch (layout.kind) {
    case "same":
      return { view: [...ours], perm: ours.map((_, i) => i), torch: [...ours] };
    case "conv":
    case "conv-transpose": {
      if (ours.length !== 4) fail();
      const [h, w, a, b] = ours;
      return { view: [h, w, a, b], perm: [3, 2, 0, 1], torch: [b, a, h, w] };
    }
    case "matrix": {
      if (ours.length !== 2 || ours[0] !== ours[1]) fail();
      return { view: [...ours], perm: [1, 0], torch: [ours[1], ours[0]] };
    }
    case "channels": {
      if (ours.length !== 1) fail();
      return { view: [...ours], perm: [0], torch: [1, ours[0], 1, 1] };
    }
    case "features": {
      if (ours.length !== 1 || ours[0] !== size(layout.image)) fail();
      const [h, w, c] = layout.image;
      return { view: [h, w, c], perm: [2, 0, 1], torch: [...ours] };
    }
    case "dense": {
      if (ours.length !== 2) fail();
      const [inputs, outputs] = ours;
      const { inputImage, outputImage } = layout;
      if (inputImage && outputImage) fail();
      if (inputImage) {
        if (size(inputImage) !== inputs) fail();
        const [h, w, c] = inputImage;
        // (h, w, c, out) -> (out, c, h, w)
        return {
          view: [h, w, c, outputs],
          perm: [3, 2, 0, 1],
          torch: [outputs, inputs],
        };
      }
      if (outputImage) {
        if (size(outputImage) !== outputs) fail();
        const [h, w, c] = outputImage;
        // (in, h, w, c) -> (c, h, w, in)
        return {
          view: [inputs, h, w, c],
          perm: [3, 1, 2, 0],
          torch: [outputs, inputs],
        };
      }
      return {
        view: [inputs, outputs],
        perm: [1, 0],
        torch: [outputs, inputs],
      };
    }
  }
}

/** The PyTorch shape of one of our tensors of shape `ours`. */
export function torchShape(
  layout: TorchLayout,
  ours: readonly number[],
): number[] {
  return plan(layout, ours).torch;
}

/**
 * Our values in PyTorch's layout.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { toTorch } from "./torch_layout.ts";
 * // A 1x1 convolution from 2 channels to 3: HWIO (1, 1, 2, 3) -> OIHW (3, 2, 1, 1).
 * const kernel = Float32Array.of(1, 2, 3, 4, 5, 6); // [in][out]
 * const { shape, data } = toTorch({ kind: "conv" }, [1, 1, 2, 3], kernel);
 * assert.deepEqual(shape, [3, 2, 1, 1]);
 * assert.deepEqual([...data], [1, 4, 2, 5, 3, 6]); // [out][in]
 * ```
 */
export function toTorch(
  layout: TorchLayout,
  ours: readonly number[],
  data: Float32Array,
): { shape: number[]; data: Float32Array } {
  const { view, perm, torch } = plan(layout, ours);
  return { shape: torch, data: permuteAxes(data, view, perm) };
}

/**
 * PyTorch's values (in the shape {@link torchShape} gives) in our layout,
 * for our tensor of shape `ours`.
 */
export function fromTorch(
  layout: TorchLayout,
  ours: readonly number[],
  data: Float32Array,
): Float32Array {
  const { view, perm } = plan(layout, ours);
  return permuteAxes(data, perm.map((axis) => view[axis]), invert(perm));
}

/** `num_batches_tracked` of a BatchNorm: an int64 scalar. */
export function batchCount(count: number): HostTensor {
  return { dtype: "I64", shape: [], data: BigInt64Array.of(BigInt(count)) };
}

/**
 * The entries of one BatchNorm layer: `gamma`, `beta` and the running
 * statistics of ours (named `<ours>.gamma` etc.) as PyTorch's `<key>.weight`,
 * `.bias`, `.running_mean`, `.running_var`, with `layout` (`same`, or
 * `features` for a BatchNorm1d over a flattened image).
 */
export function batchNormEntries(
  ours: string,
  key: string,
  layout: TorchLayout = { kind: "same" },
): TorchEntry[] {
  return [
    { key: `${key}.weight`, ours: `${ours}.gamma`, layout },
    { key: `${key}.bias`, ours: `${ours}.beta`, layout },
    {
      key: `${key}.running_mean`,
      ours: `${ours}.runningMean`,
      buffer: true,
      layout,
    },
    {
      key: `${key}.running_var`,
      ours: `${ours}.runningVariance`,
      buffer: true,
      layout,
    },
  ];
}

/**
 * A weight/bias pair: our `<ours><sep>kernel` and `<ours><sep>bias` as
 * `<key>.weight` (in `layout`) and `<key>.bias`.
 */
export function layerEntries(
  ours: string,
  key: string,
  layout: TorchLayout,
  { separator = ".", biasLayout = { kind: "same" } as TorchLayout } = {},
): TorchEntry[] {
  return [
    { key: `${key}.weight`, ours: `${ours}${separator}kernel`, layout },
    { key: `${key}.bias`, ours: `${ours}${separator}bias`, layout: biasLayout },
  ];
}

/** What {@link fromStateDict} needs to know of each of our tensors. */
export type OurShapes = ReadonlyMap<string, readonly number[]>;

/**
 * Checks a state dict against `mapping` and returns our values by our
 * names (weights and buffers together). Refuses, in one line that starts
 * with `source` and names the key: a missing key, an extra key, a wrong
 * dtype or shape (both shapes given); nothing is returned then.
 *
 * @param mapping The model's entries, from its family.
 * @param shapes Our shape of each entry's `ours`.
 * @param tensors The state dict by key.
 * @param source The file, for messages.
 * @param model The model's name, for messages (e.g. "vae").
 */
export function fromStateDict(
  mapping: TorchMapping,
  shapes: OurShapes,
  tensors: ReadonlyMap<
    string,
    { dtype: string; shape: readonly number[]; data: ArrayLike<unknown> }
  >,
  source: string,
  model: string,
): Map<string, Float32Array> {
  const fail = (why: string): never => {
    throw new Error(`${source}: ${why}`);
  };
  const expected = new Map<string, { dtype: string; shape: number[] }>();
  for (const entry of mapping.entries) {
    const ours = shapes.get(entry.ours);
    if (!ours) throw new Error(`${model} has no tensor ${entry.ours}`);
    expected.set(entry.key, {
      dtype: "F32",
      shape: torchShape(entry.layout, ours),
    });
  }
  for (const { key, tensor } of mapping.constants) {
    expected.set(key, { dtype: tensor.dtype, shape: tensor.shape });
  }
  const keys = [...tensors.keys()];
  if (!keys.some((key) => expected.has(key))) {
    fail(
      `not a ${model} state dict: none of its ${keys.length} keys (${
        keys.slice(0, 3).join(", ")
      }${
        keys.length > 3 ? ", ..." : ""
      }) is one of ${model}'s ${expected.size} (${
        [...expected.keys()].slice(0, 3).join(", ")
      }, ...)`,
    );
  }
  for (const key of expected.keys()) {
    if (!tensors.has(key)) {
      fail(
        `missing key ${key} (shape [${
          expected.get(key)!.shape
        }]) of a ${model} state dict`,
      );
    }
  }
  for (const key of keys) {
    if (!expected.has(key)) {
      fail(
        `unexpected key ${key} (shape [${
          tensors.get(key)!.shape
        }]): not in a ${model} state dict`,
      );
    }
  }
  for (const [key, want] of expected) {
    const got = tensors.get(key)!;
    if (got.dtype !== want.dtype) {
      fail(
        `key ${key} is ${got.dtype} [${got.shape}], ${model} needs ${want.dtype} [${want.shape}]`,
      );
    }
    if (got.shape.join(",") !== want.shape.join(",")) {
      fail(
        `key ${key} has shape [${got.shape}], ${model} needs [${want.shape}]`,
      );
    }
  }
  const values = new Map<string, Float32Array>();
  for (const entry of mapping.entries) {
    const stored = tensors.get(entry.key)!.data as Float32Array;
    values.set(
      entry.ours,
      fromTorch(entry.layout, shapes.get(entry.ours)!, stored),
    );
  }
  return values;
}

/**
 * Our tensors as a PyTorch state dict, in `mapping`'s order (constants
 * last).
 *
 * @param read Our values and shape of each entry's `ours`.
 */
export function toStateDict(
  mapping: TorchMapping,
  read: (ours: string) => { shape: readonly number[]; data: Float32Array },
): Map<string, HostTensor> {
  const out = new Map<string, HostTensor>();
  for (const entry of mapping.entries) {
    const { shape, data } = read(entry.ours);
    out.set(entry.key, { dtype: "F32", ...toTorch(entry.layout, shape, data) });
  }
  for (const { key, tensor } of mapping.constants) out.set(key, tensor);
  return out;
}

/**
 * Throws unless a config value is one the reference modules take: one line
 * naming the model, the key and both values.
 */
export function requireReference(
  preset: string,
  key: string,
  value: unknown,
  wanted: unknown,
): void {
  if (JSON.stringify(value) !== JSON.stringify(wanted)) {
    throw new Error(
      `${preset} has ${key} ${
        JSON.stringify(value)
      }; the PyTorch reference module (bench/peers/models.py) takes ${key} ${
        JSON.stringify(wanted)
      } only, so it has no PyTorch state dict`,
    );
  }
}

/**
 * Throws for a model conditioned on text: the reference modules have no
 * prompt encoder.
 */
export function requireNoText(preset: string, text: unknown): void {
  if (text) {
    throw new Error(
      `${preset} has a text block; the PyTorch reference module ` +
        "(bench/peers/models.py) has no prompt encoder, so it has no PyTorch state dict",
    );
  }
}
