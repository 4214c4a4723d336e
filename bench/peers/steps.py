"""One training step of each canonical model in PyTorch, and its timing:
the peer half of `deno task bench:peers` (bench/peers.ts).

    /usr/bin/python3 bench/peers/steps.py --threads 2 [--models dcgan,vae] \\
        [--warmup 5] [--timed 20]

prints one JSON line per model: {"model", "parameters", "expected" (the
spec's count), "medianMs", "stepsMs", "threads", "torch", "cpu"}. A step
is what our trainer takes (train/step.ts): every phase's forward, backward
and Adam update, plus the EMA update where our recipe keeps one (dcgan,
cgan, ddpm). Batches are random images in the model's pixel range with
random labels, made once, so no data loading is timed (as in
bench/_step_timing.ts). Each `step` returns its losses by name (the GANs'
D loss first).

Threads: set before torch is imported (OMP_NUM_THREADS, MKL_NUM_THREADS)
and with torch.set_num_threads; one inter-op thread. One thread count per
process.
"""
import argparse
import json
import math
import os
import statistics
import sys
import time


def _threads_from_argv() -> str:
    """--threads N from argv, read before torch starts its thread pools."""
    for i, arg in enumerate(sys.argv):
        if arg == "--threads" and i + 1 < len(sys.argv):
            return sys.argv[i + 1]
        if arg.startswith("--threads="):
            return arg.split("=", 1)[1]
    return "1"


for _name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = _threads_from_argv()

import torch  # noqa: E402 (after the thread settings)
from torch.nn import functional as F  # noqa: E402

# No __pycache__ in the working tree.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import models  # noqa: E402

CANONICAL_MODELS = ["dcgan", "cgan", "vae", "flow", "ddpm"]
BATCH = 64
# Our trainer's Adam epsilon (train/step.ts), also PyTorch's default.
ADAM_EPSILON = 1e-8
EMA_DECAY = 0.999


def adam(parameters, lr: float, betas=(0.9, 0.999)) -> torch.optim.Adam:
    """Adam as our StepRunner builds it (tf.train.adam)."""
    return torch.optim.Adam(parameters, lr=lr, betas=betas, eps=ADAM_EPSILON)


class WeightAverage:
    """EMA of every trained parameter, updated after each step (our
    train/ema.ts WeightAverage)."""

    def __init__(self, module: torch.nn.Module, decay: float = EMA_DECAY):
        self.decay = decay
        self.parameters = list(module.parameters())
        self.averages = [p.detach().clone() for p in self.parameters]

    @torch.no_grad()
    def update(self) -> None:
        for average, weight in zip(self.averages, self.parameters):
            average.lerp_(weight, 1 - self.decay)


class GanStep:
    """dcgan / cgan: one D update on a real and a fake batch (each its own
    BatchNorm batch), then one G update on fresh noise scored by D; both
    non-saturating BCE on logits; Adam `lr` (the spec's 2e-4 by default),
    betas (0.5, 0.999); EMA 0.999 of all weights (our GAN recipe). Pixels in
    [-1, 1]."""

    pixel_range = "symmetric"

    def __init__(self, conditional: bool, lr: float = 2e-4):
        self.model = models.Gan(models.CLASSES if conditional else 0)
        self.conditional = conditional
        g, d = self.model.generator, self.model.discriminator
        self.g_optimizer = adam(g.parameters(), lr, (0.5, 0.999))
        self.d_optimizer = adam(d.parameters(), lr, (0.5, 0.999))
        self.average = WeightAverage(self.model)

    def _fakes(self, labels: torch.Tensor) -> torch.Tensor:
        z = torch.randn(labels.shape[0], self.model.generator.latent_size)
        return self.model.generator(z, labels if self.conditional else None)

    def step(self, images: torch.Tensor, labels: torch.Tensor) -> dict:
        d = self.model.discriminator
        y = labels if self.conditional else None
        # D: G's batch is only an input here (no graph through G).
        with torch.no_grad():
            fakes = self._fakes(labels)
        real_logits, fake_logits = d(images, y), d(fakes, y)
        d_loss = (F.binary_cross_entropy_with_logits(
            real_logits, torch.ones_like(real_logits)) +
                  F.binary_cross_entropy_with_logits(
                      fake_logits, torch.zeros_like(fake_logits)))
        self.d_optimizer.zero_grad(set_to_none=True)
        d_loss.backward()
        self.d_optimizer.step()
        # G: gradients flow through D to G only (D's own are not needed).
        d.requires_grad_(False)
        logits = d(self._fakes(labels), y)
        g_loss = F.binary_cross_entropy_with_logits(logits,
                                                    torch.ones_like(logits))
        self.g_optimizer.zero_grad(set_to_none=True)
        g_loss.backward()
        self.g_optimizer.step()
        d.requires_grad_(True)
        self.average.update()
        return {"d_loss": d_loss.item(), "g_loss": g_loss.item()}


class VaeStep:
    """vae: Bernoulli NLL (sigmoid cross-entropy on logits, summed over
    pixels) plus the analytic KL, one reparameterised draw, mean over the
    batch; Adam 1e-3. Pixels in [0, 1]."""

    pixel_range = "unit"

    def __init__(self):
        self.model = models.Vae()
        self.optimizer = adam(self.model.parameters(), 1e-3)

    def loss(self, images: torch.Tensor) -> torch.Tensor:
        mean, log_variance = self.model.encode(images)
        z = mean + torch.exp(0.5 * log_variance) * torch.randn_like(mean)
        logits = self.model.decode(z)
        nll = F.binary_cross_entropy_with_logits(
            logits, images, reduction="none").flatten(1).sum(1)
        kl = 0.5 * (log_variance.exp() + mean.square() - 1 -
                    log_variance).sum(1)
        return (nll + kl).mean()

    def step(self, images: torch.Tensor, labels: torch.Tensor) -> dict:
        loss = self.loss(images)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        return {"loss": loss.item()}


class FlowStep:
    """flow: negative log-likelihood in bits per dimension of dequantised,
    logit-transformed images (both log-dets counted); Adam 1e-3. ActNorm is
    initialised from a batch before step 0 (`initialize`). Pixels in
    [0, 1]."""

    pixel_range = "unit"

    def __init__(self):
        self.model = models.Flow()
        self.optimizer = adam(self.model.parameters(), 1e-3)

    def loss(self, images: torch.Tensor) -> torch.Tensor:
        x, logdet = models.dequantize_logit(images)
        log_likelihood = self.model(x) + logdet
        dims = images[0].numel()
        return -log_likelihood.mean() / (dims * math.log(2))

    def initialize(self, images: torch.Tensor) -> None:
        """ActNorm's data-dependent init from a batch (before step 0)."""
        self.model.initialize(models.dequantize_logit(images)[0])

    def step(self, images: torch.Tensor, labels: torch.Tensor) -> dict:
        loss = self.loss(images)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        return {"loss": loss.item()}


class DdpmStep:
    """ddpm: epsilon-prediction MSE at t uniform in [0, 1000), linear betas
    1e-4..0.02; Adam 2e-4; EMA 0.999 of the weights. Pixels in [-1, 1]."""

    pixel_range = "symmetric"

    def __init__(self):
        self.model = models.UNet()
        self.optimizer = adam(self.model.parameters(), 2e-4)
        self.average = WeightAverage(self.model)
        alphas_cumprod = models.linear_alphas_cumprod()
        self.signal = alphas_cumprod.sqrt()
        self.noise = (1 - alphas_cumprod).sqrt()

    def loss(self, images: torch.Tensor) -> torch.Tensor:
        t = torch.randint(0, len(self.signal), (images.shape[0],))
        noise = torch.randn_like(images)
        xt = (self.signal[t][:, None, None, None] * images +
              self.noise[t][:, None, None, None] * noise)
        return F.mse_loss(self.model(xt, t), noise)

    def step(self, images: torch.Tensor, labels: torch.Tensor) -> dict:
        loss = self.loss(images)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        self.average.update()
        return {"loss": loss.item()}


def create(name: str):
    """The training step of a canonical model, by name."""
    factories = {
        "dcgan": lambda: GanStep(conditional=False),
        "cgan": lambda: GanStep(conditional=True),
        "vae": VaeStep,
        "flow": FlowStep,
        "ddpm": DdpmStep,
    }
    if name not in factories:
        raise ValueError(f"unknown model {name!r}; "
                         f"use {', '.join(CANONICAL_MODELS)}")
    return factories[name]()


def random_batch(pixel_range: str, size: int = BATCH):
    """Uniform random (size, 1, 28, 28) images in the range and labels 0..9."""
    images = torch.rand(size, 1, models.IMAGE_SIZE, models.IMAGE_SIZE)
    if pixel_range == "symmetric":
        images = images * 2 - 1
    return images, torch.randint(0, models.CLASSES, (size,))


def cpu_model() -> str:
    """The first "model name" of /proc/cpuinfo (Deno may not read it)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def time_model(name: str, warmup: int, timed: int) -> dict:
    """Median wall time of `timed` steps after `warmup` untimed ones."""
    torch.manual_seed(0)
    trainer = create(name)
    images, labels = random_batch(trainer.pixel_range)
    if hasattr(trainer, "initialize"):
        trainer.initialize(images)
    steps_ms = []
    for step in range(warmup + timed):
        started = time.perf_counter()
        trainer.step(images, labels)
        elapsed = (time.perf_counter() - started) * 1000
        if step >= warmup:
            steps_ms.append(elapsed)
    return {
        "model": name,
        "parameters": models.count_parameters(trainer.model),
        "expected": models.EXPECTED_PARAMETERS[name],
        "medianMs": statistics.median(steps_ms),
        "stepsMs": [round(ms, 3) for ms in steps_ms],
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "cpu": cpu_model(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--models", default=",".join(CANONICAL_MODELS))
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--timed", type=int, default=20)
    options = parser.parse_args()
    if options.threads < 1 or options.timed < 1 or options.warmup < 0:
        parser.error("--threads and --timed take whole numbers >= 1, "
                     "--warmup >= 0")
    torch.set_num_threads(options.threads)
    torch.set_num_interop_threads(1)
    for name in options.models.split(","):
        print(json.dumps(time_model(name.strip(), options.warmup,
                                    options.timed)),
              flush=True)


if __name__ == "__main__":
    main()
