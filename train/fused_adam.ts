/**
 * Adam with one kernel per variable on wasm: tfjs's AdamOptimizer, its
 * state and checkpoint format unchanged (the moments, accBeta1/2 and the
 * iteration count where tfjs keeps them), with `applyGradients` calling
 * `@genwasm/backend`'s GenwasmAdam kernel instead of ~14 elementwise kernels
 * and their scalar tensors per variable. On other backends it is tfjs's.
 *
 * @module
 */
import { tf } from "@genwasm/backend/tf";
import { ADAM } from "@genwasm/backend/kernel_names";

/** The private state of tfjs's AdamOptimizer that this class shares. */
interface AdamState {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: { originalName: string; variable: tf.Variable }[];
  accumulatedSecondMoment: { originalName: string; variable: tf.Variable }[];
  incrementIterations(): void;
}

/** What tfjs's optimisers take: gradients by variable name, as a map or a list. */
type AdamGradients = Parameters<tf.AdamOptimizer["applyGradients"]>[0];

/**
 * tfjs's Adam, fused on wasm.
 *
 * @example Two steps on a quadratic
 * ```ts
 * import assert from "node:assert/strict";
 * import { initEngine, tf } from "@genwasm/backend";
 * import { FusedAdam } from "./fused_adam.ts";
 * await initEngine({ threads: 1 });
 * const x = tf.variable(tf.tensor1d([1, -2]));
 * const adam = new FusedAdam(0.1, 0.9, 0.999, 1e-8);
 * for (let i = 0; i < 2; i++) adam.minimize(() => tf.sum(tf.square(x)));
 * // Adam's first steps move each weight by about the learning rate.
 * assert.deepEqual(
 *   Array.from(x.dataSync(), (v) => Math.round(v * 10) / 10),
 *   [0.8, -1.8],
 * );
 * ```
 */
export class FusedAdam extends tf.AdamOptimizer {
  override applyGradients(variableGradients: AdamGradients): void {
    if (tf.getBackend() !== "wasm" || !tf.getKernel(ADAM, "wasm")) {
      super.applyGradients(variableGradients);
      return;
    }
    const state = this as unknown as AdamState;
    const names = Array.isArray(variableGradients)
      ? variableGradients.map((v) => v.name)
      : Object.keys(variableGradients);
    tf.tidy(() => {
      // As tfjs: 1 - beta^t in float32 from the running products.
      const firstCorrection = Math.fround(1 - state.accBeta1.dataSync()[0]);
      const secondCorrection = Math.fround(1 - state.accBeta2.dataSync()[0]);
      const attrs = {
        learningRate: state.learningRate,
        beta1: state.beta1,
        beta2: state.beta2,
        epsilon: state.epsilon,
        firstCorrection,
        secondCorrection,
      } as unknown as tf.NamedAttrMap;
      names.forEach((name, i) => {
        const value = tf.engine().registeredVariables[name];
        state.accumulatedFirstMoment[i] ??= {
          originalName: `${name}/m`,
          variable: tf.tidy(() => tf.zerosLike(value).variable(false)),
        };
        state.accumulatedSecondMoment[i] ??= {
          originalName: `${name}/v`,
          variable: tf.tidy(() => tf.zerosLike(value).variable(false)),
        };
        const gradient: tf.Tensor | undefined = Array.isArray(variableGradients)
          ? variableGradients[i].tensor
          : variableGradients[name];
        if (gradient == null) return;
        const m = state.accumulatedFirstMoment[i].variable;
        const v = state.accumulatedSecondMoment[i].variable;
        const [newValue, newM, newV] = tf.engine().runKernel(
          ADAM,
          { value, m, v, gradient },
          attrs,
        ) as tf.Tensor[];
        m.assign(newM);
        v.assign(newV);
        value.assign(newValue);
      });
      state.accBeta1.assign(tf.mul(state.accBeta1, state.beta1));
      state.accBeta2.assign(tf.mul(state.accBeta2, state.beta2));
    });
    state.incrementIterations();
  }
}
