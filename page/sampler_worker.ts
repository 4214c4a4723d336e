/**
 * The page's sampler, a classic Web Worker: it starts the engine
 * (@genwasm/backend/browser), rebuilds a model from checkpoint bytes and
 * draws the grid `deno task sample` would draw (@genwasm/models/sample_grid)
 * for the same seed and options, parsed and checked by the family's own
 * declarations.
 *
 * @module
 */
import { describeEngine, initBrowserEngine } from "@genwasm/backend/browser";
import {
  parseCheckpoint,
  restoreModel,
} from "@genwasm/train/checkpoint_format";
import {
  familyOf,
  type ModelFamily,
  rebuildModel,
} from "@genwasm/models/registry";
import type { TrainableModel } from "@genwasm/models/contract";
import { sampleGrid } from "@genwasm/models/sample_grid";
import type { OptionControl, PageRequest, SamplerReply } from "./protocol.ts";

declare const self: {
  location: { href: string };
  onmessage: ((event: { data: PageRequest }) => void) | null;
  postMessage(message: SamplerReply, transfer?: Transferable[]): void;
};

interface Loaded {
  family: ModelFamily;
  model: TrainableModel;
  /** What the family's option checks are told of the run's data. */
  data: { name: string; classes: number };
  kind: string;
}

/** The picture kind the page draws: samples from noise, never from data. */
const SAMPLES = "samples";

let loaded: Loaded | undefined;

function reply(message: SamplerReply, transfer: Transferable[] = []): void {
  self.postMessage(message, transfer);
}

function controlsOf(family: ModelFamily): OptionControl[] {
  return Object.entries(family.sampleOptions ?? {}).map(([key, spec]) => ({
    key,
    flag: spec.flag,
    help: spec.help,
    placeholder: spec.value,
  }));
}

async function load(bytes: ArrayBuffer, name: string): Promise<void> {
  const saved = await parseCheckpoint(new Uint8Array(bytes), name);
  const family = familyOf(saved.preset);
  if (!family.sampleKinds.includes(SAMPLES)) {
    throw new Error(
      `${name}: a ${saved.preset} model draws ${
        family.sampleKinds.join(", ")
      } from data, not samples; the page samples generative models`,
    );
  }
  const run = restoreModel(
    saved,
    (preset, config) => rebuildModel(family, preset, config),
    {},
    name,
  );
  loaded?.model.dispose();
  const data = String(saved.training.data ?? "mnist");
  loaded = {
    family,
    model: run.model,
    data: { name: data, classes: Number(saved.config.classes ?? 10) },
    kind: SAMPLES,
  };
  reply({
    type: "model",
    name,
    preset: run.preset,
    family: family.name,
    step: run.step,
    averaged: run.averaged,
    kind: loaded.kind,
    options: controlsOf(family),
  });
}

/** The request's options parsed and checked by the family's declarations. */
function parsedOptions(
  { family, data }: Loaded,
  given: Record<string, string | boolean>,
): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(family.sampleOptions ?? {})) {
    const text = given[key];
    if (text === undefined || text === false || text === "") continue;
    const value = spec.value === undefined
      ? spec.switchValue
      : spec.parse(String(text));
    spec.check?.(value, data);
    options[key] = value;
  }
  return options;
}

function sample(
  request: Extract<PageRequest, { type: "sample" }>,
): void {
  if (!loaded) throw new Error("no model loaded yet: drop a checkpoint file");
  const { family, model, kind } = loaded;
  const started = performance.now();
  const { picture, count } = sampleGrid(family, model, {
    count: request.count,
    seed: request.seed,
    kind,
    // Samples start from noise: no test images.
    test: {
      images: new Float32Array(0),
      labels: new Uint8Array(0),
      shape: [0, 0, 0, 0],
    },
    progress: (done, total) => reply({ type: "progress", done, total }),
    ...parsedOptions(loaded, request.options),
  });
  reply({
    type: "grid",
    width: picture.width,
    height: picture.height,
    channels: picture.channels,
    data: picture.data,
    count,
    milliseconds: performance.now() - started,
  }, [picture.data.buffer]);
}

async function handle(request: PageRequest): Promise<void> {
  if (request.type === "start") {
    const info = await initBrowserEngine({
      assets: new URL("./", self.location.href).href,
      threads: request.threads,
    });
    reply({
      type: "engine",
      description: describeEngine(info),
      variant: info.variant,
      threads: info.threads,
      isolated: typeof SharedArrayBuffer === "function",
    });
  } else if (request.type === "load") {
    await load(request.bytes, request.name);
  } else {
    sample(request);
  }
}

// One request at a time, in order: each waits for the one before.
let queue = Promise.resolve();
self.onmessage = (event) => {
  queue = queue.then(() => handle(event.data)).catch((error) =>
    reply({
      type: "error",
      message: error instanceof Error ? error.message : String(error),
    })
  );
};
