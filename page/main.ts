/**
 * The web page's main thread: the controls, the progress bar, the canvas
 * and the download, and the checkpoint it hands to the sampler worker
 * (./sampler_worker.ts): the served run's `run/checkpoint.safetensors`, or
 * a file dropped on the page. `document.body.dataset.state` says where it
 * is ("starting", "empty", "ready", "sampling", "error"), for people and
 * for the browser tests.
 *
 * @module
 */
/// <reference lib="dom" />
import type { OptionControl, PageRequest, SamplerReply } from "./protocol.ts";

/** Where `deno task serve` puts the run's checkpoint. */
const SERVED_CHECKPOINT = "run/checkpoint.safetensors";

const element = <T extends HTMLElement>(id: string) =>
  document.getElementById(id) as T;

const sampler = new Worker("sampler.js");
const canvas = element<HTMLCanvasElement>("grid");
const progress = element<HTMLProgressElement>("progress");
const sampleButton = element<HTMLButtonElement>("sample");
const downloadButton = element<HTMLButtonElement>("download");
let controls: OptionControl[] = [];
/** The loaded model's preset, once one is. */
let preset: string | undefined;

function ask(request: PageRequest, transfer: Transferable[] = []): void {
  sampler.postMessage(request, transfer);
}

function setState(state: string): void {
  document.body.dataset.state = state;
}

function showError(message: string): void {
  const error = element("error");
  error.textContent = message;
  error.hidden = false;
  setState("error");
  sampleButton.disabled = preset === undefined;
}

function clearError(): void {
  element("error").hidden = true;
}

/** One input per sampling option the family declares. */
function showControls(options: OptionControl[]): void {
  controls = options;
  const box = element("options");
  box.replaceChildren(...options.map((option) => {
    const label = document.createElement("label");
    label.title = option.help;
    label.append(option.flag);
    const input = document.createElement("input");
    input.id = `option-${option.flag}`;
    if (option.placeholder === undefined) {
      input.type = "checkbox";
    } else {
      input.type = "text";
      input.placeholder = option.placeholder;
    }
    label.append(input);
    return label;
  }));
}

function optionValues(): Record<string, string | boolean> {
  const values: Record<string, string | boolean> = {};
  for (const option of controls) {
    const input = element<HTMLInputElement>(`option-${option.flag}`);
    values[option.key] = option.placeholder === undefined
      ? input.checked
      : input.value.trim();
  }
  return values;
}

function paint(reply: Extract<SamplerReply, { type: "grid" }>): void {
  const { width, height, channels, data } = reply;
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext("2d")!;
  const image = context.createImageData(width, height);
  for (let i = 0; i < width * height; i++) {
    for (let c = 0; c < 3; c++) {
      image.data[4 * i + c] = data[i * channels + (channels === 3 ? c : 0)];
    }
    image.data[4 * i + 3] = 255;
  }
  context.putImageData(image, 0, 0);
  downloadButton.disabled = false;
}

sampler.onmessage = (event: MessageEvent<SamplerReply>) => {
  const reply = event.data;
  if (reply.type === "engine") {
    element("engine").textContent = `engine: ${reply.description}`;
    element("isolation").hidden = reply.isolated;
    loadServedCheckpoint();
  } else if (reply.type === "model") {
    preset = reply.preset;
    element("model").textContent = `${reply.preset} (${reply.family}) at step ${
      reply.step.toLocaleString("en")
    }${reply.averaged ? ", EMA weights" : ""}, from ${reply.name}`;
    showControls(reply.options);
    clearError();
    sampleButton.disabled = false;
    setState("ready");
  } else if (reply.type === "progress") {
    progress.max = reply.total;
    progress.value = reply.done;
  } else if (reply.type === "grid") {
    paint(reply);
    progress.value = progress.max;
    element("status").textContent = `${reply.count} ${
      reply.count === 1 ? "image" : "images"
    } in ${(reply.milliseconds / 1000).toFixed(2)} s`;
    sampleButton.disabled = false;
    setState("ready");
  } else {
    showError(reply.message);
  }
};
sampler.onerror = (event) => showError(`the sampler failed: ${event.message}`);

/** The served run's checkpoint, when the page was served with one. */
async function loadServedCheckpoint(): Promise<void> {
  const response = await fetch(SERVED_CHECKPOINT).catch(() => undefined);
  if (!response?.ok) {
    element("model").textContent =
      "no run served: drop a checkpoint.safetensors below";
    setState("empty");
    return;
  }
  const bytes = await response.arrayBuffer();
  ask({ type: "load", bytes, name: SERVED_CHECKPOINT }, [bytes]);
}

async function loadFile(file: File): Promise<void> {
  clearError();
  const bytes = await file.arrayBuffer();
  ask({ type: "load", bytes, name: file.name }, [bytes]);
}

element<HTMLFormElement>("controls").onsubmit = (event) => {
  event.preventDefault();
  clearError();
  sampleButton.disabled = true;
  progress.value = 0;
  setState("sampling");
  ask({
    type: "sample",
    count: Number(element<HTMLInputElement>("count").value),
    seed: Number(element<HTMLInputElement>("seed").value),
    options: optionValues(),
  });
};

downloadButton.onclick = () => {
  canvas.toBlob((blob) => {
    if (!blob) return;
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = `${preset}-seed${
      element<HTMLInputElement>("seed").value
    }.png`;
    link.click();
    URL.revokeObjectURL(link.href);
  }, "image/png");
};

const drop = element("drop");
drop.ondragover = (event) => {
  event.preventDefault();
  drop.classList.add("over");
};
drop.ondragleave = () => drop.classList.remove("over");
drop.ondrop = (event) => {
  event.preventDefault();
  drop.classList.remove("over");
  const file = event.dataTransfer?.files[0];
  if (file) loadFile(file);
};
element<HTMLInputElement>("file").onchange = (event) => {
  const file = (event.target as HTMLInputElement).files?.[0];
  if (file) loadFile(file);
};

const threads = new URLSearchParams(location.search).get("threads");
ask({ type: "start", threads: threads ? Number(threads) : undefined });
