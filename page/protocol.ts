/**
 * The messages between the page (./main.ts, the main thread) and its
 * sampler (./sampler_worker.ts, a Web Worker that runs the engine).
 *
 * @module
 */

/** One sampling control, from a family's declared sampling option. */
export interface OptionControl {
  /** The request field it sets, e.g. "guidance". */
  key: string;
  /** The CLI flag it mirrors, e.g. "guidance". */
  flag: string;
  help: string;
  /** A placeholder for its value (e.g. "W"); absent for a switch. */
  placeholder?: string;
}

/** The page asks the sampler. */
export type PageRequest =
  | { type: "start"; threads?: number }
  | { type: "load"; bytes: ArrayBuffer; name: string }
  | {
    type: "sample";
    count: number;
    seed: number;
    /** Typed text per option key; `true` for a ticked switch. */
    options: Record<string, string | boolean>;
  };

/** The sampler tells the page. */
export type SamplerReply =
  | {
    type: "engine";
    /** e.g. "wasm threaded-simd, 2 threads (2 cores)". */
    description: string;
    variant: string;
    threads: number;
    isolated: boolean;
  }
  | {
    type: "model";
    name: string;
    preset: string;
    family: string;
    step: number;
    averaged: boolean;
    kind: string;
    options: OptionControl[];
  }
  | { type: "progress"; done: number; total: number }
  | {
    type: "grid";
    width: number;
    height: number;
    channels: 1 | 3;
    data: Uint8Array;
    count: number;
    milliseconds: number;
  }
  | { type: "error"; message: string };
