/**
 * The datasets the CLI trains image models on, by `--data` name.
 *
 * @module
 */
import type { ImageSet } from "../data/image_set.ts";
import { loadMnist } from "../data/mnist.ts";
import { UsageError } from "./_flags.ts";

/** A dataset of images with its train and test splits kept apart. */
export interface ImageData {
  name: string;
  train: ImageSet;
  test: ImageSet;
}

/** Loads `--data NAME`; an unknown name is a usage error listing the valid ones. */
export async function loadImageData(name: string): Promise<ImageData> {
  if (name === "mnist") return { name, ...(await loadMnist()) };
  throw new UsageError(`--data must be mnist, got "${name}"`);
}
