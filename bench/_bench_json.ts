/**
 * Reads the output of `deno bench --json`.
 *
 * Its shape (Deno 2.9, format `version: 1`): `{ version, runtime, cpu,
 * benches: [{ origin, group, name, baseline, results: [{ ok: stats } |
 * { failed: error }] }] }`, with stats `{ n, min, max, avg, p75, p99, p995,
 * p999, highPrecision, usedExplicitTimers }` in nanoseconds. Ignored benches
 * are left out. There is no median: {@link typicalNanoseconds} takes `p50`
 * or `median` should a later Deno add one, else `avg`.
 *
 * @module
 */
import { GROUP_SEPARATOR } from "./_cases.ts";

/** Timing statistics of one bench, in nanoseconds. */
export interface BenchStats {
  n: number;
  min: number;
  max: number;
  avg: number;
  p75: number;
  p99: number;
  p50?: number;
  median?: number;
}

/** One bench's entry in the JSON. */
export interface BenchEntry {
  origin: string;
  group: string | null;
  name: string;
  baseline: boolean;
  results: ({ ok: BenchStats } | { failed: { message?: string } })[];
}

/** The whole `deno bench --json` document. */
export interface BenchDocument {
  version: number;
  runtime: string;
  cpu: string;
  benches: BenchEntry[];
}

/** Which statistic a {@link Measurement} reports. */
export type Statistic = "p50" | "median" | "avg";

/** One bench's timing, in milliseconds. */
export interface Measurement {
  name: string;
  /** The typical time per call (see {@link Measurement.statistic}). */
  milliseconds: number;
  statistic: Statistic;
  min: number;
  max: number;
  p75: number;
  /** Timed calls. */
  iterations: number;
}

/** What one `deno bench --json` run produced. */
export interface SuiteResults {
  /** The CPU as deno bench names it (its "model name" from /proc/cpuinfo). */
  cpu: string;
  /** e.g. "Deno/2.9.6 x86_64-unknown-linux-gnu". */
  runtime: string;
  /** Engine description, taken from the bench groups. */
  engineLabel?: string;
  measurements: Map<string, Measurement>;
  /** Bench name -> error message, for benches that threw. */
  failures: Map<string, string>;
}

/** The statistic used for the typical time: p50, else median, else avg. */
export function typicalNanoseconds(
  stats: BenchStats,
): [number, Statistic] {
  if (stats.p50 !== undefined) return [stats.p50, "p50"];
  if (stats.median !== undefined) return [stats.median, "median"];
  return [stats.avg, "avg"];
}

/**
 * The JSON document in `stdout`. Modules may print before it (console.log at
 * load time goes to stdout too), so it starts at the first line that is "{".
 */
export function extractDocument(stdout: string): BenchDocument {
  const start = stdout.search(/^\{$/m);
  if (start < 0) throw new Error("no JSON document in deno bench output");
  return JSON.parse(stdout.slice(start)) as BenchDocument;
}

const nanosecondsPerMillisecond = 1e6;

/** Measurements and failures by bench name, from `deno bench --json` output. */
export function parseBenchOutput(stdout: string): SuiteResults {
  const document = extractDocument(stdout);
  const results: SuiteResults = {
    cpu: document.cpu,
    runtime: document.runtime,
    measurements: new Map(),
    failures: new Map(),
  };
  for (const bench of document.benches) {
    const separator = bench.group?.indexOf(GROUP_SEPARATOR) ?? -1;
    if (bench.group && separator >= 0) {
      results.engineLabel ??= bench.group.slice(
        separator + GROUP_SEPARATOR.length,
      );
    }
    for (const result of bench.results) {
      if ("failed" in result) {
        results.failures.set(
          bench.name,
          result.failed.message ?? "failed",
        );
        continue;
      }
      const stats = result.ok;
      const [typical, statistic] = typicalNanoseconds(stats);
      results.measurements.set(bench.name, {
        name: bench.name,
        milliseconds: typical / nanosecondsPerMillisecond,
        statistic,
        min: stats.min / nanosecondsPerMillisecond,
        max: stats.max / nanosecondsPerMillisecond,
        p75: stats.p75 / nanosecondsPerMillisecond,
        iterations: stats.n,
      });
    }
  }
  return results;
}
