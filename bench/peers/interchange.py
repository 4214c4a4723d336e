"""The PyTorch half of `deno task bench:interchange` (bench/interchange.ts):
our exports load into the reference modules and compute what ours do, and
PyTorch-trained weights go the other way.

    /usr/bin/python3 bench/peers/interchange.py DIR [--threads 1]

For each folder DIR/<preset>/ holding `ours.safetensors` (written by
`deno task export`) and `probe.safetensors` (inputs `input.*` and our
outputs `output.*`, NCHW):
1. builds the module the export's metadata names (e.g.
   `Vae(latent_size=16, base_width=32)`), loads the export with
   `load_state_dict(strict=True)` and prints the largest difference of
   each output from ours on the same inputs; it passes within 1e-4
   (relative to the value where it is above 1: the flow's log-likelihood
   runs to thousands of nats);
2. the way back: trains the canonical models 2 steps with `steps.py`
   (from PyTorch's own initialisation; BatchNorm statistics move too), or
   for the sized presets perturbs the loaded weights, and writes
   `torch.safetensors` (the state dict) and `torch-probe.safetensors` (its
   outputs on the same inputs) for bench/interchange.ts to import and
   compare.

Prints one line per model and step; exits 1 when an output differs.
"""
import argparse
import math
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import steps  # noqa: E402 (sets the thread count before torch starts)
import models  # noqa: E402
import torch  # noqa: E402
from _safetensors import load_file, save_file  # noqa: E402

TOLERANCE = 1e-4
TRAIN_STEPS = 2


def family_of(preset: str) -> str:
    """vae, gan, flow or ddpm: the family of a preset name."""
    name = preset.split("-")[0]
    return "gan" if name in ("dcgan", "cgan") else name


@torch.no_grad()
def outputs(family: str, module, inputs: dict) -> dict:
    """The module's outputs on the probe inputs (bench/_interchange_probes.ts)."""
    module.eval()
    labels = inputs.get("labels")
    labels = labels.long() if labels is not None else None
    if family == "vae":
        mean, log_variance = module.encode(inputs["images"])
        return {"mean": mean, "log_variance": log_variance,
                "logits": module.decode(inputs["z"])}
    if family == "gan":
        return {"images": module.generator(inputs["z"], labels),
                "logits": module.discriminator(inputs["real"], labels)}
    if family == "flow":
        return {"log_p": module(inputs["x"])}
    if family == "ddpm":
        return {"noise": module(inputs["x"], inputs["t"].long(), labels),
                "ddim_sample": ddim(module, inputs["x_T"], labels)}
    raise ValueError(f"no probe for {family}")


def ddim(unet, x: torch.Tensor, labels, steps: int = 10) -> torch.Tensor:
    """Deterministic DDIM (eta 0, x_0 clipped to [-1, 1]) from x_T = `x`
    over `steps` grid points floor(k T / steps), linear betas, as our
    DdimSampler (models/ddpm/sampler.ts)."""
    timesteps = unet.features.shape[0]
    betas = torch.linspace(1e-4, 0.02, timesteps, dtype=torch.float64)
    alpha_bars = torch.cumprod(1 - betas, 0).tolist()
    grid = [k * timesteps // steps for k in range(steps - 1, -1, -1)]
    for i, t in enumerate(grid):
        a = alpha_bars[t]
        previous = alpha_bars[grid[i + 1]] if i + 1 < len(grid) else 1.0
        epsilon = unet(x, torch.full((x.shape[0],), t), labels)
        x0 = ((x - math.sqrt(1 - a) * epsilon) / math.sqrt(a)).clamp(-1, 1)
        epsilon = (x - math.sqrt(a) * x0) / math.sqrt(1 - a)
        x = math.sqrt(previous) * x0 + math.sqrt(max(0, 1 - previous)) * epsilon
    return x


def differences(ours: dict, theirs: dict):
    """{name: (max |diff|, max |diff| / max(1, |value|))}."""
    result = {}
    for name, value in ours.items():
        diff = (theirs[name].double() - value.double()).abs()
        scale = value.double().abs().clamp(min=1)
        result[name] = (diff.max().item(), (diff / scale).max().item())
    return result


def report(label: str, found: dict) -> bool:
    ok = all(scaled <= TOLERANCE for _, scaled in found.values())
    parts = [f"{name} {absolute:.2e}" + (
        f" (relative {scaled:.2e})" if scaled != absolute else "")
        for name, (absolute, scaled) in found.items()]
    print(f"{label}: max |diff| {', '.join(parts)}  "
          f"{'ok' if ok else 'FAILED (over 1e-4)'}", flush=True)
    return ok


def torch_weights(preset: str, module, seed: int):
    """PyTorch-side weights: a canonical model trained TRAIN_STEPS steps
    with steps.py, or the module's weights perturbed (sized presets)."""
    torch.manual_seed(seed)
    if preset in steps.CANONICAL_MODELS:
        trainer = steps.create(preset)
        images, labels = steps.random_batch(trainer.pixel_range)
        if hasattr(trainer, "initialize"):
            trainer.initialize(images)
        for _ in range(TRAIN_STEPS):
            trainer.step(images, labels)
        return trainer.model, f"trained {TRAIN_STEPS} steps in PyTorch"
    with torch.no_grad():
        for parameter in module.parameters():
            parameter.add_(0.02 * torch.randn_like(parameter))
    return module, "perturbed in PyTorch"


def check(folder: str, preset: str, seed: int) -> bool:
    state, metadata = load_file(os.path.join(folder, "ours.safetensors"))
    probe, _ = load_file(os.path.join(folder, "probe.safetensors"))
    inputs = {k[len("input."):]: v for k, v in probe.items()
              if k.startswith("input.")}
    ours = {k[len("output."):]: v for k, v in probe.items()
            if k.startswith("output.")}
    family = family_of(preset)
    module = eval("models." + metadata["module"])  # noqa: S307 (our own file)
    module.load_state_dict(state, strict=True)
    ok = report(f"{preset} export -> PyTorch {metadata['module']}, "
                f"load_state_dict(strict=True) of {len(state)} keys",
                differences(ours, outputs(family, module, inputs)))
    trained, how = torch_weights(preset, module, seed)
    save_file(trained.state_dict(), os.path.join(folder, "torch.safetensors"),
              {"module": metadata["module"], "weights": how})
    save_file({f"output.{k}": v
               for k, v in outputs(family, trained, inputs).items()},
              os.path.join(folder, "torch-probe.safetensors"))
    print(f"{preset}: wrote torch.safetensors ({how})", flush=True)
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("dir")
    parser.add_argument("--threads", type=int, default=1)
    options = parser.parse_args()
    torch.set_num_threads(options.threads)
    print(f"torch {torch.__version__}", flush=True)
    results = []
    for index, preset in enumerate(sorted(os.listdir(options.dir))):
        folder = os.path.join(options.dir, preset)
        if os.path.exists(os.path.join(folder, "probe.safetensors")):
            results.append(check(folder, preset, index))
    if not all(results):
        sys.exit(1)


if __name__ == "__main__":
    main()
