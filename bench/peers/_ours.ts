/**
 * Our half of `deno task bench:peers`: one canonical model's training step
 * timed by bench/_step_timing.ts (what `deno task bench:steps` measures)
 * on one thread count, printed as one JSON line (a StepTiming, or
 * `{model, missing: true}` where no family builds the preset yet).
 *
 *     deno run --allow-read --allow-write --allow-env --allow-sys \
 *       bench/peers/_ours.ts --threads 2 --model vae --warmup 5 --timed 20
 *
 * The samplers, which bench:steps times on 64 images, are timed on one
 * here: they are not compared, and a 1000-step DDPM sampler on 64 images
 * would take minutes.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { initEngine } from "../../backends/mod.ts";
import { presetNames } from "../../models/registry.ts";
import { timeModel } from "../_step_timing.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    threads: { type: "string", default: "1" },
    model: { type: "string" },
    warmup: { type: "string", default: "5" },
    timed: { type: "string", default: "20" },
  },
});
const model = values.model;
if (!model) throw new Error("--model is required");
await initEngine({ threads: Number(values.threads) });
if (!presetNames().includes(model)) {
  console.log(JSON.stringify({ model, missing: true }));
} else {
  const counts = { warmup: Number(values.warmup), timed: Number(values.timed) };
  console.log(JSON.stringify(timeModel(model, counts, 64, 1)));
}
