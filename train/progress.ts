/**
 * Training progress: on a terminal, one line redrawn in place (bar, step,
 * loss, steps/s, ETA); elsewhere, one plain line per logged step. Also the
 * bar the CLI hands to samplers as their {@link ProgressCallback}.
 *
 * @module
 */
import type { ProgressCallback } from "@genwasm/models/contract";

/** Options for {@link Progress}. */
export interface ProgressOptions {
  /** Steps in the whole run. */
  total: number;
  /** Redraw one line in place; default: whether stdout is a terminal. */
  interactive?: boolean;
  /** Where text goes; default stdout. */
  write?: (text: string) => void;
  /** Clock in milliseconds; default `performance.now`. */
  now?: () => number;
  /** Steps already done before this process (a resumed run); default 0. */
  startStep?: number;
}

const BAR_WIDTH = 24;
const REDRAW_MS = 100;

/**
 * "42s", "3m05s" or "1h02m" for a duration in seconds.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatDuration } from "./progress.ts";
 * assert.equal(formatDuration(185), "3m05s");
 * ```
 */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  const whole = Math.max(0, Math.round(seconds));
  const pad = (value: number) => String(value).padStart(2, "0");
  if (whole < 60) return `${whole}s`;
  if (whole < 3600) return `${Math.floor(whole / 60)}m${pad(whole % 60)}s`;
  return `${Math.floor(whole / 3600)}h${pad(Math.floor(whole / 60) % 60)}m`;
}

function writeStdout(text: string): void {
  const bytes = new TextEncoder().encode(text);
  let written = 0;
  while (written < bytes.length) {
    written += Deno.stdout.writeSync(bytes.subarray(written));
  }
}

/**
 * Reports steps as they finish.
 *
 * @example
 * ```ts
 * import { Progress } from "./progress.ts";
 * const progress = new Progress({ total: 3, interactive: false });
 * for (let step = 1; step <= 3; step++) progress.update(step, 0.5, true);
 * progress.finish();
 * ```
 */
export class Progress {
  readonly total: number;
  readonly interactive: boolean;
  readonly #write: (text: string) => void;
  readonly #now: () => number;
  readonly #start: number;
  readonly #startStep: number;
  #lastDraw = -Infinity;
  #drawn = false;

  constructor(
    {
      total,
      interactive = Deno.stdout.isTerminal(),
      write = writeStdout,
      now = () => performance.now(),
      startStep = 0,
    }: ProgressOptions,
  ) {
    this.#startStep = startStep;
    this.total = total;
    this.interactive = interactive;
    this.#write = write;
    this.#now = now;
    this.#start = now();
  }

  /** Steps per second since the start (of this process). */
  rate(step: number): number {
    const seconds = (this.#now() - this.#start) / 1000;
    return seconds > 0 ? (step - this.#startStep) / seconds : 0;
  }

  /** Seconds since the start. */
  elapsed(): number {
    return (this.#now() - this.#start) / 1000;
  }

  /**
   * Reports that `step` finished with `loss`. `logged` marks the steps a
   * plain (non-terminal) report prints; a terminal line redraws at most ten
   * times a second and always on the last step.
   */
  update(
    step: number,
    loss: number | Record<string, number>,
    logged: boolean,
  ): void {
    const losses = typeof loss === "number"
      ? `loss ${loss.toFixed(4)}`
      : Object.entries(loss).map(([name, value]) =>
        `${name} ${value.toFixed(4)}`
      )
        .join("  ");
    const rate = this.rate(step);
    const eta = formatDuration(rate > 0 ? (this.total - step) / rate : NaN);
    const width = String(this.total).length;
    const fields = `step ${String(step).padStart(width)}/${this.total}  ` +
      `${losses}  ${rate.toFixed(1)} steps/s  ETA ${eta}`;
    if (!this.interactive) {
      if (logged) this.#write(`${fields}\n`);
      return;
    }
    const time = this.#now();
    if (time - this.#lastDraw < REDRAW_MS && step < this.total) return;
    this.#lastDraw = time;
    const filled = Math.round((step / this.total) * BAR_WIDTH);
    const bar = "#".repeat(filled) + "-".repeat(BAR_WIDTH - filled);
    // \r returns to the line start, \x1b[K clears what the last draw left.
    this.#write(`\r[${bar}] ${fields}\x1b[K`);
    this.#drawn = true;
  }

  /** Ends the terminal line, if one was drawn. */
  finish(): void {
    if (this.#drawn) this.#write("\n");
    this.#drawn = false;
  }
}

/**
 * A {@link ProgressCallback} that draws a bar for each run of steps it is
 * told of (e.g. each sampling run of a diffusion model): a new bar starts
 * when the count falls back, and the line ends at the last step.
 *
 * @param options As for {@link Progress}; by default the bar redraws in
 * place on stdout.
 *
 * @example
 * ```ts
 * import { progressBar } from "./progress.ts";
 * const progress = progressBar({ interactive: false });
 * for (let step = 1; step <= 3; step++) progress(step, 3);
 * ```
 */
export function progressBar(
  options: Omit<ProgressOptions, "total" | "startStep"> = {},
): ProgressCallback {
  let bar: Progress | undefined;
  let last = 0;
  return (done, total) => {
    if (!bar || done <= last || bar.total !== total) {
      bar?.finish();
      bar = new Progress({
        interactive: true,
        ...options,
        total,
        startStep: done - 1,
      });
    }
    last = done;
    bar.update(done, {}, false);
    if (done >= total) {
      bar.finish();
      bar = undefined;
      last = 0;
    }
  };
}
