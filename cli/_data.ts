/**
 * The datasets the CLI trains on, by `--data` spec: `mnist`, `fashion`,
 * `folder:PATH` and the toy 2-D sets. Toy points travel through the trainer
 * as 1 x 1 "images" with 2 channels (x, y), so every family sees one shape
 * of data; models for points use the "raw" pixel range.
 *
 * @module
 */
import type { ImageSet } from "@genwasm/data/image_set";
import {
  type Dataset,
  DATASET_SPECS,
  loadDataset,
} from "@genwasm/data/datasets";
import type { PointSet } from "@genwasm/data/toy_points";
import { UsageError } from "./_flags.ts";

/** Where the data of a run comes from; saved with the run so sample and eval reload it. */
export interface DataSpec {
  /** `--data`: mnist, fashion, folder:PATH, moons, gaussians or swissroll. */
  data: string;
  /** `--image-size`: side of folder images after resizing. */
  imageSize?: number;
  /** `--channels`: 1 (grey) or 3 (RGB) for folder images. */
  channels?: 1 | 3;
}

/** A dataset with its train and test splits kept apart. */
export interface ImageData {
  name: string;
  /** "points" for the toy 2-D sets, stored as (count, 1, 1, 2). */
  kind: "images" | "points";
  train: ImageSet;
  test: ImageSet;
  /** Labels run 0..classes-1. */
  classes: number;
}

/** The toy points as a (count, 1, 1, 2) set, values as drawn. */
export function pointsAsImages(set: PointSet): ImageSet {
  return {
    images: set.points,
    labels: set.labels,
    shape: [set.labels.length, 1, 1, 2],
  };
}

/**
 * Loads the data a spec names.
 *
 * @throws UsageError naming `--data` (or the size flags) for a bad spec; a
 * loader's own error (a missing package, a bad file) names its file.
 */
export async function loadImageData(spec: DataSpec): Promise<ImageData> {
  let dataset: Dataset;
  try {
    dataset = await loadDataset(spec.data, {
      ...(spec.imageSize !== undefined ? { size: spec.imageSize } : {}),
      ...(spec.channels !== undefined ? { channels: spec.channels } : {}),
    });
  } catch (error) {
    const message = (error as Error).message;
    if (message.startsWith(`unknown data set`)) {
      throw new UsageError(
        `--data must be one of ${DATASET_SPECS.join(", ")}; got "${spec.data}"`,
      );
    }
    if (message.includes(": option ")) {
      throw new UsageError(`--data ${message}`);
    }
    throw error;
  }
  if (dataset.kind === "points") {
    return {
      name: dataset.name,
      kind: "points",
      train: pointsAsImages(dataset.train),
      test: pointsAsImages(dataset.test),
      classes: Math.max(...dataset.train.labels) + 1,
    };
  }
  return {
    name: dataset.name,
    kind: "images",
    train: dataset.train,
    test: dataset.test,
    classes: dataset.classes,
  };
}

/** The data spec a checkpoint's training record names (mnist for older runs). */
export function dataSpecOf(training: Record<string, unknown>): DataSpec {
  const data = typeof training.data === "string" ? training.data : "mnist";
  return {
    data,
    ...(typeof training.imageSize === "number"
      ? { imageSize: training.imageSize }
      : {}),
    ...(training.channels === 1 || training.channels === 3
      ? { channels: training.channels }
      : {}),
  };
}

/**
 * A short name for run folders: "" for mnist (runs/vae), else "-fashion",
 * "-moons", "-folder-cats".
 */
export function dataSuffix(data: string): string {
  if (data === "mnist") return "";
  const cleaned = data.replace(/[^A-Za-z0-9]+/g, "-").replace(/^-+|-+$/g, "");
  return `-${cleaned}`;
}
