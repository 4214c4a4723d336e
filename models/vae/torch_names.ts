/**
 * The VAE as a PyTorch state dict of `Vae` in bench/peers/models.py: each
 * of our variables, its key there and its layout (see ../torch_layout.ts).
 *
 * @module
 */
import {
  layerEntries,
  requireReference,
  type TorchMapping,
} from "../torch_layout.ts";
import type { VaeConfig } from "./presets.ts";

/**
 * The state dict of a VAE with `config`: `conv1`, `conv2`,
 * `encoder_dense`, `decoder_dense`, `deconv1`, `deconv2` (weight and bias
 * each); the dense layers next to the (7, 7, 2 * baseWidth) image reorder
 * it from our (h, w, c) flattening to PyTorch's (c, h, w).
 *
 * @throws Error for a config the reference module does not take (an image
 * other than 28 x 28 grey).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { vaeTorchNames } from "./torch_names.ts";
 * import { VAE_PRESETS } from "./presets.ts";
 * const mapping = vaeTorchNames("vae", VAE_PRESETS.vae);
 * assert.equal(mapping.entries[0].key, "conv1.weight");
 * ```
 */
export function vaeTorchNames(preset: string, config: VaeConfig): TorchMapping {
  requireReference(preset, "imageSize", config.imageSize, 28);
  requireReference(preset, "channels", config.channels, 1);
  const inner = config.imageSize / 4;
  const image = [inner, inner, 2 * config.baseWidth] as const;
  return {
    module:
      `Vae(latent_size=${config.latentSize}, base_width=${config.baseWidth})`,
    entries: [
      ...layerEntries("encoder.conv1", "conv1", { kind: "conv" }),
      ...layerEntries("encoder.conv2", "conv2", { kind: "conv" }),
      ...layerEntries("encoder.dense", "encoder_dense", {
        kind: "dense",
        inputImage: image,
      }),
      ...layerEntries("decoder.dense", "decoder_dense", {
        kind: "dense",
        outputImage: image,
      }, { biasLayout: { kind: "features", image } }),
      ...layerEntries("decoder.deconv1", "deconv1", { kind: "conv-transpose" }),
      ...layerEntries("decoder.deconv2", "deconv2", { kind: "conv-transpose" }),
    ],
    constants: [],
    fills: [],
  };
}
