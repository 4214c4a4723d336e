/**
 * The target conv shape (batch 32, 28x28, 32 -> 64 channels, 3x3, same):
 * forward, input gradient and filter gradient, as one training step runs them.
 *
 * @module
 */
import { tf } from "../backends/tf.ts";
import { benchKernel, randomInput } from "./_setup.ts";
import {
  CONV_TARGET,
  convBackwardFilterCase,
  convBackwardInputCase,
  convForwardCase,
} from "./_cases.ts";

const {
  batch,
  inHeight,
  inWidth,
  inChannels,
  outHeight,
  outWidth,
  outChannels,
  kernel,
  stride,
} = CONV_TARGET;
const inShape: [number, number, number, number] = [
  batch,
  inHeight,
  inWidth,
  inChannels,
];
const filterShape: [number, number, number, number] = [
  kernel,
  kernel,
  inChannels,
  outChannels,
];

const input = randomInput<tf.Rank.R4>(inShape, 1);
const filter = randomInput<tf.Rank.R4>(filterShape, 2);
const outputGradient = randomInput<tf.Rank.R4>(
  [batch, outHeight, outWidth, outChannels],
  3,
);

benchKernel(
  convForwardCase,
  () => tf.conv2d(input, filter, stride, "same"),
);

// conv2dTranspose is the Conv2DBackpropInput kernel under another name.
benchKernel(
  convBackwardInputCase,
  () => tf.conv2dTranspose(outputGradient, filter, inShape, stride, "same"),
);

// No public op reaches the filter gradient alone; call the kernel directly.
benchKernel(
  convBackwardFilterCase,
  () =>
    tf.engine().runKernel(
      "Conv2DBackpropFilter",
      { x: input, dy: outputGradient },
      {
        strides: [stride, stride],
        pad: "same",
        dataFormat: "NHWC",
        filterShape,
      },
    ) as tf.Tensor,
);
