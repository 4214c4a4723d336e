/**
 * The image flow as the trainer sees it: a {@link TrainableModel} built
 * from a preset, with likelihood, sampling and reconstruction close at
 * hand.
 *
 * @module
 */
import type { tf } from "@genwasm/backend/tf";
import { mulberry32, type Random } from "@genwasm/data/random";
import type {
  StepContext,
  TrainableModel,
  TrainingBatch,
  TrainingPhase,
} from "../contract.ts";
import { UniformDequantization } from "./dequantization.ts";
import { countParameters } from "./flow_layer.ts";
import { LogitTransform } from "./logit.ts";
import { MultiScaleFlow } from "./model.ts";
import { type FlowNetworks, flowPhases, logLikelihood } from "./objective.ts";
import { type FlowConfig, resolveFlowConfig } from "./presets.ts";
import { reconstructImages, sampleImages } from "./sampler.ts";

/**
 * A preset name, or a preset (default "flow") with some keys overridden;
 * `{ preset, ...config }` rebuilds a checkpointed model.
 */
export type FlowSource = string | ({ preset?: string } & Partial<FlowConfig>);

/** A trainable image flow. */
export interface Flow extends TrainableModel, FlowNetworks {
  readonly config: FlowConfig;
  /** One group, `model`: every ActNorm, convolution and coupling variable. */
  readonly groups: { model: Map<string, tf.Variable> };
  /** ActNorm flags; LU permutations and signs; shuffled orders. */
  readonly buffers: Map<string, tf.Variable>;
  readonly pixelRange: "unit";
  /** Numbers per image, height * width * channels. */
  readonly dims: number;
  /** Data-dependent ActNorm initialisation from the first batch (once; see `actnorm.ts`). */
  initialize(batch: TrainingBatch, context: StepContext): void;
  /** log P(images) per image in nats (the dequantisation bound). */
  logLikelihood(images: tf.Tensor4D, seed: number): tf.Tensor1D;
  /** `count` images at `temperature` (default 1), pixels in [0, 1]. */
  sample(count: number, seed: number, temperature?: number): tf.Tensor4D;
  /** Same as {@link Flow.sample} at temperature 1: the trainer's sample grid. */
  generate(count: number, seed: number): tf.Tensor4D;
  /** Images through the flow and back; see {@link reconstructImages}. */
  reconstruct(images: tf.Tensor4D, seed: number): tf.Tensor4D;
  /** Throws SingularConvolutionError naming a 1x1 convolution that cannot be inverted. */
  assertInvertible(): void;
  /** Number of trainable numbers (75728 for the canonical `flow`). */
  parameterCount(): number;
}

class FlowModel implements Flow {
  readonly preset: string;
  readonly config: FlowConfig;
  readonly dequantization = new UniformDequantization();
  readonly logit: LogitTransform;
  readonly network: MultiScaleFlow;
  readonly groups: { model: Map<string, tf.Variable> };
  readonly buffers: Map<string, tf.Variable>;
  readonly phases: TrainingPhase[];
  readonly pixelRange = "unit" as const;
  readonly dims: number;

  constructor(preset: string, config: FlowConfig, random: Random) {
    this.preset = preset;
    this.config = config;
    this.logit = new LogitTransform(config.logitAlpha);
    this.network = new MultiScaleFlow(config, random);
    this.groups = { model: new Map(Object.entries(this.network.variables)) };
    this.buffers = new Map(Object.entries(this.network.buffers));
    this.phases = flowPhases(this);
    this.dims = config.imageSize ** 2 * config.channels;
  }

  /** Glow's data-dependent ActNorm initialisation on the first batch. */
  initialize(batch: TrainingBatch, context: StepContext): void {
    const { z: y } = this.dequantization.forward(batch.images, context.seed());
    const logits = this.logit.forward(y).z;
    this.network.initialize(logits);
  }

  logLikelihood(images: tf.Tensor4D, seed: number): tf.Tensor1D {
    return logLikelihood(this, images, seed);
  }

  sample(count: number, seed: number, temperature = 1): tf.Tensor4D {
    return sampleImages(this, count, seed, temperature);
  }

  generate(count: number, seed: number): tf.Tensor4D {
    return this.sample(count, seed);
  }

  reconstruct(images: tf.Tensor4D, seed: number): tf.Tensor4D {
    return reconstructImages(this, images, seed);
  }

  assertInvertible(): void {
    this.network.assertInvertible();
  }

  parameterCount(): number {
    return countParameters(this.groups.model.values());
  }

  dispose(): void {
    this.network.dispose();
  }
}

/**
 * Builds an image flow from a preset name or a preset with overrides,
 * checked strictly (see {@link resolveFlowConfig}).
 *
 * @param source E.g. "flow", or `{ preset: "flow", permutation: "conv-lu" }`
 * (preset defaults to "flow").
 * @param random Source of the initial weights, consumed level by level,
 * step by step (permutation, then coupling network). Default `mulberry32(0)`.
 * @returns The model; `dispose()` it when done.
 * @throws Error naming an unknown preset, unknown key or mistyped value.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createFlow } from "./flow.ts";
 * const flow = createFlow("flow");
 * assert.equal(flow.parameterCount(), 75728);
 * flow.dispose();
 * ```
 */
export function createFlow(
  source: FlowSource,
  random: Random = mulberry32(0),
): Flow {
  const { preset = "flow", ...overrides } = typeof source === "string"
    ? { preset: source }
    : source;
  if (typeof preset !== "string") {
    throw new Error(`flow preset must be a string, got ${typeof preset}`);
  }
  return new FlowModel(preset, resolveFlowConfig(preset, overrides), random);
}
