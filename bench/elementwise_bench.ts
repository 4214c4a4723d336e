/**
 * The main elementwise ops of the models (add, mul and activations) on a
 * 64x28x28x32 activation: memory-bound, so timed as elements per second.
 *
 * @module
 */
import { tf } from "../backends/tf.ts";
import { benchKernel, randomInput } from "./_setup.ts";
import {
  ACTIVATION_SHAPE,
  ELEMENTWISE_OPS,
  elementwiseCase,
  type ElementwiseOp,
} from "./_cases.ts";

const left = randomInput<tf.Rank.R4>([...ACTIVATION_SHAPE], 1);
const right = randomInput<tf.Rank.R4>([...ACTIVATION_SHAPE], 2);

const operations: Record<ElementwiseOp, () => tf.Tensor> = {
  add: () => tf.add(left, right),
  mul: () => tf.mul(left, right),
  sigmoid: () => tf.sigmoid(left),
  tanh: () => tf.tanh(left),
  relu: () => tf.relu(left),
  leakyRelu: () => tf.leakyRelu(left, 0.2),
  exp: () => tf.exp(left),
};

for (const op of ELEMENTWISE_OPS) {
  benchKernel(elementwiseCase(op), operations[op]);
}
