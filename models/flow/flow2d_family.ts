/**
 * The 2-D flow as the CLI's registry sees it: trains on the toy point sets
 * and draws the learned density as a heat map or samples as a scatter
 * plot.
 *
 * @module
 */
import { mulberry32 } from "../../data/random.ts";
import { bitsPerDim } from "../../eval/bits_per_dim.ts";
import type { ModelFamily } from "../registry.ts";
import { createFlow2d, evaluatePointNll, type Flow2d } from "./flow2d.ts";
import { densityPicture, scatterPicture } from "./flow2d_pictures.ts";
import { FLOW2D_PRESETS } from "./flow2d_presets.ts";

/** Samples in the scatter picture. */
const SCATTER_POINTS = 2000;

/** The 2-D flow family: preset `flow2d`, for `--data moons|gaussians|swissroll`. */
export const flow2dFamily: ModelFamily = {
  name: "flow2d",
  summary: "2-D normalising flow for toy points (density and scatter pictures)",
  presets: Object.keys(FLOW2D_PRESETS),
  training: { learningRate: 3e-3, batchSize: 256 },
  dataKinds: ["points"],
  sampleKinds: ["density", "samples"],
  sampleOptions: ["temperature"],
  create: (preset, overrides, seed, recipe = {}) =>
    createFlow2d(
      {
        preset,
        ...overrides,
        ...(recipe.learningRate !== undefined
          ? { learningRate: recipe.learningRate }
          : {}),
      },
      mulberry32(seed),
    ),
  /** One picture whatever `count`: the density over the test points, or 2000 samples. */
  sample(model, { seed, kind, test, temperature = 1 }) {
    const flow = model as Flow2d;
    if (kind === "density") {
      return densityPicture((points) => flow.logDensity(points), test.images);
    }
    const samples = flow.samplePoints(SCATTER_POINTS, seed, temperature);
    const values = samples.dataSync() as Float32Array;
    return scatterPicture(values, { data: test.images });
  },
  monitor(model, { test }) {
    return Promise.resolve({
      nll_nats: evaluatePointNll(model as Flow2d, test),
    });
  },
  evaluate(model, { test }) {
    const flow = model as Flow2d;
    flow.assertInvertible();
    const nll = evaluatePointNll(flow, test);
    return Promise.resolve({ nll_nats: nll, bits_per_dim: bitsPerDim(nll, 2) });
  },
};
