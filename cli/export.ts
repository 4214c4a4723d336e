/**
 * `genwasm export`: a run's weights as a PyTorch state dict (safetensors)
 * that the reference modules in bench/peers/models.py load with
 * `load_state_dict(strict=True)`.
 *
 * @module
 */
import { join } from "node:path";
import { describeEngine, initEngine } from "@genwasm/backend/engine";
import type { ModelFamily } from "@genwasm/models/registry";
import type { TrainableModel } from "@genwasm/models/contract";
import type { TorchMapping } from "@genwasm/models/torch_layout";
import { stateDictOf, writeStateDict } from "@genwasm/train/torch_state_dict";
import { openRun, requireRun } from "./_run.ts";
import {
  COMMON_FLAGS,
  COMMON_HELP,
  engineOptions,
  parseFlags,
} from "./_flags.ts";

/** One line for the command list. */
export const SUMMARY = "write a run's weights as a PyTorch state dict";

/** The command's `--help`. */
export const HELP = `genwasm export: ${SUMMARY}

Usage: deno task export --run DIR [--out FILE.safetensors] [--raw]

  --run DIR        run folder of a vae, dcgan, cgan, flow or ddpm (and their
                   -small/-large presets the reference modules take)
  --out FILE       where to write (default DIR/pytorch.safetensors,
                   DIR/pytorch-raw.safetensors with --raw)
  --raw            the trained weights even when the run kept an EMA

The keys and layouts are those of the PyTorch modules in
bench/peers/models.py (conv weights OIHW, linear (out, in), BatchNorm
running statistics); the metadata names the module and its arguments. In
Python:
  from safetensors.torch import load_file
  model = models.Vae(latent_size=16, base_width=32)   # metadata "module"
  model.load_state_dict(load_file(FILE), strict=True)
Back again: deno task import --model NAME --from FILE --out runs/NAME
${COMMON_HELP}`;

/**
 * The family's state dict of `model`, or an Error saying there is none.
 */
export function torchMappingOf(
  family: ModelFamily,
  model: TrainableModel,
): TorchMapping {
  if (!family.torch) {
    throw new Error(
      `${model.preset} has no PyTorch reference module (bench/peers/models.py has vae, dcgan, cgan, flow and ddpm)`,
    );
  }
  return family.torch(model);
}

/** Runs `export` with its arguments (the command name removed). */
export async function main(args: string[]): Promise<void> {
  const values = parseFlags(args, {
    ...COMMON_FLAGS,
    run: { type: "string" },
    out: { type: "string" },
    raw: { type: "boolean" },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const runDir = requireRun(values);
  const engine = engineOptions(values);
  console.log(describeEngine(await initEngine(engine)));
  const run = await openRun(runDir, { useAverage: !values.raw });
  try {
    const mapping = torchMappingOf(run.family, run.model);
    const stateDict = stateDictOf(run.model, mapping, run);
    const out = values.out ??
      join(
        runDir,
        values.raw ? "pytorch-raw.safetensors" : "pytorch.safetensors",
      );
    await writeStateDict(out, stateDict);
    console.log(
      `wrote ${out}: ${stateDict.tensors.size} tensors of ${run.preset} at step ${run.step} (${
        run.averaged ? "EMA" : "trained"
      } weights) for models.${mapping.module}`,
    );
  } finally {
    run.model.dispose();
  }
}
