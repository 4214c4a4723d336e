/**
 * Loads a folder of PNG images as an image set: every `.png` file decoded,
 * converted to grey or RGB, resized by area averaging, and labelled by its
 * class folder.
 *
 * @module
 */
import { join, relative, sep } from "node:path";
import type { ImageSet } from "./image_set.ts";
import { decodePngPixels } from "./png_decode.ts";
import { resizeArea, type ResizeFit } from "./resize.ts";

/** Options for {@link loadImageFolder}. */
export interface ImageFolderOptions {
  /** Every image becomes `size` x `size` pixels. */
  size: number;
  /** 1 (grey) or 3 (RGB). */
  channels: 1 | 3;
  /**
   * `"crop"` (default): centre-crop a non-square image to a square before
   * resizing. `"stretch"`: resize the whole image, changing its aspect ratio.
   */
  fit?: ResizeFit;
  /** Grey level in [0, 1] behind transparent pixels; default 0 (black). */
  background?: number;
  /** Images wider or taller than this are refused unread; default 8192. */
  maxSide?: number;
}

/** An image set read from a folder, with where each image came from. */
export interface ImageFolder extends ImageSet {
  /**
   * Class folder names, indexed by label. Empty when the folder has no
   * sub-folders: then every label is 0.
   */
  classNames: string[];
  /** Path of each image, in the order of `images` and `labels`. */
  files: string[];
}

const MAX_CLASSES = 256;

const isPng = (name: string) => name.toLowerCase().endsWith(".png");
const isHidden = (name: string) => name.startsWith(".");

interface Listing {
  files: string[];
  folders: string[];
}

/**
 * The visible entries of a folder, each list sorted by name (code points, so
 * the order is the same on every machine). Symbolic links to files count as
 * files; links to folders are skipped, so a link loop cannot recurse.
 */
async function listFolder(path: string): Promise<Listing> {
  const listing: Listing = { files: [], folders: [] };
  for await (const entry of Deno.readDir(path)) {
    if (isHidden(entry.name)) continue;
    const full = join(path, entry.name);
    let isFile = entry.isFile;
    if (entry.isSymlink) {
      isFile = await Deno.stat(full).then((info) => info.isFile, () => false);
    }
    if (entry.isDirectory) listing.folders.push(full);
    else if (isFile) listing.files.push(full);
  }
  const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  listing.files.sort(byName);
  listing.folders.sort(byName);
  return listing;
}

/** All PNG files under `folder`, recursively, in sorted path order. */
async function pngFilesUnder(folder: string): Promise<string[]> {
  const { files, folders } = await listFolder(folder);
  const found = files.filter((file) => isPng(file));
  for (const sub of folders) found.push(...await pngFilesUnder(sub));
  const key = (file: string) => relative(folder, file).split(sep);
  return found.sort((a, b) => {
    const [left, right] = [key(a), key(b)];
    for (let index = 0; index < Math.min(left.length, right.length); index++) {
      if (left[index] !== right[index]) {
        return left[index] < right[index] ? -1 : 1;
      }
    }
    return left.length - right.length;
  });
}

/**
 * Loads every PNG file (`*.png`, any case) in a folder as a labelled image
 * set, in sorted path order.
 *
 * Labels: when the folder has sub-folders, each is a class (sorted by name,
 * label = index, as torchvision's `ImageFolder`), holding its PNG files at
 * any depth; PNG files beside the class folders are then an error. When the
 * folder has no sub-folders, every image has label 0. Hidden files and
 * folders (names starting with ".") and files of other types are skipped.
 *
 * Each image is decoded by {@link decodePngPixels} (any PNG colour type and
 * depth; alpha composited over `background`; luma for grey), then resized by
 * {@link resizeArea} (area averaging; a centre crop to square by default).
 *
 * @param path The folder.
 * @param options Size, channels and how to fit non-square images.
 * @returns Images (count, size, size, channels) in [0, 1], labels, class
 * names and the file of each image.
 * @throws Error naming the folder if it is missing, is not a folder, holds
 * no PNG files or has an empty class folder, and naming the file if it is
 * not a PNG, is corrupt or is larger than `maxSide`.
 *
 * @example A folder of class folders, as 32 x 32 RGB
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadImageFolder } from "./image_folder.ts";
 * import { writePng } from "./png.ts";
 * // pictures/cats/1.png and pictures/dogs/1.png, 64 x 48 each
 * const pictures = await Deno.makeTempDir();
 * for (const [name, level] of [["cats", 0], ["dogs", 255]] as const) {
 *   await Deno.mkdir(`${pictures}/${name}`);
 *   const data = new Uint8Array(64 * 48 * 3).fill(level);
 *   await writePng(`${pictures}/${name}/1.png`, { width: 64, height: 48, channels: 3, data });
 * }
 * const set = await loadImageFolder(pictures, { size: 32, channels: 3 });
 * assert.deepEqual(set.shape, [2, 32, 32, 3]);
 * assert.deepEqual(set.classNames, ["cats", "dogs"]);
 * await Deno.remove(pictures, { recursive: true });
 * ```
 */
export async function loadImageFolder(
  path: string,
  { size, channels, fit = "crop", background = 0, maxSide = 8192 }:
    ImageFolderOptions,
): Promise<ImageFolder> {
  if (!Number.isInteger(size) || size < 1) {
    throw new Error(`size must be a whole number >= 1, got ${size}`);
  }
  if (channels !== 1 && channels !== 3) {
    throw new Error(`channels must be 1 or 3, got ${channels}`);
  }
  if (!(background >= 0 && background <= 1)) {
    throw new Error(`background must be in [0, 1], got ${background}`);
  }
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Error(`${path}: no such folder`);
    }
    throw new Error(
      `${path}: cannot read: ${error instanceof Error ? error.message : error}`,
    );
  }
  if (!info.isDirectory) throw new Error(`${path}: not a folder`);

  const top = await listFolder(path);
  const classNames = top.folders.map((folder) => relative(path, folder));
  const files: string[] = [];
  const labels: number[] = [];
  if (top.folders.length === 0) {
    files.push(...top.files.filter((file) => isPng(file)));
    labels.push(...files.map(() => 0));
    if (files.length === 0) {
      throw new Error(`${path}: no PNG files (*.png) in this folder`);
    }
  } else {
    const stray = top.files.find((file) => isPng(file));
    if (stray) {
      throw new Error(
        `${path}: holds both PNG files (${
          relative(path, stray)
        }) and class folders (${
          classNames.join(", ")
        }); put every image in a class folder, or use no sub-folders`,
      );
    }
    if (classNames.length > MAX_CLASSES) {
      throw new Error(
        `${path}: ${classNames.length} class folders, more than the ${MAX_CLASSES} that byte labels hold`,
      );
    }
    for (const [label, folder] of top.folders.entries()) {
      const found = await pngFilesUnder(folder);
      if (found.length === 0) {
        throw new Error(`${folder}: class folder holds no PNG files (*.png)`);
      }
      files.push(...found);
      labels.push(...found.map(() => label));
    }
  }

  const length = size * size * channels;
  const images = new Float32Array(files.length * length);
  for (const [index, file] of files.entries()) {
    let bytes: Uint8Array;
    try {
      bytes = await Deno.readFile(file);
    } catch (error) {
      throw new Error(
        `${file}: cannot read: ${
          error instanceof Error ? error.message : error
        }`,
      );
    }
    const decoded = decodePngPixels(bytes, file, {
      channels,
      background,
      maxSide,
    });
    images.set(resizeArea(decoded, size, size, { fit }).data, index * length);
  }
  return {
    images,
    labels: Uint8Array.from(labels),
    shape: [files.length, size, size, channels],
    classNames,
    files,
  };
}
