/**
 * The table of embedded files that the Node build writes into the executable
 * and `runtime/embedded.ts` reads back.
 *
 * @module
 */

/** One embedded file. */
export interface EmbeddedFile {
  /** The SEA asset that holds its gzipped bytes. */
  asset: string;
  /** Its size unpacked, in bytes. */
  size: number;
}

/** What the executable carries: specifier to file, and a hash of it all. */
export interface Manifest {
  /** Hash of every specifier and its bytes; names the unpack folder. */
  hash: string;
  files: Record<string, EmbeddedFile>;
}

/** The SEA asset that holds the {@link Manifest} as JSON. */
export const MANIFEST_ASSET = "manifest.json";
