/**
 * One step of flow (Glow section 3): ActNorm -> channel mixing -> coupling,
 * as a {@link FlowSequence} whose layers are named `actnorm`,
 * `permutation` and `coupling`. The mixing is Glow's invertible 1x1
 * convolution (plain or LU) or a fixed reverse or shuffle (RealNVP).
 *
 * @module
 */
import type { Random } from "@genwasm/data/random";
import { ActNorm } from "./actnorm.ts";
import { ChannelPermutation } from "./channel_permutation.ts";
import { Coupling, type CouplingKind } from "./coupling.ts";
import type { FlowLayer } from "./flow_layer.ts";
import { InvertibleConv } from "./invertible_conv.ts";
import { LuInvertibleConv } from "./lu_invertible_conv.ts";
import { FlowSequence } from "./sequence.ts";

/**
 * How a step mixes channels: "conv" (invertible 1x1 convolution), "conv-lu"
 * (the same, LU-parameterised), "reverse" or "shuffle" (fixed).
 */
export type PermutationKind = "conv" | "conv-lu" | "reverse" | "shuffle";

/** The names {@link PermutationKind} takes. */
export const PERMUTATION_KINDS: readonly PermutationKind[] = [
  "conv",
  "conv-lu",
  "reverse",
  "shuffle",
];

/**
 * The channel-mixing layer of a step.
 *
 * @param label Where it sits, for the singular-matrix error.
 * @throws Error for an unknown kind.
 */
export function createPermutation(
  kind: PermutationKind,
  channels: number,
  random: Random,
  label: string,
): FlowLayer {
  switch (kind) {
    case "conv":
      return new InvertibleConv({ channels, random, label });
    case "conv-lu":
      return new LuInvertibleConv({ channels, random, label });
    case "reverse":
    case "shuffle":
      return new ChannelPermutation(channels, kind, random);
    default:
      throw new Error(
        `unknown permutation "${kind}": use ${PERMUTATION_KINDS.join(", ")}`,
      );
  }
}

/** Options of {@link createFlowStep}. */
export interface FlowStepOptions {
  channels: number;
  coupling: CouplingKind;
  permutation: PermutationKind;
  /** Hidden width of the coupling network. */
  hiddenChannels: number;
  /** Kernel sides of the coupling network, e.g. [3, 1, 3]. */
  kernelSizes: readonly [number, number, number];
  /** Source of the initial weights: permutation first, then coupling. */
  random: Random;
  /** Where the step sits, e.g. "level 1 step 3". */
  label: string;
}

/**
 * ActNorm -> permutation -> coupling.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createFlowStep } from "./flow_step.ts";
 * import { mulberry32 } from "../../data/random.ts";
 * const step = createFlowStep({
 *   channels: 4, coupling: "affine", permutation: "conv", hiddenChannels: 64,
 *   kernelSizes: [3, 1, 3], random: mulberry32(0), label: "level 1 step 1",
 * });
 * assert.equal(Object.keys(step.variables)[0], "actnorm.bias");
 * step.dispose();
 * ```
 */
export function createFlowStep(options: FlowStepOptions): FlowSequence {
  const { channels, random, label } = options;
  return new FlowSequence({
    actnorm: new ActNorm(channels),
    permutation: createPermutation(
      options.permutation,
      channels,
      random,
      label,
    ),
    coupling: new Coupling({
      channels,
      kind: options.coupling,
      hiddenChannels: options.hiddenChannels,
      kernelSizes: options.kernelSizes,
      random,
    }),
  });
}
