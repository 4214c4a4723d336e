/**
 * Data sets and how they are fed: IDX files, MNIST, Fashion-MNIST, folders of
 * PNG images, toy 2-D points, seeded batches. {@link loadDataset} picks any
 * of them by a spec string. Captions for text conditioning: attributes
 * measured on an image ({@link describeImage}), the {@link Captioner} that
 * words them into prompts, {@link readPrompt} that reads back what a prompt
 * asks for, and the prompt tokeniser ({@link Vocabulary},
 * {@link captionVocabulary}).
 *
 * @example Batches of MNIST training images
 * ```ts
 * import assert from "node:assert/strict";
 * import { batchIndices, gatherRows, loadMnist } from "./mod.ts";
 * const { train } = await loadMnist();
 * const [, height, width, channels] = train.shape;
 * const batches = batchIndices(train.shape[0], { batchSize: 64, seed: 0 });
 * const batch = gatherRows(train.images, height * width * channels, batches.next().value);
 * assert.equal(batch.length, 64 * 784);
 * ```
 *
 * @module
 */
export * from "./random.ts";
export * from "./idx.ts";
export * from "./image_set.ts";
export * from "./mnist.ts";
export * from "./fashion_mnist.ts";
export * from "./png_decode.ts";
export * from "./resize.ts";
export * from "./image_folder.ts";
export * from "./toy_points.ts";
export * from "./datasets.ts";
export * from "./batches.ts";
export * from "./image_grid.ts";
export * from "./labelled_rows.ts";
export * from "./png.ts";
export * from "./captions/attributes.ts";
export * from "./captions/attribute_classes.ts";
export * from "./captions/caption_words.ts";
export * from "./captions/captioner.ts";
export * from "./captions/prompt_reader.ts";
export * from "./captions/prompt_set.ts";
export * from "./captions/tokenizer.ts";
