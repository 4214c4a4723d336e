/**
 * Flow layers one after another: the forward pass runs them in order and
 * adds their log-determinants, the inverse runs their inverses backwards.
 * Variables and buffers are named "layer.variable" after the names given.
 *
 * @module
 */
import { tf } from "@genwasm/backend/tf";
import type { Float64FlowLayer } from "./float64.ts";
import { type FlowLayer, type FlowResult, prefixKeys } from "./flow_layer.ts";

/**
 * The composition of named flow layers, itself a flow layer.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { FlowSequence } from "./sequence.ts";
 * import { ActNorm } from "./actnorm.ts";
 * import { Squeeze } from "./squeeze.ts";
 * import { tf } from "../../backends/tf.ts";
 * const flow = new FlowSequence({ squeeze: new Squeeze(), actnorm: new ActNorm(4) });
 * assert.deepEqual(Object.keys(flow.variables), ["actnorm.bias", "actnorm.logScale"]);
 * tf.tidy(() => flow.forward(tf.ones([1, 2, 2, 1])).z.print()); // squeezed to (1, 1, 1, 4)
 * flow.dispose();
 * ```
 */
export class FlowSequence implements FlowLayer {
  readonly layers: Record<string, FlowLayer>;
  readonly variables: Record<string, tf.Variable>;
  readonly buffers: Record<string, tf.Variable>;

  /** @param layers Applied in the order of their keys. */
  constructor(layers: Record<string, FlowLayer>) {
    this.layers = layers;
    const entries = Object.entries(layers);
    this.variables = Object.assign(
      {},
      ...entries.map(([name, layer]) => prefixKeys(name, layer.variables)),
    );
    this.buffers = Object.assign(
      {},
      ...entries.map(([name, layer]) => prefixKeys(name, layer.buffers)),
    );
  }

  forward(x: tf.Tensor4D): FlowResult {
    return tf.tidy(() => {
      let z = x;
      let logDet: tf.Tensor1D | undefined;
      for (const layer of Object.values(this.layers)) {
        const result = layer.forward(z);
        z = result.z;
        logDet = logDet
          ? tf.add(logDet, result.logDet) as tf.Tensor1D
          : result.logDet;
      }
      return { z, logDet: logDet ?? tf.zeros([x.shape[0]]) as tf.Tensor1D };
    });
  }

  inverse(z: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      let x = z;
      for (const layer of Object.values(this.layers).reverse()) {
        x = layer.inverse(x);
      }
      return x;
    });
  }

  float64(): Float64FlowLayer {
    const layers = Object.values(this.layers).map((layer) => layer.float64());
    return {
      forward: (x) => layers.reduce((h, layer) => layer.forward(h), x),
      inverse: (z) => layers.reduceRight((h, layer) => layer.inverse(h), z),
    };
  }

  /** Initialises each layer from its own input: a forward pass that initialises as it goes. */
  initialize(x: tf.Tensor4D): void {
    tf.tidy(() => {
      let input = x;
      for (const layer of Object.values(this.layers)) {
        layer.initialize?.(input);
        input = layer.forward(input).z;
      }
    });
  }

  assertInvertible(): void {
    for (const layer of Object.values(this.layers)) layer.assertInvertible?.();
  }

  dispose(): void {
    for (const layer of Object.values(this.layers)) layer.dispose();
  }
}
