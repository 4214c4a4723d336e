/**
 * A metrics log in JSON Lines: one JSON object per line, written as it comes
 * so that a run that stops early keeps what it logged.
 *
 * @module
 */

/**
 * Appends records to a `.jsonl` file, which it creates or empties.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MetricsLog } from "./metrics_log.ts";
 * const folder = await Deno.makeTempDir(); // a run folder
 * const log = new MetricsLog(`${folder}/metrics.jsonl`);
 * log.write({ step: 1, loss: 0.69 });
 * log.close();
 * assert.equal(await Deno.readTextFile(log.path), '{"step":1,"loss":0.69}\n');
 * await Deno.remove(folder, { recursive: true });
 * ```
 */
export class MetricsLog {
  readonly path: string;
  readonly #file: Deno.FsFile;
  readonly #encoder = new TextEncoder();

  /** Opens `path`, emptied unless `append` (a resumed run continues its log). */
  constructor(path: string, { append = false } = {}) {
    this.path = path;
    this.#file = Deno.openSync(path, {
      write: true,
      create: true,
      truncate: !append,
      append,
    });
  }

  /** Writes one record as one line. */
  write(record: Record<string, unknown>): void {
    const bytes = this.#encoder.encode(`${JSON.stringify(record)}\n`);
    let written = 0;
    while (written < bytes.length) {
      written += this.#file.writeSync(bytes.subarray(written));
    }
  }

  /** Closes the file. */
  close(): void {
    this.#file.close();
  }
}
