/**
 * The inputs and outputs `deno task bench:interchange` compares with
 * PyTorch: for each family, seeded inputs in PyTorch's NCHW layout and our
 * model's outputs on them (also NCHW), as plain stored tensors that go
 * into a safetensors file for bench/peers/interchange.py.
 *
 * - vae: `images` -> `mean`, `log_variance` (the encoder); `z` ->
 *   `logits` (the decoder).
 * - gan: `z` (and `labels`) -> `images` (the generator with its running
 *   BatchNorm statistics, PyTorch's eval mode); `real` (and `labels`) ->
 *   `logits` (the discriminator, eval mode).
 * - flow: `x` (logit-space images) -> `log_p`, the log-likelihood in nats
 *   (latents under the standard normal plus the log-determinant).
 * - ddpm: `x`, `t` (and `labels`, the last the "no label" row) -> `noise`,
 *   the U-Net's prediction; and the sampler: `x_T` -> `ddim_sample`, 10
 *   deterministic DDIM steps (eta 0, x_0 clipped) from that noise (linear
 *   schedule, epsilon prediction).
 *
 * @module
 */
import { tf } from "../backends/tf.ts";
import { Mulberry32 } from "../data/random.ts";
import type { TrainableModel } from "../models/contract.ts";
import { permuteAxes } from "../models/torch_layout.ts";
import type { StoredTensor } from "../train/safetensors.ts";
import type { Vae } from "../models/vae/vae.ts";
import type { Gan } from "../models/gan/gan.ts";
import type { Flow } from "../models/flow/flow.ts";
import type { UNet } from "../models/ddpm/model.ts";
import type { NoiseSchedule } from "../models/ddpm/schedule.ts";
import { createSampler, denoise } from "../models/ddpm/sampler.ts";
import type { DdpmConfig } from "../models/ddpm/presets.ts";

/** Images per probe. */
export const PROBE_BATCH = 4;
/** DDIM steps of the ddpm's sampler probe. */
export const PROBE_DDIM_STEPS = 10;
const SIDE = 28;

type Tensors = Map<string, StoredTensor>;

function uniform(random: Mulberry32, count: number, low: number, high: number) {
  return Float32Array.from(
    { length: count },
    () => low + (high - low) * random.next(),
  );
}

/** Standard normal draws (Box-Muller). */
function normal(random: Mulberry32, count: number, scale = 1): Float32Array {
  return Float32Array.from({ length: count }, () => {
    const u = 1 - random.next(), v = random.next();
    return scale * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  });
}

function f32(shape: number[], data: Float32Array): StoredTensor {
  return { dtype: "F32", shape, data };
}

function i32(values: number[]): StoredTensor {
  return {
    dtype: "I32",
    shape: [values.length],
    data: Int32Array.from(values),
  };
}

/** An NCHW stored image batch as an NHWC tensor. */
function nhwc(stored: StoredTensor): tf.Tensor4D {
  const [n, c, h, w] = stored.shape;
  return tf.tensor4d(
    permuteAxes(stored.data as Float32Array, stored.shape, [0, 2, 3, 1]),
    [n, h, w, c],
  );
}

/** An NHWC tensor as an NCHW stored batch. */
function nchw(tensor: tf.Tensor): StoredTensor {
  const [n, h, w, c] = tensor.shape;
  return f32(
    [n, c, h, w],
    permuteAxes(tensor.dataSync() as Float32Array, tensor.shape, [0, 3, 1, 2]),
  );
}

function flat(tensor: tf.Tensor): StoredTensor {
  return f32(tensor.shape, Float32Array.from(tensor.dataSync()));
}

function labels(stored: StoredTensor | undefined): tf.Tensor1D | undefined {
  return stored ? tf.tensor1d(stored.data as Int32Array, "int32") : undefined;
}

/** The probe inputs of `model` (family `family`), drawn from `seed`. */
export function probeInputs(
  family: string,
  model: TrainableModel,
  seed: number,
): Tensors {
  const random = new Mulberry32(seed);
  const n = PROBE_BATCH, pixels = n * SIDE * SIDE;
  const image = [n, 1, SIDE, SIDE];
  const classes =
    (model.config.conditional ? model.config.classes : 0) as number;
  const someLabels = (rows: number) =>
    i32(Array.from({ length: n }, (_, i) => (3 * i + 1) % rows));
  switch (family) {
    case "vae":
      return new Map([
        ["images", f32(image, uniform(random, pixels, 0, 1))],
        [
          "z",
          f32(
            [n, (model as Vae).config.latentSize],
            normal(random, n * (model as Vae).config.latentSize),
          ),
        ],
      ]);
    case "gan": {
      const latent = (model as Gan).config.latentSize;
      return new Map([
        ["z", f32([n, latent], normal(random, n * latent))],
        ["real", f32(image, uniform(random, pixels, -1, 1))],
        ...(classes ? [["labels", someLabels(classes)] as const] : []),
      ]);
    }
    case "flow":
      return new Map([["x", f32(image, normal(random, pixels, 1.5))]]);
    case "ddpm": {
      const { timesteps } = model.config as DdpmConfig;
      return new Map([
        ["x", f32(image, normal(random, pixels))],
        ["t", i32([0, 17, Math.floor(timesteps / 2), timesteps - 1])],
        ["x_T", f32(image, normal(random, pixels))],
        // conditional: the last label row is "no label"
        ...(classes ? [["labels", someLabels(classes + 1)] as const] : []),
      ]);
    }
    default:
      throw new Error(`no probe for the ${family} family`);
  }
}

/** Our outputs of `model` on `inputs` (see the module doc). */
export function probeOutputs(
  family: string,
  model: TrainableModel,
  inputs: Tensors,
): Tensors {
  let outputs: Tensors | undefined;
  tf.tidy(() => {
    outputs = measure(family, model, inputs);
  });
  return outputs!;
}

function measure(
  family: string,
  model: TrainableModel,
  inputs: Tensors,
): Tensors {
  switch (family) {
    case "vae": {
      const vae = model as Vae;
      const { mean, logVariance } = vae.encode(nhwc(inputs.get("images")!));
      const z = inputs.get("z")!;
      const logits = vae.decoder.apply(
        tf.tensor2d(z.data as Float32Array, z.shape as [number, number]),
      );
      return new Map([
        ["mean", flat(mean)],
        ["log_variance", flat(logVariance)],
        ["logits", nchw(logits)],
      ]);
    }
    case "gan": {
      const gan = model as Gan;
      const z = inputs.get("z")!;
      const y = labels(inputs.get("labels"));
      const images = gan.generator.apply(
        tf.tensor2d(z.data as Float32Array, z.shape as [number, number]),
        y,
        "inference",
      );
      const logits = gan.discriminator.apply(
        nhwc(inputs.get("real")!),
        y,
        false,
      );
      return new Map([["images", nchw(images)], ["logits", flat(logits)]]);
    }
    case "flow": {
      const flow = model as Flow;
      const { latents, logDet } = flow.network.forward(
        nhwc(inputs.get("x")!),
      );
      let logP: tf.Tensor = logDet;
      for (const z of latents) {
        logP = tf.add(
          logP,
          tf.sum(
            tf.mul(-0.5, tf.add(tf.square(z), Math.log(2 * Math.PI))),
            [1, 2, 3],
          ),
        );
      }
      return new Map([["log_p", flat(logP)]]);
    }
    case "ddpm": {
      const { unet, schedule } = model as unknown as {
        unet: UNet;
        schedule: NoiseSchedule;
      };
      const t = inputs.get("t")!;
      const y = labels(inputs.get("labels"));
      const noise = unet.apply(
        nhwc(inputs.get("x")!),
        tf.tensor1d(t.data as Int32Array, "int32"),
        y,
      );
      const outputs = new Map([["noise", nchw(noise)]]);
      const config = model.config as DdpmConfig;
      if (config.schedule === "linear" && config.prediction === "epsilon") {
        const initial = nhwc(inputs.get("x_T")!);
        const sampler = createSampler("ddim", schedule, {
          steps: PROBE_DDIM_STEPS,
        });
        const { sample } = denoise(
          sampler,
          (x, step) =>
            unet.apply(
              x,
              tf.fill([x.shape[0]], step, "int32") as tf.Tensor1D,
              y,
            ),
          initial.shape,
          { seed: 0, initial },
        );
        outputs.set("ddim_sample", nchw(sample));
      }
      return outputs;
    }
    default:
      throw new Error(`no probe for the ${family} family`);
  }
}
