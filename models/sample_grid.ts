/**
 * The picture `sample` draws from a trained model, the same wherever it is
 * drawn: `deno task sample` writes it as a PNG, the web page paints it on a
 * canvas. Up to 8 images a row, each pixel 2 x 2.
 *
 * @module
 */
import { tf } from "@genwasm/backend/tf";
import { imageGrid, type Picture } from "@genwasm/data/image_grid";
import type { TrainableModel } from "./contract.ts";
import type { ModelFamily, SampleRequest } from "./family.ts";

/** Images in a row of the grid, at most. */
export const GRID_COLUMNS = 8;
/** Each image pixel becomes a GRID_SCALE x GRID_SCALE block. */
export const GRID_SCALE = 2;

/**
 * Draws `request.count` pictures of `request.kind` from `model` and lays
 * them out as one grid.
 *
 * @returns The grid and how many images it holds.
 */
export function sampleGrid<M extends TrainableModel, O extends object>(
  family: ModelFamily<M, O>,
  model: M,
  request: SampleRequest<O>,
): { picture: Picture; count: number } {
  const { values, shape } = tf.tidy(() => {
    const images = family.sample(model, request);
    return { values: images.dataSync() as Float32Array, shape: images.shape };
  });
  const picture = imageGrid(values, shape, {
    columns: Math.min(GRID_COLUMNS, shape[0]),
    scale: GRID_SCALE,
  });
  return { picture, count: shape[0] };
}
