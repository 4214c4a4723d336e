/**
 * `genwasm import`: a run folder made from a PyTorch state dict of one of
 * the reference modules in bench/peers/models.py (what `export` writes, or
 * weights trained in PyTorch), which `sample`, `eval` and `train --resume`
 * accept.
 *
 * @module
 */
import { describeEngine, initEngine } from "@genwasm/backend/engine";
import { familyOf } from "@genwasm/models/registry";
import {
  loadStateDict,
  readStateDict,
  STATE_DICT_FORMAT,
  writeImportedRun,
} from "@genwasm/train/torch_state_dict";
import { TRAINING_DEFAULTS } from "@genwasm/train/trainer";
import { torchMappingOf } from "./export.ts";
import { parseOverrides } from "./_overrides.ts";
import {
  asUsage,
  COMMON_FLAGS,
  COMMON_HELP,
  engineOptions,
  parseFlags,
  UsageError,
} from "./_flags.ts";

/** One line for the command list. */
export const SUMMARY = "make a run from a PyTorch state dict";

/** The command's `--help`. */
export const HELP = `genwasm import: ${SUMMARY}

Usage: deno task import --model NAME --from FILE.safetensors --out DIR

  --model NAME     the preset the weights belong to (vae, dcgan, cgan, flow,
                   ddpm, or a -small/-large preset the reference modules take)
  --from FILE      a state dict of that model (safetensors), keys and layouts
                   of bench/peers/models.py, as export writes
  --out DIR        the run folder to make (refused if it holds a checkpoint)
  --overwrite      replace the checkpoint in DIR
  --set KEY=VALUE  a config key of the weights' model where it is not the
                   preset's, e.g. --set conditional=true (repeatable; an
                   export of ours records its config, which this overrides)
  --data NAME      the data sample and eval load for this run (default mnist)

A file of another model, a missing or extra key, a wrong shape or dtype is
refused, naming the key; nothing is written then. The run starts at step 0
with a fresh optimizer state: train --resume starts Adam from zero, with
whatever --batch, --lr and --seed it is given (an EMA, where the model's
recipe keeps one, starts at the imported weights).
In Python, to make such a file:
  from safetensors.torch import save_file
  save_file(model.state_dict(), FILE)
${COMMON_HELP}`;

/** Runs `import` with its arguments (the command name removed). */
export async function main(args: string[]): Promise<void> {
  const values = parseFlags(args, {
    ...COMMON_FLAGS,
    model: { type: "string" },
    from: { type: "string" },
    out: { type: "string" },
    overwrite: { type: "boolean" },
    data: { type: "string" },
    set: { type: "string", multiple: true },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  for (const flag of ["model", "from", "out"] as const) {
    if (!values[flag]) {
      throw new UsageError(`--${flag} is required (see --help)`);
    }
  }
  const preset = values.model!, from = values.from!, out = values.out!;
  const family = asUsage(() => familyOf(preset));
  const engine = engineOptions(values);
  const { tensors, metadata } = await readStateDict(from);
  if (metadata.genwasm === STATE_DICT_FORMAT && metadata.preset !== preset) {
    throw new Error(
      `${from}: holds a ${metadata.preset} state dict (its metadata), not ${preset}`,
    );
  }
  console.log(describeEngine(await initEngine(engine)));
  // An export of ours records its config (e.g. a --set width): rebuild it.
  let overrides: Record<string, unknown> = {};
  if (metadata.genwasm === STATE_DICT_FORMAT && metadata.config) {
    try {
      overrides = JSON.parse(metadata.config);
    } catch {
      throw new Error(`${from}: metadata config is not JSON`);
    }
  }
  Object.assign(overrides, parseOverrides(values.set ?? []));
  const model = family.create(preset, overrides, 0);
  try {
    const mapping = torchMappingOf(family, model);
    loadStateDict(model, mapping, tensors, from);
    const emaDecay = family.training.emaDecay ?? TRAINING_DEFAULTS.emaDecay;
    const checkpoint = await writeImportedRun(out, model, {
      training: { data: values.data ?? "mnist", importedFrom: from },
      ema: emaDecay > 0,
      overwrite: values.overwrite ?? false,
    });
    console.log(
      `wrote ${checkpoint}: ${preset} from ${from} (${tensors.size} tensors of models.${mapping.module}), step 0; ` +
        `a fresh optimizer state: train --resume starts Adam from zero`,
    );
  } finally {
    model.dispose();
  }
}
