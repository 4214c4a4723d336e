/**
 * Group norm on a 64x28x28x32 activation with 8 groups, written with plain tf
 * ops (reshape, moments, normalise, scale and shift) as a model would.
 *
 * @module
 */
import { tf } from "../backends/tf.ts";
import { benchKernel, randomInput } from "./_setup.ts";
import {
  ACTIVATION_SHAPE,
  GROUP_NORM_GROUPS,
  groupNormCase,
} from "./_cases.ts";

/** Group norm over NHWC `x`: statistics per sample and per group of channels. */
export function groupNorm(
  x: tf.Tensor4D,
  scale: tf.Tensor1D,
  offset: tf.Tensor1D,
  groups: number,
  epsilon = 1e-5,
): tf.Tensor4D {
  const [batch, height, width, channels] = x.shape;
  const grouped = tf.reshape(x, [
    batch,
    height,
    width,
    groups,
    channels / groups,
  ]);
  const { mean, variance } = tf.moments(grouped, [1, 2, 4], true);
  const normalised = tf.mul(
    tf.sub(grouped, mean),
    tf.rsqrt(tf.add(variance, epsilon)),
  );
  return tf.add(tf.mul(tf.reshape(normalised, x.shape), scale), offset);
}

const channels = ACTIVATION_SHAPE[3];
const input = randomInput<tf.Rank.R4>([...ACTIVATION_SHAPE], 1);
const scale = randomInput<tf.Rank.R1>([channels], 2);
const offset = randomInput<tf.Rank.R1>([channels], 3);

benchKernel(
  groupNormCase,
  () => groupNorm(input, scale, offset, GROUP_NORM_GROUPS),
);
