/**
 * The diffusion U-Net as a PyTorch state dict of `UNet` in
 * bench/peers/models.py: each of our variables, its key there and its
 * layout (see ../torch_layout.ts).
 *
 * @module
 */
import {
  layerEntries,
  requireNoText,
  requireReference,
  type TorchEntry,
  type TorchLayout,
  type TorchMapping,
} from "../torch_layout.ts";
import { sinusoidalFeatures } from "./blocks.ts";
import type { DdpmConfig } from "./presets.ts";

const CONV: TorchLayout = { kind: "conv" };
const DENSE: TorchLayout = { kind: "dense" };

/** A GroupNorm: our `scale` and `offset` as `weight` and `bias`. */
function groupNormEntries(ours: string, key: string): TorchEntry[] {
  const same = { kind: "same" } as const;
  return [
    { key: `${key}.weight`, ours: `${ours}/scale`, layout: same },
    { key: `${key}.bias`, ours: `${ours}/offset`, layout: same },
  ];
}

/** A ResBlock from `input` to `output` channels (a 1x1 skip when they differ). */
function resBlockEntries(
  ours: string,
  key: string,
  input: number,
  output: number,
): TorchEntry[] {
  const layer = (name: string, torch: string, layout: TorchLayout) =>
    layerEntries(`${ours}/${name}`, `${key}.${torch}`, layout, {
      separator: "/",
    });
  return [
    ...groupNormEntries(`${ours}/norm1`, `${key}.norm1`),
    ...layer("conv1", "conv1", CONV),
    ...layer("time", "time", DENSE),
    ...groupNormEntries(`${ours}/norm2`, `${key}.norm2`),
    ...layer("conv2", "conv2", CONV),
    ...(input !== output ? layer("skip", "skip", CONV) : []),
  ];
}

/**
 * The state dict of a U-Net with `config`: `time1`, `time2` (the time
 * embedding's dense layers), `label` (conditional models: the class
 * embedding, `nn.Embedding(classes + 1, 4 * baseWidth)`, the last row the
 * "no label" one), `input`, `down0..2` (ResBlocks: `norm1`, `conv1`,
 * `time`, `norm2`, `conv2`, `skip` where the channels change),
 * `downsample0..1`, `middle`, `up2..0`, `upsample2..1`, `output_norm`,
 * `output`; and the buffer `features`, the sinusoidal time features
 * (timesteps, baseWidth) that PyTorch saves with the module and we compute
 * (import checks its shape only).
 *
 * @throws Error for a config the reference module does not take: channel
 * multipliers other than [1, 2, 2], self-attention, an image other than
 * 28 x 28 grey, a text block.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ddpmTorchNames } from "./torch_names.ts";
 * import { DDPM_PRESETS } from "./presets.ts";
 * const mapping = ddpmTorchNames("ddpm", DDPM_PRESETS.ddpm);
 * assert.equal(mapping.constants[0].key, "features");
 * ```
 */
export function ddpmTorchNames(
  preset: string,
  config: DdpmConfig,
): TorchMapping {
  requireNoText(preset, config.text);
  requireReference(preset, "imageSize", config.imageSize, 28);
  requireReference(preset, "channels", config.channels, 1);
  requireReference(
    preset,
    "channelMultipliers",
    config.channelMultipliers,
    [1, 2, 2],
  );
  requireReference(
    preset,
    "attentionResolutions",
    config.attentionResolutions,
    [],
  );
  const { baseWidth } = config;
  const channels = config.channelMultipliers.map((m) => m * baseWidth);
  const last = channels.length - 1;
  const layer = (ours: string, key: string, layout: TorchLayout) =>
    layerEntries(ours, key, layout, { separator: "/" });
  const entries: TorchEntry[] = [
    ...layer("time/dense1", "time1", DENSE),
    ...layer("time/dense2", "time2", DENSE),
    ...(config.conditional
      ? [{ key: "label.weight", ours: "label/table", layout: { kind: "same" } }]
      : []) as TorchEntry[],
    ...layer("input", "input", CONV),
  ];
  channels.forEach((out, level) => {
    const input = channels[Math.max(0, level - 1)];
    entries.push(
      ...resBlockEntries(`down${level}/res`, `down${level}`, input, out),
    );
    if (level < last) {
      entries.push(
        ...layer(`down${level}/resample`, `downsample${level}`, CONV),
      );
    }
  });
  entries.push(
    ...resBlockEntries(
      "middle/res",
      "middle",
      channels[last],
      channels[last],
    ),
  );
  for (let level = last; level >= 0; level--) {
    const input = channels[Math.min(last, level + 1)] + channels[level];
    entries.push(
      ...resBlockEntries(
        `up${level}/res`,
        `up${level}`,
        input,
        channels[level],
      ),
    );
    if (level > 0) {
      entries.push(...layer(`up${level}/resample`, `upsample${level}`, CONV));
    }
  }
  entries.push(
    ...groupNormEntries("output/norm", "output_norm"),
    ...layer("output/conv", "output", CONV),
  );
  const classes = config.conditional ? config.classes : 0;
  return {
    module:
      `UNet(timesteps=${config.timesteps}, base_width=${baseWidth}, groups=${config.normGroups}, classes=${classes})`,
    entries,
    constants: [{
      key: "features",
      tensor: {
        dtype: "F32",
        shape: [config.timesteps, baseWidth],
        data: sinusoidalFeatures(config.timesteps, baseWidth),
      },
    }],
    fills: [],
  };
}
