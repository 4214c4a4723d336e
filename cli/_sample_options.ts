/**
 * The sampler flags (`--class`, `--temperature`, `--guidance`, `--sampler`,
 * `--sampler-steps`, `--eta`, `--no-clip`) that `sample` and `eval` share: their
 * parseArgs definitions and their checked values.
 *
 * @module
 */
import type { SampleOption, SampleRequest } from "../models/registry.ts";
import { positiveNumber, UsageError, wholeNumber } from "./_flags.ts";

/** parseArgs definitions of the sampler flags. */
export const SAMPLE_OPTION_FLAGS = {
  class: { type: "string" },
  temperature: { type: "string" },
  guidance: { type: "string" },
  sampler: { type: "string" },
  "sampler-steps": { type: "string" },
  eta: { type: "string" },
  "no-clip": { type: "boolean" },
} as const;

/** Flag of each optional request field. */
const OPTION_FLAGS: Record<SampleOption, string> = {
  classLabel: "class",
  temperature: "temperature",
  guidance: "guidance",
  sampler: "sampler",
  samplerSteps: "sampler-steps",
  eta: "eta",
  clipSample: "no-clip",
};

/**
 * The optional request fields given on the command line, checked; a flag
 * the model does not honour is a usage error naming the flag.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sampleOptions } from "./_sample_options.ts";
 * assert.deepEqual(sampleOptions({ guidance: "3" }, ["guidance"]), { guidance: 3 });
 * ```
 */
export function sampleOptions(
  values: Record<string, unknown>,
  honoured: readonly SampleOption[],
): Partial<SampleRequest> {
  const options: Partial<SampleRequest> = {};
  for (const [option, flag] of Object.entries(OPTION_FLAGS)) {
    const given = values[flag];
    if (given === undefined || given === false) continue;
    if (!honoured.includes(option as SampleOption)) {
      throw new UsageError(
        `--${flag} does not apply to this model` +
          (honoured.length
            ? ` (it takes ${
              honoured.map((o) => `--${OPTION_FLAGS[o]}`).join(", ")
            })`
            : ""),
      );
    }
  }
  const text = (flag: string) => values[flag] as string | undefined;
  if (text("class") !== undefined) {
    options.classLabel = wholeNumber("class", text("class")!, 0);
  }
  if (text("temperature") !== undefined) {
    options.temperature = positiveNumber("temperature", text("temperature")!);
  }
  if (text("guidance") !== undefined) {
    const guidance = Number(text("guidance"));
    if (!Number.isFinite(guidance) || guidance < 0 || text("guidance") === "") {
      throw new UsageError(
        `--guidance must be a number >= 0, got "${text("guidance")}"`,
      );
    }
    options.guidance = guidance;
  }
  if (text("sampler") !== undefined) {
    if (!["ddpm", "ddim"].includes(text("sampler")!)) {
      throw new UsageError(
        `--sampler must be ddpm or ddim, got "${text("sampler")}"`,
      );
    }
    options.sampler = text("sampler");
  }
  if (text("sampler-steps") !== undefined) {
    options.samplerSteps = wholeNumber("sampler-steps", text("sampler-steps")!);
  }
  if (text("eta") !== undefined) {
    const eta = Number(text("eta"));
    if (!(eta >= 0 && eta <= 1) || text("eta") === "") {
      throw new UsageError(
        `--eta must be a number from 0 to 1, got "${text("eta")}"`,
      );
    }
    options.eta = eta;
  }
  if (values["no-clip"] === true) options.clipSample = false;
  return options;
}
