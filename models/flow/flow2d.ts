/**
 * A 2-D flow for the toy point sets, RealNVP style: steps of ActNorm ->
 * coordinate swap (or a learned 2 x 2 mixing) -> affine coupling whose
 * network is a small MLP (1x1 convolutions on a 1 x 1 "image"), on points
 * seen as (batch, 1, 1, 2) with the standard normal prior. Trained on the
 * exact negative log-likelihood in nats per point.
 *
 * Variable names: `stepK.actnorm.bias`, `stepK.coupling.network.conv1.kernel`,
 * ... as in the image flow's steps.
 *
 * @module
 */
import { tf } from "@genwasm/backend/tf";
import type { ImageSet } from "@genwasm/data/image_set";
import { mulberry32, type Random } from "@genwasm/data/random";
import type {
  StepContext,
  TrainableModel,
  TrainingBatch,
  TrainingPhase,
} from "../contract.ts";
import { createFlowStep } from "./flow_step.ts";
import { countParameters } from "./flow_layer.ts";
import { standardNormalLogDensity, standardNormalSample } from "./gaussian.ts";
import { type Flow2dConfig, resolveFlow2dConfig } from "./flow2d_presets.ts";
import { FlowSequence } from "./sequence.ts";
import { scatterPicture } from "./flow2d_pictures.ts";

/** The coupling MLP: three dense layers, as 1x1 convolutions. */
const MLP_KERNEL_SIZES = [1, 1, 1] as const;

/** Points drawn for the trainer's sample picture. */
const PICTURE_POINTS = 2000;

/** A trainable 2-D flow. */
export interface Flow2d extends TrainableModel {
  readonly config: Flow2dConfig;
  readonly groups: { model: Map<string, tf.Variable> };
  readonly buffers: Map<string, tf.Variable>;
  readonly pixelRange: "raw";
  /** The steps, x -> z. */
  readonly network: FlowSequence;
  /** Data-dependent ActNorm initialisation from the first batch (once; see `actnorm.ts`). */
  initialize(batch: TrainingBatch, context: StepContext): void;
  /** log p(x) in nats per point; points (batch, 1, 1, 2). */
  logDensity(points: tf.Tensor4D): tf.Tensor1D;
  /** `count` points from the model at `temperature` (default 1), (count, 1, 1, 2). */
  samplePoints(count: number, seed: number, temperature?: number): tf.Tensor4D;
  /** A scatter picture of 2000 samples: the trainer's sample grid. */
  generate(count: number, seed: number): tf.Tensor4D;
  /** Throws SingularConvolutionError naming a singular 2 x 2 mixing matrix. */
  assertInvertible(): void;
  parameterCount(): number;
}

class Flow2dModel implements Flow2d {
  readonly preset: string;
  readonly config: Flow2dConfig;
  readonly network: FlowSequence;
  readonly groups: { model: Map<string, tf.Variable> };
  readonly buffers: Map<string, tf.Variable>;
  readonly phases: TrainingPhase[];
  readonly pixelRange = "raw" as const;

  constructor(preset: string, config: Flow2dConfig, random: Random) {
    this.preset = preset;
    this.config = config;
    const steps: Record<string, FlowSequence> = {};
    for (let step = 1; step <= config.steps; step++) {
      steps[`step${step}`] = createFlowStep({
        channels: 2,
        coupling: config.coupling,
        permutation: config.permutation,
        hiddenChannels: config.hiddenWidth,
        kernelSizes: MLP_KERNEL_SIZES,
        random,
        label: `step ${step}`,
      });
    }
    this.network = new FlowSequence(steps);
    this.groups = { model: new Map(Object.entries(this.network.variables)) };
    this.buffers = new Map(Object.entries(this.network.buffers));
    this.phases = [{
      name: "loss",
      group: "model",
      loss: (batch) =>
        tf.tidy(() => tf.neg(tf.mean(this.logDensity(batch.images)))),
    }];
  }

  initialize(batch: TrainingBatch, _context: StepContext): void {
    this.network.initialize(batch.images);
  }

  logDensity(points: tf.Tensor4D): tf.Tensor1D {
    return tf.tidy(() => {
      const { z, logDet } = this.network.forward(points);
      return tf.add(standardNormalLogDensity(z), logDet);
    });
  }

  samplePoints(count: number, seed: number, temperature = 1): tf.Tensor4D {
    if (!Number.isInteger(count) || count < 1) {
      throw new Error(`count must be a whole number >= 1, got ${count}`);
    }
    return tf.tidy(() =>
      this.network.inverse(
        standardNormalSample(
          [count, 1, 1, 2],
          temperature,
          seed,
        ) as tf.Tensor4D,
      )
    );
  }

  generate(_count: number, seed: number): tf.Tensor4D {
    const points = this.samplePoints(PICTURE_POINTS, seed);
    const values = points.dataSync() as Float32Array;
    points.dispose();
    return scatterPicture(values);
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
 * Builds a 2-D flow from a preset name or a preset with overrides.
 *
 * @param source E.g. "flow2d" or `{ preset: "flow2d", steps: 4 }`.
 * @param random Source of the initial weights, step by step.
 *
 * @example
 * ```ts
 * import { createFlow2d } from "./flow2d.ts";
 * import { tf } from "../../backends/tf.ts";
 * const flow = createFlow2d("flow2d");
 * tf.tidy(() => flow.logDensity(tf.zeros([1, 1, 1, 2])).print()); // [-2.85], nats at the origin
 * flow.dispose();
 * ```
 */
export function createFlow2d(
  source: string | ({ preset?: string } & Partial<Flow2dConfig>),
  random: Random = mulberry32(0),
): Flow2d {
  const { preset = "flow2d", ...overrides } = typeof source === "string"
    ? { preset: source }
    : source;
  if (typeof preset !== "string") {
    throw new Error(`flow2d preset must be a string, got ${typeof preset}`);
  }
  return new Flow2dModel(
    preset,
    resolveFlow2dConfig(preset, overrides),
    random,
  );
}

/**
 * Mean -log p over a set of points in nats per point, in chunks of 4096;
 * no weights change.
 *
 * @param set Points as (count, 1, 1, 2).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createFlow2d, evaluatePointNll } from "./flow2d.ts";
 * const flow = createFlow2d("flow2d");
 * const set = { images: new Float32Array(4), labels: new Uint8Array(2), shape: [2, 1, 1, 2] as [number, number, number, number] };
 * const nll = evaluatePointNll(flow, set); // 2.85 for the untrained flow at the origin
 * assert.ok(Math.abs(nll - 2.85) < 0.01);
 * flow.dispose();
 * ```
 */
export function evaluatePointNll(flow: Flow2d, set: ImageSet): number {
  const [count] = set.shape;
  if (count < 1) throw new Error("evaluatePointNll: no points");
  let nats = 0;
  for (let start = 0; start < count; start += 4096) {
    const size = Math.min(4096, count - start);
    nats += tf.tidy(() => {
      const points = tf.tensor4d(
        set.images.subarray(2 * start, 2 * (start + size)),
        [size, 1, 1, 2],
      );
      return -tf.sum(flow.logDensity(points)).dataSync()[0];
    });
  }
  return nats / count;
}
