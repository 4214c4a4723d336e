"""Minute marks for the peer's training scripts, as ours has them
(`deno task train --minutes M --snapshot-minutes A,B`): the equal-minutes
comparison of `deno task bench:quality` (bench/quality.ts).

    --minutes M               stop after M minutes of training
    --snapshot-minutes A,B    after the first step past each mark, write the
                              weights (the EMA where the recipe keeps one) as
                              a state dict `deno task import` reads
    --snapshot-dir DIR        where: DIR/Am.safetensors, ...

The clock starts where ours does: after the data, the model and the
optimizer are made, before the first step (a data-dependent initialisation
included). Each snapshot is written to a temporary file and renamed, and
prints one JSON line {"snapshot": "10m", "minutes", "step",
"elapsed_seconds", "path"}.
"""
import argparse
import json
import math
import os
import time

from _safetensors import save_file

# Marks (minutes) whose repr is a plain decimal, as JavaScript writes them.
MARK_RANGE = (1e-4, 1e15)


def parse_marks(text: str) -> list:
    """"10,20,30" -> [10.0, 20.0, 30.0]: positive, each once, ascending."""
    try:
        marks = sorted(float(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"takes minutes separated by commas, e.g. 10,20,30; got {text!r}")
    # The range where mark_name writes what ours writes (plain decimals).
    if any(not (MARK_RANGE[0] <= m < MARK_RANGE[1]) for m in marks):
        raise argparse.ArgumentTypeError(
            f"takes minutes from {MARK_RANGE[0]} to below {MARK_RANGE[1]:.0e}, "
            f"got {text!r}")
    if len(set(marks)) != len(marks):
        raise argparse.ArgumentTypeError(f"names a mark twice: {text!r}")
    return marks


def add_options(parser: argparse.ArgumentParser) -> None:
    """--minutes, --snapshot-minutes and --snapshot-dir."""
    parser.add_argument("--minutes", type=float,
                        help="stop after this many minutes of training")
    parser.add_argument("--snapshot-minutes", type=parse_marks, default=[],
                        help="write the weights at these minute marks")
    parser.add_argument("--snapshot-dir",
                        help="folder of the snapshots (MARKm.safetensors)")


def check_options(parser: argparse.ArgumentParser, options) -> None:
    """Refuses marks without a folder, or after --minutes ends the run."""
    if options.minutes is not None and not options.minutes > 0:
        parser.error("--minutes takes a positive number")
    if options.snapshot_minutes and not options.snapshot_dir:
        parser.error("--snapshot-minutes needs --snapshot-dir")
    late = [m for m in options.snapshot_minutes
            if options.minutes is not None and m > options.minutes]
    if late:
        parser.error(f"--snapshot-minutes {late[0]:g} comes after "
                     f"--minutes {options.minutes:g} ends the run")


def mark_name(minutes: float) -> str:
    """The snapshot's name, as ours names the folder (JavaScript's
    `${minutes}m`, the shortest decimal that reads back the same number):
    10 -> "10m", 0.05 -> "0.05m", 1.2345678 -> "1.2345678m". Python's repr
    is that decimal too within MARK_RANGE, but for the ".0" of a whole
    number."""
    text = repr(float(minutes))
    return (text[:-2] if text.endswith(".0") else text) + "m"


class Clock:
    """Training time against --minutes and the snapshot marks."""

    def __init__(self, options):
        self.limit = (options.minutes * 60 if options.minutes is not None
                      else math.inf)
        self.pending = list(options.snapshot_minutes)
        self.directory = options.snapshot_dir
        if self.directory:
            os.makedirs(self.directory, exist_ok=True)
        self.started = time.perf_counter()

    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def over(self, elapsed: float) -> bool:
        """Whether --minutes is used up."""
        return elapsed >= self.limit

    def snapshot(self, elapsed: float, step: int, state_dict, metadata) -> None:
        """Writes `state_dict()` (called only when a mark is due) once per
        mark that `elapsed` has reached."""
        while self.pending and elapsed >= self.pending[0] * 60:
            mark = self.pending.pop(0)
            path = os.path.join(self.directory,
                                f"{mark_name(mark)}.safetensors")
            temporary = f"{path}.tmp-{os.getpid()}"
            save_file(state_dict(), temporary, {
                **metadata,
                "weights": f"{metadata.get('weights', 'weights')} "
                           f"after {step} steps, {elapsed:.1f} s",
            })
            os.replace(temporary, path)
            print(json.dumps({"snapshot": mark_name(mark), "minutes": mark,
                              "step": step,
                              "elapsed_seconds": round(elapsed, 3),
                              "path": path}), flush=True)


def averaged_state_dict(module, averages) -> dict:
    """`module.state_dict()` with each parameter replaced by its average
    (buffers such as BatchNorm statistics as they are)."""
    state = {name: value.detach().clone()
             for name, value in module.state_dict().items()}
    for (name, _), average in zip(module.named_parameters(), averages):
        state[name] = average.detach().clone()
    return state
