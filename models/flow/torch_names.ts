/**
 * The image flow as a PyTorch state dict of `Flow` in
 * bench/peers/models.py: each of our variables, its key there and its
 * layout (see ../torch_layout.ts).
 *
 * @module
 */
import {
  layerEntries,
  requireReference,
  type TorchEntry,
  type TorchMapping,
} from "../torch_layout.ts";
import type { FlowConfig } from "./presets.ts";

/** Our coupling network's convolutions -> their index in `nn.Sequential`. */
const NETWORK_INDEX = { conv1: 0, conv2: 2, conv3: 4 } as const;

/**
 * The state dict of a flow with `config`: per level L (1, 2) and step i
 * (from 0, ours count from 1) `levelL.i.actnorm.{bias, log_scale}` (shape
 * (1, c, 1, 1)), `levelL.i.permutation.kernel` (the transpose of our
 * channel matrix: PyTorch convolves z = W x, we multiply z = x M) and
 * `levelL.i.coupling.network.{0, 2, 4}.{weight, bias}`. The squeeze needs
 * no weights and orders channels alike (dy * 2c + dx * c + c). ActNorm's
 * `initialized` flag has no counterpart: import sets it.
 *
 * @throws Error for a config the reference module does not take: other
 * than 2 levels, LU or fixed permutations, additive couplings, an image
 * other than 28 x 28 grey.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { flowTorchNames } from "./torch_names.ts";
 * import { FLOW_PRESETS } from "./presets.ts";
 * const mapping = flowTorchNames("flow", FLOW_PRESETS.flow);
 * assert.equal(mapping.entries.length, 8 * 9);
 * ```
 */
export function flowTorchNames(
  preset: string,
  config: FlowConfig,
): TorchMapping {
  requireReference(preset, "imageSize", config.imageSize, 28);
  requireReference(preset, "channels", config.channels, 1);
  requireReference(preset, "levels", config.levels, 2);
  requireReference(preset, "permutation", config.permutation, "conv");
  requireReference(preset, "coupling", config.coupling, "affine");
  const entries: TorchEntry[] = [];
  const fills: TorchMapping["fills"] = [];
  for (let level = 1; level <= config.levels; level++) {
    for (let step = 1; step <= config.stepsPerLevel; step++) {
      const ours = `level${level}.step${step}`;
      const key = `level${level}.${step - 1}`;
      entries.push(
        {
          key: `${key}.actnorm.bias`,
          ours: `${ours}.actnorm.bias`,
          layout: { kind: "channels" },
        },
        {
          key: `${key}.actnorm.log_scale`,
          ours: `${ours}.actnorm.logScale`,
          layout: { kind: "channels" },
        },
        {
          key: `${key}.permutation.kernel`,
          ours: `${ours}.permutation.kernel`,
          layout: { kind: "matrix" },
        },
      );
      for (const [conv, index] of Object.entries(NETWORK_INDEX)) {
        entries.push(
          ...layerEntries(
            `${ours}.coupling.network.${conv}`,
            `${key}.coupling.network.${index}`,
            { kind: "conv" },
          ),
        );
      }
      fills.push({ ours: `${ours}.actnorm.initialized`, value: 1 });
    }
  }
  return {
    module:
      `Flow(steps_per_level=${config.stepsPerLevel}, hidden=${config.couplingWidth})`,
    entries,
    constants: [],
    fills,
  };
}
