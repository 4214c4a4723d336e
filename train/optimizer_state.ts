/**
 * Saving and restoring tfjs Adam state under the model's own variable names.
 *
 * tfjs's Adam keeps its moments in a list matched to gradients by position;
 * genwasm always passes gradients in the group's variable order, so moment i
 * belongs to the group's i-th variable. Saved, they are named after it;
 * restored, they are put back in the same order.
 *
 * @module
 */
import { tf } from "@genwasm/backend/tf";
import type { StoredTensor } from "./safetensors.ts";
import { storeTensor } from "./checkpoint.ts";

interface AdamInternals {
  accumulatedFirstMoment: { variable: tf.Variable }[];
  accumulatedSecondMoment: { variable: tf.Variable }[];
  iterations: number;
}

/** Adam's moments and step count for one group, as checkpoint tensors. */
export function exportAdamState(
  group: string,
  optimizer: tf.AdamOptimizer,
  variables: Map<string, tf.Variable>,
): Map<string, StoredTensor> {
  const adam = optimizer as unknown as AdamInternals;
  const out = new Map<string, StoredTensor>();
  out.set(`optimizer.${group}.iterations`, {
    dtype: "I32",
    shape: [],
    data: new Int32Array([adam.iterations]),
  });
  [...variables.keys()].forEach((name, i) => {
    const first = adam.accumulatedFirstMoment[i],
      second = adam.accumulatedSecondMoment[i];
    if (!first || !second) return; // never stepped yet
    out.set(`optimizer.${group}.${name}.m`, storeTensor(first.variable));
    out.set(`optimizer.${group}.${name}.v`, storeTensor(second.variable));
  });
  return out;
}

/** Puts saved Adam state back into a fresh optimizer for the same group. */
export async function importAdamState(
  group: string,
  optimizer: tf.AdamOptimizer,
  variables: Map<string, tf.Variable>,
  tensors: Map<string, StoredTensor>,
  source: string,
): Promise<void> {
  const iterations = tensors.get(`optimizer.${group}.iterations`);
  if (!iterations) {
    throw new Error(`${source}: has no optimizer state for ${group}`);
  }
  const moments = (suffix: "m" | "v") =>
    [...variables].map(([name, variable]) => {
      const stored = tensors.get(`optimizer.${group}.${name}.${suffix}`);
      if (!stored) return undefined;
      if (stored.shape.join(",") !== variable.shape.join(",")) {
        throw new Error(
          `${source}: optimizer.${group}.${name}.${suffix} has shape [${stored.shape}]`,
        );
      }
      return {
        name: `${variable.name}/${suffix}`,
        tensor: tf.tensor(stored.data, stored.shape),
      };
    });
  const first = moments("m"), second = moments("v");
  if (first.some((m) => !m) || second.some((m) => !m)) {
    if (first.every((m) => !m) && second.every((m) => !m)) return; // saved before any step
    throw new Error(`${source}: optimizer state for ${group} is incomplete`);
  }
  const weights = [
    { name: "iter", tensor: tf.scalar(iterations.data[0], "int32") },
    ...first as { name: string; tensor: tf.Tensor }[],
    ...second as { name: string; tensor: tf.Tensor }[],
  ];
  await optimizer.setWeights(weights);
  tf.dispose(weights.map((w) => w.tensor));
}
