/**
 * The canonical DCGAN generator's transposed convs on MNIST-sized images
 * (batch 64, 4x4, stride 2, same): 7x7x128 -> 14x14x64 and 14x14x64 -> 28x28x1.
 *
 * @module
 */
import { tf } from "../backends/tf.ts";
import { benchKernel, randomInput } from "./_setup.ts";
import { CONV_TRANSPOSE_SHAPES, convTransposeCase } from "./_cases.ts";

for (const conv of CONV_TRANSPOSE_SHAPES) {
  // Geometry is that of the forward conv: its output is this op's input.
  const input = randomInput<tf.Rank.R4>(
    [conv.batch, conv.outHeight, conv.outWidth, conv.outChannels],
    1,
  );
  const filter = randomInput<tf.Rank.R4>(
    [conv.kernel, conv.kernel, conv.inChannels, conv.outChannels],
    2,
  );
  const outputShape: [number, number, number, number] = [
    conv.batch,
    conv.inHeight,
    conv.inWidth,
    conv.inChannels,
  ];
  benchKernel(
    convTransposeCase(conv),
    () => tf.conv2dTranspose(input, filter, outputShape, conv.stride, "same"),
  );
}
