/**
 * A small kit of trainable layers holding `tf.Variable`s: dense, 2-D
 * convolution and 2-D transposed convolution. Layers do no activation; models
 * apply it, so each layer keeps one job. Tensors are NHWC:
 * (batch, height, width, channels).
 *
 * @module
 */
import { tf } from "@genwasm/backend/tf";
import type { Random } from "@genwasm/data/random";
import {
  initialBias,
  initializer,
  type InitializerName,
} from "./initializers.ts";

/** A layer: a function of its input and its variables. */
export interface Layer {
  /** Trainable variables by short name, e.g. `kernel`, `bias`. */
  readonly variables: Record<string, tf.Variable>;
  /** Runs the layer; call it inside `tf.tidy`. */
  apply(input: tf.Tensor): tf.Tensor;
  /** Frees the variables. */
  dispose(): void;
}

/** Settings every layer shares. */
export interface InitOptions {
  /** Source of the initial weights; consumed in construction order. */
  random: Random;
  /** Kernel initialiser; default "glorot". Biases start at zero, except for "torch". */
  init?: InitializerName;
}

type Padding = "same" | "valid";

function makeVariable(values: Float32Array, shape: number[]): tf.Variable {
  const initial = tf.tensor(values, shape);
  const variable = tf.variable(initial, true);
  initial.dispose();
  return variable;
}

function checkSize(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`${name} must be a whole number >= 1, got ${value}`);
  }
}

function disposeAll(variables: Record<string, tf.Variable>): void {
  for (const variable of Object.values(variables)) variable.dispose();
}

/** Options for {@link Dense}. */
export interface DenseOptions extends InitOptions {
  inputSize: number;
  outputSize: number;
}

/**
 * Fully connected layer: y = x W + b, x of shape (batch, inputSize).
 *
 * @example
 * ```ts
 * import { Dense } from "./layers.ts";
 * import { mulberry32 } from "../data/random.ts";
 * import { tf } from "../backends/tf.ts";
 * const dense = new Dense({ inputSize: 3, outputSize: 2, random: mulberry32(0) });
 * tf.tidy(() => dense.apply(tf.ones([4, 3])).print()); // shape (4, 2), four equal rows
 * dense.dispose();
 * ```
 */
export class Dense implements Layer {
  readonly variables: { kernel: tf.Variable; bias: tf.Variable };

  constructor(
    { inputSize, outputSize, random, init = "glorot" }: DenseOptions,
  ) {
    checkSize("inputSize", inputSize);
    checkSize("outputSize", outputSize);
    const kernel = initializer(init)(
      inputSize * outputSize,
      inputSize,
      outputSize,
      random,
    );
    this.variables = {
      kernel: makeVariable(kernel, [inputSize, outputSize]),
      bias: makeVariable(
        initialBias(init, outputSize, inputSize, random),
        [outputSize],
      ),
    };
  }

  apply(input: tf.Tensor): tf.Tensor2D {
    const { kernel, bias } = this.variables;
    return tf.add(tf.matMul(input as tf.Tensor2D, kernel), bias);
  }

  dispose(): void {
    disposeAll(this.variables);
  }
}

/** Options for {@link Conv2D} and {@link Conv2DTranspose}. */
export interface ConvOptions extends InitOptions {
  inputChannels: number;
  outputChannels: number;
  /** Side of the square kernel. */
  kernelSize: number;
  /** Step in both directions; default 1. */
  strides?: number;
  /** Default "same". */
  padding?: Padding;
}

/**
 * 2-D convolution with bias. With "same" padding the output is
 * ceil(input / strides) on each side.
 *
 * @example 28 x 28 -> 14 x 14
 * ```ts
 * import assert from "node:assert/strict";
 * import { Conv2D } from "./layers.ts";
 * import { mulberry32 } from "../data/random.ts";
 * import { tf } from "../backends/tf.ts";
 * const conv = new Conv2D({
 *   inputChannels: 1, outputChannels: 16, kernelSize: 4, strides: 2,
 *   random: mulberry32(0),
 * });
 * assert.deepEqual(tf.tidy(() => conv.apply(tf.zeros([2, 28, 28, 1])).shape), [2, 14, 14, 16]);
 * conv.dispose();
 * ```
 */
export class Conv2D implements Layer {
  readonly variables: { kernel: tf.Variable; bias: tf.Variable };
  readonly strides: number;
  readonly padding: Padding;

  constructor(
    {
      inputChannels,
      outputChannels,
      kernelSize,
      strides = 1,
      padding = "same",
      random,
      init = "glorot",
    }: ConvOptions,
  ) {
    checkSize("inputChannels", inputChannels);
    checkSize("outputChannels", outputChannels);
    checkSize("kernelSize", kernelSize);
    checkSize("strides", strides);
    this.strides = strides;
    this.padding = padding;
    const area = kernelSize * kernelSize;
    const kernel = initializer(init)(
      area * inputChannels * outputChannels,
      area * inputChannels,
      area * outputChannels,
      random,
    );
    this.variables = {
      // (height, width, inputChannels, outputChannels)
      kernel: makeVariable(kernel, [
        kernelSize,
        kernelSize,
        inputChannels,
        outputChannels,
      ]),
      bias: makeVariable(
        initialBias(init, outputChannels, area * inputChannels, random),
        [outputChannels],
      ),
    };
  }

  /**
   * The convolution plus bias, and `activation` after it, as one fused call
   * (XNNPACK adds the bias in the GEMM's output stage; tfjs fuses the ReLU
   * only where no gradient is recorded, and unfuses it otherwise).
   */
  apply(
    input: tf.Tensor,
    activation: "linear" | "relu" = "linear",
  ): tf.Tensor4D {
    const { kernel, bias } = this.variables;
    return tf.fused.conv2d({
      x: input as tf.Tensor4D,
      filter: kernel as tf.Tensor4D,
      strides: this.strides,
      pad: this.padding,
      bias,
      activation,
    });
  }

  dispose(): void {
    disposeAll(this.variables);
  }
}

/**
 * 2-D transposed convolution with bias, the upsampling mirror of
 * {@link Conv2D}: with "same" padding the output is input * strides on each
 * side, with "valid" it is (input - 1) * strides + kernelSize.
 *
 * @example 7 x 7 -> 14 x 14
 * ```ts
 * import assert from "node:assert/strict";
 * import { Conv2DTranspose } from "./layers.ts";
 * import { mulberry32 } from "../data/random.ts";
 * import { tf } from "../backends/tf.ts";
 * const up = new Conv2DTranspose({
 *   inputChannels: 32, outputChannels: 16, kernelSize: 4, strides: 2,
 *   random: mulberry32(0),
 * });
 * assert.deepEqual(tf.tidy(() => up.apply(tf.zeros([2, 7, 7, 32])).shape), [2, 14, 14, 16]);
 * up.dispose();
 * ```
 */
export class Conv2DTranspose implements Layer {
  readonly variables: { kernel: tf.Variable; bias: tf.Variable };
  readonly strides: number;
  readonly padding: Padding;
  readonly kernelSize: number;
  readonly outputChannels: number;

  constructor(
    {
      inputChannels,
      outputChannels,
      kernelSize,
      strides = 1,
      padding = "same",
      random,
      init = "glorot",
    }: ConvOptions,
  ) {
    checkSize("inputChannels", inputChannels);
    checkSize("outputChannels", outputChannels);
    checkSize("kernelSize", kernelSize);
    checkSize("strides", strides);
    this.strides = strides;
    this.padding = padding;
    this.kernelSize = kernelSize;
    this.outputChannels = outputChannels;
    const area = kernelSize * kernelSize;
    const kernel = initializer(init)(
      area * inputChannels * outputChannels,
      area * inputChannels,
      area * outputChannels,
      random,
    );
    this.variables = {
      // (height, width, outputChannels, inputChannels), as tf.conv2dTranspose wants
      kernel: makeVariable(kernel, [
        kernelSize,
        kernelSize,
        outputChannels,
        inputChannels,
      ]),
      bias: makeVariable(
        initialBias(init, outputChannels, area * inputChannels, random),
        [outputChannels],
      ),
    };
  }

  /** Side of the output for an input side of `size`. */
  outputSize(size: number): number {
    return this.padding === "same"
      ? size * this.strides
      : (size - 1) * this.strides + this.kernelSize;
  }

  apply(input: tf.Tensor): tf.Tensor4D {
    const { kernel, bias } = this.variables;
    const [batch, height, width] = input.shape;
    const output = tf.conv2dTranspose(
      input as tf.Tensor4D,
      kernel as tf.Tensor4D,
      [
        batch,
        this.outputSize(height),
        this.outputSize(width),
        this.outputChannels,
      ],
      this.strides,
      this.padding,
    );
    return tf.add(output, bias);
  }

  dispose(): void {
    disposeAll(this.variables);
  }
}

/**
 * Flattens named layers' variables into one table keyed "layer/variable",
 * the names checkpoints and optimisers use.
 *
 * @param layers Layers by name.
 * @returns Every variable, e.g. `{ "encoder1/kernel": ..., "encoder1/bias": ... }`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Dense, namedVariables } from "./layers.ts";
 * import { mulberry32 } from "../data/random.ts";
 * const random = mulberry32(0);
 * const dense = new Dense({ inputSize: 2, outputSize: 2, random });
 * assert.deepEqual(Object.keys(namedVariables({ dense })), ["dense/kernel", "dense/bias"]);
 * dense.dispose();
 * ```
 */
export function namedVariables(
  layers: Record<string, Layer>,
): Record<string, tf.Variable> {
  const variables: Record<string, tf.Variable> = {};
  for (const [layerName, layer] of Object.entries(layers)) {
    for (const [name, variable] of Object.entries(layer.variables)) {
      variables[`${layerName}/${name}`] = variable;
    }
  }
  return variables;
}
