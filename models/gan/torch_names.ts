/**
 * dcgan and cgan as a PyTorch state dict of `Gan` in
 * bench/peers/models.py: each of our variables and BatchNorm statistics,
 * its key there and its layout (see ../torch_layout.ts).
 *
 * @module
 */
import {
  batchCount,
  batchNormEntries,
  layerEntries,
  requireNoText,
  requireReference,
  type TorchMapping,
} from "../torch_layout.ts";
import type { GanConfig } from "./presets.ts";

/** The BatchNorm layers, by PyTorch key (ours are the same). */
const NORMS = ["generator.norm0", "generator.norm1", "discriminator.norm"];

/**
 * The state dict of a GAN with `config`: `generator.{dense, norm0,
 * deconv1, norm1, deconv2}` and `discriminator.{conv1, conv2, norm,
 * dense}`. The generator's dense layer and the BatchNorm1d after it run
 * over the flattened (7, 7, 2 * baseWidth) image, as does the
 * discriminator's dense layer: reordered from our (h, w, c) flattening to
 * PyTorch's (c, h, w). Each BatchNorm's `num_batches_tracked` is written
 * as `batches` (our BatchNorm does not count them; PyTorch uses it only
 * with momentum=None) and ignored on import.
 *
 * @throws Error for a config the reference module does not take: spectral
 * normalisation, no discriminator BatchNorm, an image other than 28 x 28
 * grey.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ganTorchNames } from "./torch_names.ts";
 * import { GAN_PRESETS } from "./presets.ts";
 * const mapping = ganTorchNames("cgan", GAN_PRESETS.cgan);
 * assert.equal(mapping.module, "Gan(classes=10, latent_size=64, base_width=64)");
 * ```
 */
export function ganTorchNames(
  preset: string,
  config: GanConfig,
  batches = 0,
): TorchMapping {
  requireNoText(preset, config.text);
  requireReference(preset, "imageSize", config.imageSize, 28);
  requireReference(preset, "channels", config.channels, 1);
  requireReference(preset, "spectralNorm", config.spectralNorm, false);
  requireReference(preset, "minibatchStd", config.minibatchStd, false);
  requireReference(
    preset,
    "discriminatorBatchNorm",
    config.discriminatorBatchNorm,
    true,
  );
  const inner = config.imageSize / 4;
  const image = [inner, inner, 2 * config.baseWidth] as const;
  const features = { kind: "features", image } as const;
  const classes = config.conditional ? config.classes : 0;
  const deconv = { kind: "conv-transpose" } as const;
  const conv = { kind: "conv" } as const;
  return {
    module:
      `Gan(classes=${classes}, latent_size=${config.latentSize}, base_width=${config.baseWidth})`,
    entries: [
      ...layerEntries("generator.dense", "generator.dense", {
        kind: "dense",
        outputImage: image,
      }, { biasLayout: features }),
      ...batchNormEntries("generator.norm0", "generator.norm0", features),
      ...layerEntries("generator.deconv1", "generator.deconv1", deconv),
      ...batchNormEntries("generator.norm1", "generator.norm1"),
      ...layerEntries("generator.deconv2", "generator.deconv2", deconv),
      ...layerEntries("discriminator.conv1", "discriminator.conv1", conv),
      ...layerEntries("discriminator.conv2", "discriminator.conv2", conv),
      ...batchNormEntries("discriminator.norm", "discriminator.norm"),
      ...layerEntries("discriminator.dense", "discriminator.dense", {
        kind: "dense",
        inputImage: image,
      }),
    ],
    constants: NORMS.map((norm) => ({
      key: `${norm}.num_batches_tracked`,
      tensor: batchCount(batches),
    })),
    fills: [],
  };
}
