/**
 * `deno task bench:interchange [--models vae,dcgan,...] [--keep DIR]
 * [--threads N]`: checks for real that our weights travel to PyTorch and
 * back (issue 22). For each model:
 *
 * 1. a run folder with seeded, perturbed weights (no zero layers, BatchNorm
 *    statistics away from 0 and 1) is exported with `genwasm export`;
 * 2. bench/peers/interchange.py loads the export into the reference module
 *    of bench/peers/models.py with `load_state_dict(strict=True)` and
 *    compares its outputs with ours on the same inputs
 *    (bench/_interchange_probes.ts: encoder and decoder, generator and
 *    discriminator, the flow's log-likelihood, the U-Net's noise and 10
 *    DDIM steps from the same x_T), then
 *    trains the canonical models 2 steps in PyTorch (perturbs the sized
 *    presets) and writes that state dict and its outputs;
 * 3. `genwasm import` makes a run of the PyTorch weights, whose outputs
 *    ours compares with PyTorch's.
 *
 * Every output must agree within 1e-4 (relative where the value is above
 * 1). Exits 1 otherwise. Needs /usr/bin/python3 with torch (Debian's
 * python3-torch; `deno task bench:peers` installs it), --allow-run (deno,
 * python3), --allow-read, --allow-write (a temporary folder), --allow-env.
 *
 * @module
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { tf } from "../backends/tf.ts";
import { initEngine } from "../backends/mod.ts";
import { Mulberry32 } from "../data/random.ts";
import { familyOf, rebuildModel } from "../models/registry.ts";
import type { TrainableModel } from "../models/contract.ts";
import { loadRun } from "../train/run_folder.ts";
import {
  decodeSafetensors,
  encodeSafetensors,
  type StoredTensor,
} from "../train/safetensors.ts";
import { writeImportedRun } from "../train/torch_state_dict.ts";
import { probeInputs, probeOutputs } from "./_interchange_probes.ts";

/** Debian's interpreter (a pyenv may shadow it on PATH). */
const PYTHON = "/usr/bin/python3";
const TOLERANCE = 1e-4;
const repoRoot = fileURLToPath(new URL("..", import.meta.url));

/** The canonical models, then the sized presets the reference modules take. */
export const INTERCHANGE_MODELS = [
  "vae",
  "dcgan",
  "cgan",
  "flow",
  "ddpm",
  "vae-small",
  "vae-large",
  "dcgan-small",
  "cgan-large",
  "flow-small",
  "ddpm-small",
  // the conditional U-Net: its class embedding (`--set conditional=true`)
  "ddpm-small:conditional=true",
];

/** "preset" or "preset:key=value,...": the preset, its overrides, a folder name. */
function parseModel(item: string): {
  preset: string;
  overrides: Record<string, unknown>;
  folder: string;
  sets: string[];
} {
  const [preset, ...sets] = item.split(":");
  const overrides = Object.fromEntries(sets.map((set) => {
    const [key, value] = set.split("=");
    return [key, JSON.parse(value)];
  }));
  const folder = [preset, ...sets.map((set) => set.replace("=", "-"))].join(
    "+",
  );
  return { preset, overrides, folder, sets };
}

/** Runs a command in the repository; throws with its stderr on failure. */
async function run(command: string, args: string[]): Promise<string> {
  const output = await new Deno.Command(command, {
    args,
    cwd: repoRoot,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  if (output.code !== 0) {
    throw new Error(
      `${command} ${
        args.slice(0, 4).join(" ")
      } ... failed (exit ${output.code}): ${
        text.decode(output.stderr).trim().split("\n").slice(-3).join(" | ")
      }`,
    );
  }
  return text.decode(output.stdout);
}

/** `genwasm <args>` in a child process, as a user runs it. */
function genwasm(args: string[], threads: number): Promise<string> {
  return run(Deno.execPath(), [
    "run",
    "--allow-all",
    "cli/main.ts",
    ...args,
    "--threads",
    String(threads),
  ]);
}

/**
 * Moves every weight away from its initial value (zero-initialised layers
 * included) and sets BatchNorm statistics away from 0 and 1, seeded.
 */
function perturb(model: TrainableModel, seed: number): void {
  const random = new Mulberry32(seed);
  const draw = (count: number, low: number, high: number) =>
    Float32Array.from(
      { length: count },
      () => low + (high - low) * random.next(),
    );
  tf.tidy(() => {
    for (const group of Object.values(model.groups)) {
      for (const [, variable] of group) {
        const noise = draw(variable.size, -0.05, 0.05);
        variable.assign(tf.add(variable, tf.tensor(noise, variable.shape)));
      }
    }
    for (const [name, variable] of model.buffers ?? []) {
      const values = name.endsWith("runningVariance")
        ? draw(variable.size, 0.5, 1.5)
        : name.endsWith("runningMean")
        ? draw(variable.size, -0.3, 0.3)
        : undefined;
      if (values) variable.assign(tf.tensor(values, variable.shape));
    }
  });
}

function prefixed(
  prefix: string,
  tensors: Map<string, StoredTensor>,
): [string, StoredTensor][] {
  return [...tensors].map(([name, tensor]) => [`${prefix}${name}`, tensor]);
}

/** {name: [max |diff|, max |diff| / max(1, |value|)]} of two output sets. */
function compare(
  theirs: Map<string, StoredTensor>,
  ours: Map<string, StoredTensor>,
): Map<string, [number, number]> {
  const found = new Map<string, [number, number]>();
  for (const [name, reference] of theirs) {
    const mine = ours.get(name)!.data as Float32Array;
    let absolute = 0, scaled = 0;
    (reference.data as Float32Array).forEach((value, i) => {
      const diff = Math.abs(mine[i] - value);
      absolute = Math.max(absolute, diff);
      scaled = Math.max(scaled, diff / Math.max(1, Math.abs(value)));
    });
    found.set(name, [absolute, scaled]);
  }
  return found;
}

function report(label: string, found: Map<string, [number, number]>): boolean {
  const ok = [...found.values()].every(([, scaled]) => scaled <= TOLERANCE);
  const parts = [...found].map(([name, [absolute, scaled]]) =>
    `${name} ${absolute.toExponential(2)}` +
    (scaled !== absolute ? ` (relative ${scaled.toExponential(2)})` : "")
  );
  console.log(
    `${label}: max |diff| ${parts.join(", ")}  ${
      ok ? "ok" : "FAILED (over 1e-4)"
    }`,
  );
  return ok;
}

/** One model of the check. */
type Item = ReturnType<typeof parseModel>;

/** Step 1: the run, its export and the probe of `item` in `folder`. */
async function prepare(
  { preset, overrides }: Item,
  folder: string,
  seed: number,
  threads: number,
): Promise<void> {
  const family = familyOf(preset);
  const model = family.create(preset, overrides, seed, { classes: 10 });
  try {
    perturb(model, seed);
    const runDir = join(folder, "run");
    await writeImportedRun(runDir, model, {
      training: { data: "mnist" },
      ema: (family.training.emaDecay ?? 0) > 0,
    });
    await genwasm([
      "export",
      "--run",
      runDir,
      "--out",
      join(folder, "ours.safetensors"),
    ], threads);
    const inputs = probeInputs(family.name, model, seed);
    const outputs = probeOutputs(family.name, model, inputs);
    await Deno.writeFile(
      join(folder, "probe.safetensors"),
      encodeSafetensors(
        new Map([
          ...prefixed("input.", inputs),
          ...prefixed("output.", outputs),
        ]),
        { preset, family: family.name, config: JSON.stringify(model.config) },
      ),
    );
  } finally {
    model.dispose();
  }
}

/** Step 3: import PyTorch's weights and compare the outputs. */
async function wayBack(
  { preset, sets, folder: name }: Item,
  folder: string,
  threads: number,
): Promise<boolean> {
  const runDir = join(folder, "back");
  const said = await genwasm([
    "import",
    "--model",
    preset,
    "--from",
    join(folder, "torch.safetensors"),
    "--out",
    runDir,
    ...sets.flatMap((set) => ["--set", set]),
  ], threads);
  const line = said.trim().split("\n").at(-1) ?? "";
  const read = async (name: string) =>
    decodeSafetensors(await Deno.readFile(join(folder, name)), name).tensors;
  const probe = await read("probe.safetensors");
  const inputs = new Map(
    [...probe].filter(([name]) => name.startsWith("input."))
      .map(([name, tensor]) => [name.slice("input.".length), tensor]),
  );
  const theirs = new Map(
    [...await read("torch-probe.safetensors")].map((
      [name, tensor],
    ) => [name.slice("output.".length), tensor]),
  );
  const loaded = await loadRun(
    runDir,
    (p, config) => rebuildModel(familyOf(p), p, config),
    { useAverage: false },
  );
  try {
    const ours = probeOutputs(familyOf(preset).name, loaded.model, inputs);
    console.log(`${name}: ${line.replace(/^wrote /, "import wrote ")}`);
    return report(
      `${name} PyTorch -> import -> ours`,
      compare(theirs, ours),
    );
  } finally {
    loaded.model.dispose();
  }
}

/** Runs the whole check; returns whether every output agreed. */
export async function checkInterchange(
  models: string[],
  options: { threads: number; keep?: string },
): Promise<boolean> {
  const items = models.map(parseModel);
  await initEngine({ threads: options.threads });
  const dir = options.keep ??
    await Deno.makeTempDir({ prefix: "interchange-" });
  await Deno.mkdir(dir, { recursive: true });
  try {
    for (const [index, item] of items.entries()) {
      const folder = join(dir, item.folder);
      await Deno.mkdir(folder, { recursive: true });
      await prepare(item, folder, 1000 + index, options.threads);
    }
    let python = "";
    let ok = true;
    try {
      python = await run(PYTHON, [
        "bench/peers/interchange.py",
        dir,
        "--threads",
        String(options.threads),
      ]);
    } catch (error) {
      python = (error as Error).message;
      ok = false;
    }
    console.log(python.trimEnd());
    if (!ok) return false;
    for (const item of items) {
      ok = await wayBack(item, join(dir, item.folder), options.threads) && ok;
    }
    return ok;
  } finally {
    if (!options.keep) await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      models: { type: "string" },
      threads: { type: "string" },
      keep: { type: "string" },
    },
    strict: true,
  });
  const presets = values.models?.split(",") ?? INTERCHANGE_MODELS;
  const ok = await checkInterchange(presets, {
    threads: Number(values.threads ?? 1),
    ...(values.keep ? { keep: values.keep } : {}),
  });
  Deno.exit(ok ? 0 : 1);
}
