/**
 * `genwasm encode`: writes the latent code of every image of a split, with
 * its label, as a safetensors file (`codes` (count, codeSize) float32,
 * `labels` (count) uint8) that numpy, PyTorch and JAX users load directly.
 *
 * @module
 */
import { join } from "node:path";
import { describeEngine, initEngine } from "@genwasm/backend/engine";
import { encodeImageSet } from "@genwasm/models/ae/encode_set";
import { encodeSafetensors } from "@genwasm/train/safetensors";
import { writeFileAtomic } from "@genwasm/data/atomic_write";
import { dataSpecOf, loadImageData } from "./_data.ts";
import { openRun, requireRun } from "./_run.ts";
import {
  COMMON_FLAGS,
  COMMON_HELP,
  engineOptions,
  parseFlags,
  UsageError,
} from "./_flags.ts";

/** One line for the command list. */
export const SUMMARY =
  "export latent codes of a split (ae, vae) as safetensors";

/** The command's `--help`. */
export const HELP = `genwasm encode: ${SUMMARY}

Usage: deno task encode --run DIR [--split test|train] [--out FILE.safetensors]

  --run DIR        run folder of an ae or vae (required)
  --split NAME     which images: test (default) or train
  --out FILE       where to write (default DIR/codes-SPLIT.safetensors)
  --raw            use the raw weights even when the run kept an EMA

The file holds "codes" (count x code size, float32; the VAE's posterior
mean) and "labels" (uint8). In Python:
  from safetensors.numpy import load_file; codes = load_file(FILE)["codes"]
${COMMON_HELP}`;

/** Runs `encode` with its arguments (the command name removed). */
export async function main(args: string[]): Promise<void> {
  const values = parseFlags(args, {
    ...COMMON_FLAGS,
    run: { type: "string" },
    split: { type: "string" },
    out: { type: "string" },
    raw: { type: "boolean" },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const runDir = requireRun(values);
  const split = values.split ?? "test";
  if (split !== "test" && split !== "train") {
    throw new UsageError(`--split must be test or train, got "${split}"`);
  }
  console.log(describeEngine(await initEngine(engineOptions(values))));
  const run = await openRun(runDir, { useAverage: !values.raw });
  try {
    const family = run.family;
    if (!family.encode) {
      throw new UsageError(
        `${run.preset} has no encoder; encode works on ae and vae runs`,
      );
    }
    const data = await loadImageData(dataSpecOf(run.training));
    const encoded = encodeImageSet(
      { encode: (images) => family.encode!(run.model, images) },
      data[split],
    );
    const out = values.out ?? join(runDir, `codes-${split}.safetensors`);
    await writeFileAtomic(
      out,
      encodeSafetensors(
        new Map([
          ["codes", {
            dtype: "F32",
            shape: encoded.shape,
            data: encoded.codes,
          }],
          [
            "labels",
            {
              dtype: "U8",
              shape: [encoded.labels.length],
              data: encoded.labels,
            },
          ],
        ]),
        { model: run.preset, step: String(run.step), data: data.name, split },
      ),
    );
    console.log(
      `wrote ${out}: ${encoded.shape[0]} codes of ${
        encoded.shape[1]
      } (${data.name} ${split}) from ${run.preset} at step ${run.step}`,
    );
  } finally {
    run.model.dispose();
  }
}
