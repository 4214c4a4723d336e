/**
 * The image flow as the CLI's registry sees it: presets, recipe, pictures
 * (samples at a temperature, reconstructions) and test bits per dimension.
 *
 * @module
 */
import { mulberry32 } from "@genwasm/data/random";
import { imageTensor } from "@genwasm/data/image_set";
import { sampleMetrics, scoreSamples } from "@genwasm/eval/sample_quality";
import type { ModelFamily } from "../family.ts";
import { LEARNING_RATE_SETTING, TEMPERATURE_OPTION } from "../options.ts";
import { pairRows } from "../_pictures.ts";
import { createFlow, type Flow } from "./flow.ts";
import { evaluateBitsPerDim } from "./objective.ts";
import { FLOW_PRESETS } from "./presets.ts";
import { roundTripErrors } from "./sampler.ts";
import { flowTorchNames } from "./torch_names.ts";

/** Test images whose round trip `evaluate` measures (float64 is slow: ~50 ms each). */
const ROUND_TRIP_IMAGES = 128;

/** Test images the training-time monitor scores. */
const MONITOR_IMAGES = 1000;

/** The image flow family: canonical `flow` plus `flow-small` and `flow-large`. */
export const flowFamily: ModelFamily<Flow, { temperature?: number }> = {
  name: "flow",
  summary:
    "normalising flow (Glow-style multi-scale; exact likelihood, bits/dim)",
  optionsHelp:
    `  levels=N stepsPerLevel=N  multi-scale levels and flow steps per level (2, 4)
  couplingWidth=N        channels of the coupling networks (64)
  coupling=affine|additive  coupling layer (affine: scale = sigmoid(raw + 2))
  permutation=conv|conv-lu|reverse|shuffle  channel mixing between couplings
  logitAlpha=X           logit pre-processing alpha (0.05)`,
  presets: Object.keys(FLOW_PRESETS),
  configKeys: Object.keys(FLOW_PRESETS.flow),
  trainingSettings: { learningRate: LEARNING_RATE_SETTING },
  // Older checkpoints kept the learning rate in the config.
  retiredKeys: ["learningRate"],
  training: { learningRate: 1e-3, batchSize: 64 },
  sampleKinds: ["samples", "reconstructions"],
  sampleOptions: { temperature: TEMPERATURE_OPTION },
  create: (preset, overrides, seed) =>
    createFlow({ preset, ...overrides }, mulberry32(seed)),
  sample(flow, { count, seed, kind, test, temperature = 1 }) {
    if (kind === "samples") return flow.sample(count, seed, temperature);
    // kind === "reconstructions": rows of 8 test images above their round trips.
    const images = imageTensor(
      test,
      0,
      Math.max(8, 8 * Math.floor(count / 16)),
    );
    return pairRows(images, flow.reconstruct(images, seed));
  },
  monitor(flow, { test }) {
    return Promise.resolve({
      bits_per_dim: evaluateBitsPerDim(flow, test, {
        count: MONITOR_IMAGES,
      }),
    });
  },
  evaluate(flow, { test, classifier, samples }) {
    flow.assertInvertible();
    const images = imageTensor(
      test,
      0,
      Math.min(ROUND_TRIP_IMAGES, test.shape[0]),
    );
    const roundTrip = roundTripErrors(flow, images, 0);
    images.dispose();
    return Promise.resolve({
      bits_per_dim: evaluateBitsPerDim(flow, test),
      round_trip_error: roundTrip.float32,
      round_trip_error_float64: roundTrip.float64,
      ...(classifier
        ? sampleMetrics(
          scoreSamples(classifier, (n, seed) => flow.sample(n, seed), {
            count: samples,
          }),
        )
        : {}),
    });
  },
  // The state dict of its reference module (export, import).
  torch: (model) => flowTorchNames(model.preset, model.config),
};
