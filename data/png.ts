/**
 * Writes pictures as PNG files (encoder: the npm package fast-png).
 *
 * @module
 */
import { encode } from "fast-png";
import type { Picture } from "./image_grid.ts";
import { writeFileAtomic } from "./atomic_write.ts";

/**
 * Encodes a picture as an 8-bit grey or RGB PNG and writes it atomically
 * (a crash never leaves half a picture).
 *
 * @param path Where to write; the folder must exist.
 * @param picture The pixels.
 *
 * @example
 * ```ts
 * import { writePng } from "./png.ts";
 * const folder = await Deno.makeTempDir();
 * const data = new Uint8Array(16 * 16).map((_, index) => index);
 * await writePng(`${folder}/ramp.png`, { width: 16, height: 16, channels: 1, data });
 * await Deno.remove(folder, { recursive: true });
 * ```
 */
export async function writePng(path: string, picture: Picture): Promise<void> {
  const bytes = encode({
    width: picture.width,
    height: picture.height,
    data: picture.data,
    channels: picture.channels,
    depth: 8,
  });
  await writeFileAtomic(path, bytes);
}
