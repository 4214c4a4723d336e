/**
 * The canonical flow's convolutions with few channels on one side (batch
 * 64, 3x3, same): the coupling output layers 64 -> 4 at 14x14 and 64 -> 8
 * at 7x7, and the input gradient of the 2 -> 64 first layer, which genwasm
 * runs on its narrow SIMD convolution (XNNPACK leaves most of its 8-wide
 * output lanes empty there).
 *
 * @module
 */
import { tf } from "../backends/tf.ts";
import { benchKernel, randomInput } from "./_setup.ts";
import {
  NARROW_CONV_SHAPES,
  NARROW_INPUT_GRADIENT_SHAPE,
  narrowConvCase,
  narrowInputGradientCase,
} from "./_cases.ts";

for (const conv of NARROW_CONV_SHAPES) {
  const input = randomInput<tf.Rank.R4>(
    [conv.batch, conv.inHeight, conv.inWidth, conv.inChannels],
    1,
  );
  const filter = randomInput<tf.Rank.R4>(
    [conv.kernel, conv.kernel, conv.inChannels, conv.outChannels],
    2,
  );
  benchKernel(
    narrowConvCase(conv),
    () => tf.conv2d(input, filter, 1, "same"),
  );
}

{
  const conv = NARROW_INPUT_GRADIENT_SHAPE;
  const filter = randomInput<tf.Rank.R4>(
    [conv.kernel, conv.kernel, conv.inChannels, conv.outChannels],
    3,
  );
  const outputGradient = randomInput<tf.Rank.R4>(
    [conv.batch, conv.outHeight, conv.outWidth, conv.outChannels],
    4,
  );
  const inShape: [number, number, number, number] = [
    conv.batch,
    conv.inHeight,
    conv.inWidth,
    conv.inChannels,
  ];
  // conv2dTranspose is the Conv2DBackpropInput kernel under another name.
  benchKernel(
    narrowInputGradientCase,
    () => tf.conv2dTranspose(outputGradient, filter, inShape, 1, "same"),
  );
}
