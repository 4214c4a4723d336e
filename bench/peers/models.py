"""The canonical models of shared/spec/canonical-models.md in PyTorch:
networks only. What each model learns (losses, optimizers, one training
step) lives in `steps.py`.

Layout is PyTorch's NCHW (ours is NHWC); "same" padding is padding=1 for
every k4 s2 (transposed) convolution and k3 s1 convolution: 28 -> 14 -> 7
and 7 -> 14 -> 28. The U-Net's k3 s2 convolutions pad as TensorFlow's
"same" does, 0 before and 1 after (`SameConv2d`), as ours do: padding=1
would sample other pixels, and our weights would not carry over. Layers, widths, biases and normalisations follow our
TypeScript models (models/gan, models/vae, models/flow, models/ddpm), so
the parameter counts are equal (see EXPECTED_PARAMETERS).

The sizes of the -small and -large presets are arguments (defaults: the
canonical models), so `deno task export` writes state dicts these modules
load with `load_state_dict(strict=True)`: the export's metadata "module"
says which, e.g. `Gan(classes=0, latent_size=32, base_width=32)`.
"""
import math

import torch
from torch import nn
from torch.nn import functional as F

# Parameter counts of the canonical models, worked out from the spec by hand
# (and equal to what our TypeScript models report).
EXPECTED_PARAMETERS = {
    # G 552513 (dense 407680, BN 12544, deconv1 131136, BN 128,
    # deconv2 1025) + D 138817 (conv1 1088, conv2 131200, BN 256, dense 6273).
    "dcgan": 691330,
    # dcgan + 10 * 6272 rows of G's dense + 10 * 16 * 64 of D's conv1.
    "cgan": 764290,
    # conv1 544, conv2 32832, dense 100384; dense 53312, deconv1 32800,
    # deconv2 513.
    "vae": 220385,
    # 4 steps of 7708 (c = 4) + 4 steps of 11224 (c = 8).
    "flow": 75728,
    # time 20736, input 320, ResBlocks 22752 + 65984 + 82368 (+ 82368
    # middle) + 2 * 127616 + 44416, down convs 9248 + 36928, up convs
    # 2 * 36928, output 64 + 289.
    "ddpm": 694561,
}

IMAGE_SIZE = 28
CLASSES = 10


def count_parameters(module: nn.Module) -> int:
    """Trained numbers of `module` (BatchNorm running statistics excluded)."""
    return sum(p.numel() for p in module.parameters())


def one_hot(labels: torch.Tensor) -> torch.Tensor:
    """(batch) int labels -> (batch, 10) float one-hot rows."""
    return F.one_hot(labels, CLASSES).float()


# --- dcgan / cgan ---------------------------------------------------------


class Generator(nn.Module):
    """G: [z, one-hot] -> Dense -> BN -> ReLU -> 128x7x7 -> ConvT(k4 s2) ->
    BN -> ReLU -> ConvT(k4 s2) -> tanh; pixels in [-1, 1]."""

    def __init__(self, latent_size: int = 64, classes: int = 0,
                 base_width: int = 64):
        super().__init__()
        self.latent_size = latent_size
        self.classes = classes
        self.inner = 2 * base_width
        self.dense = nn.Linear(latent_size + classes, self.inner * 7 * 7)
        # One BatchNorm per dense unit, before the reshape (the spec's order).
        self.norm0 = nn.BatchNorm1d(self.inner * 7 * 7)
        self.deconv1 = nn.ConvTranspose2d(self.inner, base_width, 4, stride=2,
                                          padding=1)
        self.norm1 = nn.BatchNorm2d(base_width)
        self.deconv2 = nn.ConvTranspose2d(base_width, 1, 4, stride=2,
                                          padding=1)

    def forward(self, z: torch.Tensor, labels=None) -> torch.Tensor:
        if self.classes:
            z = torch.cat([z, one_hot(labels)], 1)
        h = F.relu(self.norm0(self.dense(z))).view(-1, self.inner, 7, 7)
        h = F.relu(self.norm1(self.deconv1(h)))  # (batch, 64, 14, 14)
        return torch.tanh(self.deconv2(h))  # (batch, 1, 28, 28)


class Discriminator(nn.Module):
    """D: [image, one-hot as 10 constant planes] -> Conv(k4 s2) -> LReLU ->
    Conv(k4 s2) -> BN -> LReLU -> Flatten -> Dense to one logit."""

    def __init__(self, classes: int = 0, base_width: int = 64):
        super().__init__()
        self.classes = classes
        self.conv1 = nn.Conv2d(1 + classes, base_width, 4, stride=2, padding=1)
        self.conv2 = nn.Conv2d(base_width, 2 * base_width, 4, stride=2,
                               padding=1)
        self.norm = nn.BatchNorm2d(2 * base_width)
        self.dense = nn.Linear(2 * base_width * 7 * 7, 1)

    def forward(self, images: torch.Tensor, labels=None) -> torch.Tensor:
        if self.classes:
            batch, _, height, width = images.shape
            planes = one_hot(labels)[:, :, None, None].expand(
                batch, self.classes, height, width)
            images = torch.cat([images, planes], 1)
        h = F.leaky_relu(self.conv1(images), 0.2)  # (batch, 64, 14, 14)
        h = F.leaky_relu(self.norm(self.conv2(h)), 0.2)  # (batch, 128, 7, 7)
        return self.dense(h.flatten(1)).view(-1)  # (batch) logits


class Gan(nn.Module):
    """Both networks of dcgan (classes 0) or cgan (classes 10)."""

    def __init__(self, classes: int = 0, latent_size: int = 64,
                 base_width: int = 64):
        super().__init__()
        self.generator = Generator(latent_size, classes, base_width)
        self.discriminator = Discriminator(classes, base_width)


# --- vae ------------------------------------------------------------------


class Vae(nn.Module):
    """Encoder Conv-ReLU-Conv-ReLU-Dense to (mean, log-variance) of 16
    latents; decoder Dense-ReLU-ConvT-ReLU-ConvT to pixel logits."""

    def __init__(self, latent_size: int = 16, base_width: int = 32):
        super().__init__()
        self.latent_size = latent_size
        self.inner = 2 * base_width
        self.conv1 = nn.Conv2d(1, base_width, 4, stride=2, padding=1)
        self.conv2 = nn.Conv2d(base_width, self.inner, 4, stride=2, padding=1)
        self.encoder_dense = nn.Linear(self.inner * 7 * 7, 2 * latent_size)
        self.decoder_dense = nn.Linear(latent_size, self.inner * 7 * 7)
        self.deconv1 = nn.ConvTranspose2d(self.inner, base_width, 4, stride=2,
                                          padding=1)
        self.deconv2 = nn.ConvTranspose2d(base_width, 1, 4, stride=2,
                                          padding=1)

    def encode(self, images: torch.Tensor):
        """(batch, 1, 28, 28) in [0, 1] -> mean, log-variance (batch, 16)."""
        h = F.relu(self.conv2(F.relu(self.conv1(images))))
        return self.encoder_dense(h.flatten(1)).chunk(2, 1)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """(batch, 16) -> (batch, 1, 28, 28) Bernoulli logits."""
        h = F.relu(self.decoder_dense(z)).view(-1, self.inner, 7, 7)
        return self.deconv2(F.relu(self.deconv1(h)))


# --- flow -----------------------------------------------------------------

LOG_2PI = math.log(2 * math.pi)


def squeeze(x: torch.Tensor) -> torch.Tensor:
    """(b, c, h, w) -> (b, 4c, h/2, w/2), channel index dy*2c + dx*c + c as
    in our NHWC squeeze."""
    b, c, h, w = x.shape
    x = x.view(b, c, h // 2, 2, w // 2, 2).permute(0, 3, 5, 1, 2, 4)
    return x.reshape(b, 4 * c, h // 2, w // 2)


class ActNorm(nn.Module):
    """z = (x + bias) * exp(log_scale) per channel; data-dependent init to
    zero mean and unit variance."""

    def __init__(self, channels: int):
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(1, channels, 1, 1))
        self.log_scale = nn.Parameter(torch.zeros(1, channels, 1, 1))

    @torch.no_grad()
    def initialize(self, x: torch.Tensor) -> None:
        mean = x.mean(dim=(0, 2, 3), keepdim=True)
        std = x.var(dim=(0, 2, 3), unbiased=False, keepdim=True).sqrt()
        self.bias.copy_(-mean)
        self.log_scale.copy_(-torch.log(std + 1e-6))

    def forward(self, x: torch.Tensor):
        h, w = x.shape[2:]
        z = (x + self.bias) * self.log_scale.exp()
        return z, h * w * self.log_scale.sum()


class InvertibleConv(nn.Module):
    """Glow's invertible 1x1 convolution, a c x c matrix initialised to a
    random rotation; log-det h * w * log |det W|."""

    def __init__(self, channels: int):
        super().__init__()
        rotation, _ = torch.linalg.qr(torch.randn(channels, channels))
        self.kernel = nn.Parameter(rotation)

    def forward(self, x: torch.Tensor):
        c, h, w = x.shape[1:]
        z = F.conv2d(x, self.kernel.view(c, c, 1, 1))
        return z, h * w * torch.linalg.slogdet(self.kernel)[1]


class AffineCoupling(nn.Module):
    """Glow's affine coupling: the first c/2 channels pass, the rest become
    (x + shift) * sigmoid(raw + 2), shift and raw from Conv3x3 -> ReLU ->
    Conv1x1 -> ReLU -> Conv3x3 (zero-initialised) of the passive half."""

    def __init__(self, channels: int, hidden: int = 64):
        super().__init__()
        self.passive = channels // 2
        active = channels - self.passive
        self.network = nn.Sequential(
            nn.Conv2d(self.passive, hidden, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(hidden, hidden, 1),
            nn.ReLU(),
            nn.Conv2d(hidden, 2 * active, 3, padding=1),
        )
        nn.init.zeros_(self.network[-1].weight)
        nn.init.zeros_(self.network[-1].bias)

    def forward(self, x: torch.Tensor):
        passive, active = x[:, :self.passive], x[:, self.passive:]
        shift, raw = self.network(passive).chunk(2, 1)
        raw = raw + 2
        z = torch.cat([passive, (active + shift) * torch.sigmoid(raw)], 1)
        return z, F.logsigmoid(raw).flatten(1).sum(1)


class FlowStep(nn.Module):
    """ActNorm -> invertible 1x1 convolution -> affine coupling."""

    def __init__(self, channels: int, hidden: int = 64):
        super().__init__()
        self.actnorm = ActNorm(channels)
        self.permutation = InvertibleConv(channels)
        self.coupling = AffineCoupling(channels, hidden)

    def forward(self, x: torch.Tensor):
        x, actnorm_logdet = self.actnorm(x)
        x, conv_logdet = self.permutation(x)
        x, coupling_logdet = self.coupling(x)
        return x, actnorm_logdet + conv_logdet + coupling_logdet


class Flow(nn.Module):
    """Two levels: squeeze to 4x14x14, 4 steps, half (2 channels) to the
    prior; squeeze to 8x7x7, 4 steps, all to the prior. Standard normal
    prior; log-likelihood in nats of pre-processed (logit) inputs."""

    def __init__(self, steps_per_level: int = 4, hidden: int = 64):
        super().__init__()
        steps = range(steps_per_level)
        self.level1 = nn.ModuleList(FlowStep(4, hidden) for _ in steps)
        self.level2 = nn.ModuleList(FlowStep(8, hidden) for _ in steps)

    @staticmethod
    def _run(steps: nn.ModuleList, x: torch.Tensor, logdet: torch.Tensor):
        for step in steps:
            x, step_logdet = step(x)
            logdet = logdet + step_logdet
        return x, logdet

    @torch.no_grad()
    def initialize(self, x: torch.Tensor) -> None:
        """ActNorm's data-dependent init, step by step, from one batch."""
        h = squeeze(x)
        for level in (self.level1, self.level2):
            for step in level:
                step.actnorm.initialize(h)
                h, _ = step(h)
            if level is self.level1:
                h = squeeze(h[:, :2])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(batch, 1, 28, 28) logits -> (batch) log p in nats."""
        logdet = torch.zeros(x.shape[0])
        h, logdet = self._run(self.level1, squeeze(x), logdet)
        kept, factored = h[:, :2], h[:, 2:]
        h, logdet = self._run(self.level2, squeeze(kept), logdet)
        log_prior = sum(
            -0.5 * (z.square() + LOG_2PI).flatten(1).sum(1)
            for z in (factored, h))
        return log_prior + logdet


def dequantize_logit(images: torch.Tensor, alpha: float = 0.05):
    """Pixels in [0, 1] -> (logits, log-det per image in nats): uniform
    dequantisation (x * 255 + u) / 256, then the logit of
    alpha + (1 - 2 alpha) y."""
    dims = images[0].numel()
    levels = torch.round(images.clamp(0, 1) * 255)
    y = (levels + torch.rand_like(images)) / 256
    s = alpha + (1 - 2 * alpha) * y
    log_s, log_rest = torch.log(s), torch.log1p(-s)
    logdet = (math.log(1 - 2 * alpha) - log_s - log_rest).flatten(1).sum(1)
    return log_s - log_rest, logdet - dims * math.log(256)


# --- ddpm -----------------------------------------------------------------


def sinusoidal_features(timesteps: int, size: int) -> torch.Tensor:
    """(timesteps, size) [sin, cos] of t * 10000^(-i / (size/2 - 1))."""
    half = size // 2
    t = torch.arange(timesteps, dtype=torch.float64)[:, None]
    i = torch.arange(half, dtype=torch.float64)
    frequencies = torch.exp(-math.log(10000) * i / (half - 1))
    angles = t * frequencies
    return torch.cat([angles.sin(), angles.cos()], 1).float()


def upsample2x(x: torch.Tensor) -> torch.Tensor:
    """Nearest-neighbour upsampling by 2."""
    return F.interpolate(x, scale_factor=2, mode="nearest")


class ResBlock(nn.Module):
    """GroupNorm(8) -> SiLU -> Conv3x3 -> + Dense(embedding) -> GroupNorm ->
    SiLU -> Conv3x3, plus a 1x1 convolution on the skip when cin != cout."""

    def __init__(self, cin: int, cout: int, embedding: int = 128,
                 groups: int = 8):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.time = nn.Linear(embedding, cout)
        self.norm2 = nn.GroupNorm(groups, cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x: torch.Tensor, embedding: torch.Tensor):
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.time(embedding)[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        return self.skip(x) + h


class SameConv2d(nn.Conv2d):
    """A strided convolution with TensorFlow's "same" padding, as ours: the
    odd padding goes after (3x3 stride 2 on 28 pads 0 before, 1 after),
    where padding=1 would pad 1 before and sample other pixels."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int):
        super().__init__(cin, cout, kernel, stride=stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pads = []
        for size in reversed(x.shape[2:]):
            out = -(-size // self.stride[0])
            total = max((out - 1) * self.stride[0] + self.kernel_size[0] - size,
                        0)
            pads += [total // 2, total - total // 2]
        return super().forward(F.pad(x, pads))


class UNet(nn.Module):
    """The canonical U-Net: 32 / 64 / 64 channels at 28 / 14 / 7, a
    sinusoidal(32) -> Dense(128) -> SiLU -> Dense(128) time embedding (SiLU
    again before each block's Dense, as in our model). `base_width` scales
    it (channels base, 2 base, 2 base; embedding 4 base); with `classes`,
    a class embedding of classes + 1 rows (the last: "no label", for
    classifier-free guidance) is added before that SiLU, as in our
    conditional model."""

    def __init__(self, timesteps: int = 1000, base_width: int = 32,
                 groups: int = 8, classes: int = 0):
        super().__init__()
        b, e = base_width, 4 * base_width
        self.classes = classes
        self.register_buffer("features", sinusoidal_features(timesteps, b))
        self.time1 = nn.Linear(b, e)
        self.time2 = nn.Linear(e, e)
        if classes:
            self.label = nn.Embedding(classes + 1, e)
        self.input = nn.Conv2d(1, b, 3, padding=1)
        self.down0 = ResBlock(b, b, e, groups)
        self.downsample0 = SameConv2d(b, b, 3, 2)
        self.down1 = ResBlock(b, 2 * b, e, groups)
        self.downsample1 = SameConv2d(2 * b, 2 * b, 3, 2)
        self.down2 = ResBlock(2 * b, 2 * b, e, groups)
        self.middle = ResBlock(2 * b, 2 * b, e, groups)
        self.up2 = ResBlock(4 * b, 2 * b, e, groups)
        self.upsample2 = nn.Conv2d(2 * b, 2 * b, 3, padding=1)
        self.up1 = ResBlock(4 * b, 2 * b, e, groups)
        self.upsample1 = nn.Conv2d(2 * b, 2 * b, 3, padding=1)
        self.up0 = ResBlock(3 * b, b, e, groups)
        self.output_norm = nn.GroupNorm(groups, b)
        self.output = nn.Conv2d(b, 1, 3, padding=1)

    def forward(self, x: torch.Tensor, t: torch.Tensor,
                labels=None) -> torch.Tensor:
        """(batch, 1, 28, 28) noisy images, (batch) int steps (and labels,
        default "no label", for a conditional U-Net) -> noise."""
        e = self.time2(F.silu(self.time1(self.features[t])))
        if self.classes:
            if labels is None:
                labels = torch.full_like(t, self.classes)
            e = e + self.label(labels)
        e = F.silu(e)
        s0 = self.down0(self.input(x), e)  # (batch, 32, 28, 28)
        s1 = self.down1(self.downsample0(s0), e)  # (batch, 64, 14, 14)
        s2 = self.down2(self.downsample1(s1), e)  # (batch, 64, 7, 7)
        h = self.middle(s2, e)
        h = self.up2(torch.cat([h, s2], 1), e)
        h = self.up1(torch.cat([self.upsample2(upsample2x(h)), s1], 1), e)
        h = self.up0(torch.cat([self.upsample1(upsample2x(h)), s0], 1), e)
        return self.output(F.silu(self.output_norm(h)))


def linear_alphas_cumprod(timesteps: int = 1000) -> torch.Tensor:
    """prod_s (1 - beta_s), betas linear from 1e-4 to 0.02."""
    betas = torch.linspace(1e-4, 0.02, timesteps, dtype=torch.float64)
    return torch.cumprod(1 - betas, 0).float()
