/**
 * The 2-D flow as the CLI's registry sees it: trains on the toy point sets
 * and draws the learned density as a heat map or samples as a scatter
 * plot.
 *
 * @module
 */
import { mulberry32 } from "@genwasm/data/random";
import { bitsPerDim } from "@genwasm/eval/bits_per_dim";
import type { ModelFamily } from "../family.ts";
import { LEARNING_RATE_SETTING, TEMPERATURE_OPTION } from "../options.ts";
import { createFlow2d, evaluatePointNll, type Flow2d } from "./flow2d.ts";
import { densityPicture, scatterPicture } from "./flow2d_pictures.ts";
import { FLOW2D_PRESETS } from "./flow2d_presets.ts";

/** Samples in the scatter picture. */
const SCATTER_POINTS = 2000;

/** The 2-D flow family: preset `flow2d`, for `--data moons|gaussians|swissroll`. */
export const flow2dFamily: ModelFamily<Flow2d, { temperature?: number }> = {
  name: "flow2d",
  summary: "2-D normalising flow for toy points (density and scatter pictures)",
  presets: Object.keys(FLOW2D_PRESETS),
  configKeys: Object.keys(FLOW2D_PRESETS.flow2d),
  trainingSettings: { learningRate: LEARNING_RATE_SETTING },
  // Older checkpoints kept the learning rate in the config.
  retiredKeys: ["learningRate"],
  training: { learningRate: 3e-3, batchSize: 256 },
  dataKinds: ["points"],
  sampleKinds: ["density", "samples"],
  sampleOptions: { temperature: TEMPERATURE_OPTION },
  create: (preset, overrides, seed) =>
    createFlow2d({ preset, ...overrides }, mulberry32(seed)),
  /** One picture whatever `count`: the density over the test points, or 2000 samples. */
  sample(flow, { seed, kind, test, temperature = 1 }) {
    if (kind === "density") {
      return densityPicture((points) => flow.logDensity(points), test.images);
    }
    const samples = flow.samplePoints(SCATTER_POINTS, seed, temperature);
    const values = samples.dataSync() as Float32Array;
    return scatterPicture(values, { data: test.images });
  },
  monitor(flow, { test }) {
    return Promise.resolve({
      nll_nats: evaluatePointNll(flow, test),
    });
  },
  evaluate(flow, { test }) {
    flow.assertInvertible();
    const nll = evaluatePointNll(flow, test);
    return Promise.resolve({ nll_nats: nll, bits_per_dim: bitsPerDim(nll, 2) });
  },
};
