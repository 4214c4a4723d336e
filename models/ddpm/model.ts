/**
 * The DDPM noise-prediction U-Net (Ho et al. 2020, smaller): a time (and
 * optionally label) embedding, a down path of residual blocks and strided
 * convolutions, a middle block, and an up path that concatenates the down
 * path's outputs. Network only; the loss lives in `objective.ts`, sampling
 * in `sampler.ts`.
 *
 * The canonical `ddpm` (channels 32/64/64 at 28/14/7):
 *
 * | part                  | layers                                          |
 * | --------------------- | ----------------------------------------------- |
 * | time                  | sinusoidal(32) -> Dense(128) -> SiLU -> Dense(128) |
 * | label (conditional)   | table (11, 128), added to the time embedding     |
 * | text (text models)    | prompt encoder -> (128), added to the time embedding |
 * | cross (text "cross")  | cross-attention to the prompt's tokens after the ResBlock (and self-attention) at 7, down2, middle and up2 |
 * | input                 | Conv3x3(1 -> 32)                                 |
 * | down0                 | ResBlock(32 -> 32) at 28; Conv3x3 s2 (32 -> 32)  |
 * | down1                 | ResBlock(32 -> 64) at 14; Conv3x3 s2 (64 -> 64)  |
 * | down2                 | ResBlock(64 -> 64) at 7                          |
 * | middle                | ResBlock(64 -> 64)                               |
 * | up2                   | concat, ResBlock(128 -> 64) at 7; upsample x2 + Conv3x3 (64 -> 64) |
 * | up1                   | concat, ResBlock(128 -> 64) at 14; upsample x2 + Conv3x3 (64 -> 64) |
 * | up0                   | concat, ResBlock(96 -> 32) at 28                 |
 * | output                | GroupNorm -> SiLU -> Conv3x3(32 -> 1)            |
 *
 * Each ResBlock adds Dense(SiLU(embedding)) to its first convolution's
 * output (the SiLU as in Ho et al.'s code; the spec lists only the Dense).
 * Attention, where configured, follows the ResBlock of that resolution on
 * both paths (and in the middle when it is the lowest resolution). Every
 * kernel is Glorot-uniform, every bias zero.
 *
 * Text models condition on a prompt in one of three ways, the text
 * block's `injection` (`--set text.injection=...`):
 *
 * - "pooled" (what checkpoints without the key are): the
 *   prompt encoder's pooled vector (`models/text/encoder.ts`) is added to
 *   the time embedding, the way class-conditional models add a label's
 *   row, so every ResBlock sees it through its time projection. One
 *   vector per image, no attention over positions: the cheapest way in.
 *   The empty prompt (all padding) is the encoder's learned null vector.
 * - "cross": no pooled vector; the encoder's per-token outputs (after its
 *   final LayerNorm, projected to the embedding width) are the keys and
 *   values of a {@link CrossAttention} block after the ResBlock (and
 *   self-attention, if any) of each resolution in `crossResolutions`
 *   (default the lowest, 7x7: down2, middle and up2), on both paths:
 *   GroupNorm on the image features as queries, the text's heads, padding
 *   masked, the output projection zero at first (a new block adds
 *   nothing). A learned null token is always first among the keys, so the
 *   empty prompt attends to it alone and guidance's unconditional branch
 *   stays defined. Each image position can look up the words it needs
 *   (digit, thickness, slant) instead of one average of them.
 * - "both" (the default): the two together.
 *
 * Measured (issue 20; ddpm-small, mnist, --held-out thick:4, 300 steps of
 * 64, one thread, on a shared 2-vCPU machine, so indications only): a
 * training step's gradient, the variants interleaved in one process, took
 * ~1.0 s pooled, ~1.2-1.4 s cross at 7x7 (+20-25%), ~1.5-1.6 s cross at
 * 7x7 and 14x14 (+50%), ~1.2-1.3 s both at 7x7. After 300 steps neither
 * had learnt its prompts (classifier on 256 guided samples of the fixed
 * prompt set, chance 0.1): prompt class accuracy 0.070 pooled, 0.079
 * cross; thickness agreement 0.46 / 0.39; slant 0.35 / 0.31; held-out
 * thick 4s 0 / 0 (thickness 0.17 / 0.42); test loss 0.059 / 0.057; FID
 * 446 / 383. Over 60 minutes on 2 threads (the canonical U-Net, session
 * 13) "both" paid for its cost: 1745 steps reached 95% prompt class
 * accuracy, thickness 81%, slant 85%, against 2430 steps and 60%, 89%,
 * 50% pooled, so "both" is the default (see `presets.ts`).
 *
 * Variable names (what checkpoints store) are "part/layer/variable", e.g.
 * `down1/res/conv1/kernel`, `time/dense1/bias`, `label/table`,
 * `text/block0/attention/qkv/kernel`, `middle/cross/keyValue/kernel`,
 * `text/tokenOutput/kernel`, `text/nullToken/vector`.
 *
 * @module
 */
import { tf } from "@genwasm/backend/tf";
import type { Random } from "@genwasm/data/random";
import { GroupNorm } from "../group_norm.ts";
import { Conv2D, Dense } from "../layers.ts";
import { type PromptEncoding, TextEncoder } from "../text/encoder.ts";
import {
  type Block,
  CrossAttention,
  LabelEmbedding,
  ResBlock,
  SelfAttention,
  silu,
  sinusoidalFeatures,
  upsample2x,
} from "./blocks.ts";
import { type DdpmConfig, levelResolutions } from "./presets.ts";

export type { PromptEncoding } from "../text/encoder.ts";

/**
 * One resolution of a path: a ResBlock, maybe self-attention, maybe
 * cross-attention to the prompt's tokens, maybe a resampling conv.
 */
interface Level {
  res: ResBlock;
  attention?: SelfAttention;
  cross?: CrossAttention;
  /** Down path: Conv3x3 stride 2; up path: Conv3x3 after upsampling. */
  resample?: Conv2D;
}

/**
 * The rows `rows` of every tensor of an encoding (e.g. the prompts of
 * some images, from prompts encoded once for a whole sampling run).
 *
 * @param rows (count) int32 row indices.
 */
export function selectPrompts(
  encoding: PromptEncoding,
  rows: tf.Tensor1D,
): PromptEncoding {
  const selected: PromptEncoding = {};
  if (encoding.pooled) selected.pooled = tf.gather(encoding.pooled, rows);
  if (encoding.tokens) selected.tokens = tf.gather(encoding.tokens, rows);
  if (encoding.mask) selected.mask = tf.gather(encoding.mask, rows);
  return selected;
}

/** Width of the time embedding: four times the base width, as in Ho et al. */
export function embeddingWidth(config: DdpmConfig): number {
  return 4 * config.baseWidth;
}

/**
 * The noise-prediction network eps_theta(x_t, t[, label]).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { UNet } from "./model.ts";
 * import { ddpmPreset } from "./presets.ts";
 * import { mulberry32 } from "../../data/random.ts";
 * import { tf } from "../../backends/tf.ts";
 * const unet = new UNet(ddpmPreset("ddpm"), mulberry32(0));
 * const shape = tf.tidy(() =>
 *   unet.apply(tf.zeros([2, 28, 28, 1]), tf.tensor1d([0, 999], "int32")).shape
 * );
 * assert.deepEqual(shape, [2, 28, 28, 1]); // one noise prediction an image
 * unet.dispose();
 * ```
 */
export class UNet {
  readonly config: DdpmConfig;
  /** The label that means "no label" (the table's last row). */
  readonly nullLabel: number;
  readonly #features: tf.Tensor2D;
  readonly #time: { dense1: Dense; dense2: Dense };
  readonly #label?: LabelEmbedding;
  readonly #text?: TextEncoder;
  readonly #input: Conv2D;
  readonly #down: Level[];
  readonly #middle: Omit<Level, "resample">;
  /** By level, shallowest first; applied deepest first. */
  readonly #up: Level[];
  readonly #output: { norm: GroupNorm; conv: Conv2D };
  readonly #blocks: [string, Block][] = [];

  /**
   * Draws the initial weights from `random` in the order time, label (or
   * text encoder), input, down levels, middle, up levels (deepest first),
   * output.
   */
  constructor(config: DdpmConfig, random: Random) {
    this.config = config;
    this.nullLabel = config.classes;
    const { baseWidth, channelMultipliers, normGroups: groups, init } = config;
    const width = embeddingWidth(config);
    const resolutions = levelResolutions(config);
    const attends = (level: number) =>
      config.attentionResolutions.includes(resolutions[level]);
    const injection = config.text?.injection ?? "pooled";
    const crosses = (level: number) =>
      injection !== "pooled" &&
      (config.text?.crossResolutions ?? []).includes(resolutions[level]);
    const conv = (input: number, output: number, strides = 1) =>
      new Conv2D({
        inputChannels: input,
        outputChannels: output,
        kernelSize: 3,
        strides,
        random,
        init,
      });
    const res = (input: number, output: number) =>
      new ResBlock({
        inputChannels: input,
        outputChannels: output,
        embeddingWidth: width,
        groups,
        random,
        init,
      });
    const attention = (channels: number) =>
      new SelfAttention({ channels, groups, random, init });
    const cross = (channels: number) =>
      new CrossAttention({
        channels,
        contextWidth: width,
        heads: config.text!.heads,
        groups,
        random,
        init,
      });
    const channels = channelMultipliers.map((m) => m * baseWidth);
    const last = channels.length - 1;

    this.#features = tf.tensor2d(
      sinusoidalFeatures(config.timesteps, baseWidth),
      [config.timesteps, baseWidth],
    );
    this.#time = {
      dense1: new Dense({
        inputSize: baseWidth,
        outputSize: width,
        random,
        init,
      }),
      dense2: new Dense({ inputSize: width, outputSize: width, random, init }),
    };
    this.#add("time/dense1", this.#time.dense1);
    this.#add("time/dense2", this.#time.dense2);
    if (config.conditional) {
      this.#label = new LabelEmbedding({
        rows: config.classes + 1,
        width,
        random,
        init,
      });
      this.#add("label", this.#label);
    }
    if (config.text) {
      const { vocabulary, tokens, width: textWidth, heads, layers } =
        config.text;
      const encoder = new TextEncoder(
        {
          vocabularySize: vocabulary.length,
          maxTokens: tokens,
          width: textWidth,
          heads,
          layers,
          outputWidth: injection === "cross" ? 0 : width,
          tokenWidth: injection === "pooled" ? 0 : width,
        },
        random,
        init,
      );
      this.#text = encoder;
      this.#add("text", {
        variables: encoder.variables(),
        dispose: () => encoder.dispose(),
      });
    }
    this.#input = conv(config.channels, channels[0]);
    this.#add("input", this.#input);

    // Down: level i takes the previous level's channels to its own.
    this.#down = channels.map((out, level) => {
      const down: Level = { res: res(channels[Math.max(0, level - 1)], out) };
      if (attends(level)) down.attention = attention(out);
      if (crosses(level)) down.cross = cross(out);
      if (level < last) down.resample = conv(out, out, 2);
      this.#addLevel(`down${level}`, down);
      return down;
    });
    this.#middle = { res: res(channels[last], channels[last]) };
    if (attends(last)) this.#middle.attention = attention(channels[last]);
    if (crosses(last)) this.#middle.cross = cross(channels[last]);
    this.#addLevel("middle", this.#middle);

    // Up, deepest first: the ResBlock takes the running features (the
    // level below's channels) plus the skip from the down path.
    const up: Level[] = [];
    for (let level = last; level >= 0; level--) {
      const below = channels[Math.min(last, level + 1)];
      const block: Level = {
        res: res(below + channels[level], channels[level]),
      };
      if (attends(level)) block.attention = attention(channels[level]);
      if (crosses(level)) block.cross = cross(channels[level]);
      if (level > 0) block.resample = conv(channels[level], channels[level]);
      up[level] = block;
      this.#addLevel(`up${level}`, block);
    }
    this.#up = up;
    this.#output = {
      norm: new GroupNorm({ channels: channels[0], groups }),
      conv: conv(channels[0], config.channels),
    };
    this.#add("output/norm", this.#output.norm);
    this.#add("output/conv", this.#output.conv);
  }

  #add(name: string, block: Block): void {
    this.#blocks.push([name, block]);
  }

  #addLevel(
    name: string,
    level: Omit<Level, "resample"> & Partial<Level>,
  ): void {
    for (const [part, block] of Object.entries(level)) {
      this.#add(`${name}/${part}`, block);
    }
  }

  /** Whether the model conditions on prompts (the config has `text`). */
  get textConditional(): boolean {
    return this.#text !== undefined;
  }

  /**
   * Text models: the encoding of (batch, tokens) int32 prompt ids padded
   * with 0 (all padding: the empty prompt), what {@link apply} takes in
   * their place: the pooled vectors the time embedding adds (injection
   * "pooled" or "both"), the tokens and mask cross-attention attends to
   * ("cross" or "both"). Sampling encodes its prompts once and hands the
   * encoding to {@link apply} at every step.
   *
   * @throws Error for a model without text.
   */
  encodePrompts(ids: tf.Tensor2D): PromptEncoding {
    if (!this.#text) throw new Error("prompts given to a U-Net without text");
    return this.#text.encode(ids);
  }

  /**
   * The embedding every ResBlock projects, already through SiLU:
   * SiLU(Dense(SiLU(Dense(sinusoid(t)))) [+ label row | + pooled prompt]).
   */
  #embedding(
    t: tf.Tensor1D,
    labels?: tf.Tensor,
    prompts?: PromptEncoding,
  ): tf.Tensor2D {
    const { dense1, dense2 } = this.#time;
    let embedding = dense2.apply(
      silu(dense1.apply(tf.gather(this.#features, t))),
    );
    if (this.#label) {
      const rows = labels ??
        tf.fill([t.shape[0]], this.nullLabel, "int32") as tf.Tensor1D;
      embedding = tf.add(embedding, this.#label.apply(rows));
    }
    if (prompts?.pooled) embedding = tf.add(embedding, prompts.pooled);
    return silu(embedding);
  }

  /**
   * The network's output for noisy images at timesteps `t`.
   *
   * @param x (batch, size, size, channels) x_t.
   * @param t (batch) int32 timesteps in 0 .. T - 1.
   * @param condition Class-conditional models: (batch) int32 classes, or
   * {@link nullLabel} for none (default: all "no label"). Text models:
   * (batch, tokens) int32 prompt ids padded with 0, all padding for no
   * prompt (the default), or their {@link encodePrompts} encoding.
   * @returns (batch, size, size, channels): epsilon, x_0 or v, as the
   * config's `prediction` says.
   * @throws Error if a condition is given to an unconditional model, or
   * one of the wrong rank.
   */
  /** Refuses an encoding that lacks a part this model's injection reads. */
  #checkEncoding(encoding: PromptEncoding): void {
    const injection = this.config.text?.injection ?? "pooled";
    const needs: (keyof PromptEncoding)[] = [
      ...(injection === "cross" ? [] : ["pooled" as const]),
      ...(injection === "pooled" ? [] : ["tokens" as const, "mask" as const]),
    ];
    const missing = needs.filter((part) => !encoding[part]);
    if (missing.length > 0) {
      throw new Error(
        `a text U-Net with injection "${injection}" needs the prompt encoding's ${
          missing.join(" and ")
        } (from encodePrompts)`,
      );
    }
  }

  apply(
    x: tf.Tensor4D,
    t: tf.Tensor1D,
    condition?: tf.Tensor | PromptEncoding,
  ): tf.Tensor4D {
    const tensor = condition instanceof tf.Tensor ? condition : undefined;
    if (condition) {
      if (!this.#label && !this.#text) {
        throw new Error("labels given to an unconditional U-Net");
      }
      const rank = this.#text ? 2 : 1;
      if (
        tensor
          ? tensor.rank !== rank || (this.#text && tensor.dtype !== "int32")
          : !this.#text
      ) {
        throw new Error(
          this.#text
            ? `a text U-Net takes (batch, tokens) int32 prompt ids or their encoding, got ${
              tensor ? `${tensor.dtype} shape [${tensor.shape}]` : "none"
            }`
            : `a class-conditional U-Net takes (batch) labels, got ${
              tensor ? `shape [${tensor.shape}]` : "a prompt encoding"
            }`,
        );
      }
      if (!tensor) this.#checkEncoding(condition as PromptEncoding);
    }
    return tf.tidy(() => {
      let prompts: PromptEncoding | undefined;
      if (this.#text) {
        prompts = condition && !tensor
          ? condition as PromptEncoding
          : this.encodePrompts(
            (tensor ??
              tf.zeros(
                [t.shape[0], this.#text.config.maxTokens],
                "int32",
              )) as tf.Tensor2D,
          );
      }
      const embedding = this.#embedding(
        t,
        this.#label ? tensor : undefined,
        prompts,
      );
      const through = (level: Omit<Level, "resample">, h: tf.Tensor4D) => {
        const { res, attention, cross } = level;
        let out = res.apply(h, embedding);
        if (attention) out = attention.apply(out);
        if (cross) out = cross.apply(out, prompts!.tokens!, prompts!.mask!);
        return out;
      };
      let h = this.#input.apply(x);
      const skips: tf.Tensor4D[] = [];
      for (const level of this.#down) {
        h = through(level, h);
        skips.push(h);
        if (level.resample) h = level.resample.apply(h);
      }
      h = through(this.#middle, h);
      for (let level = this.#up.length - 1; level >= 0; level--) {
        const up = this.#up[level];
        h = through(up, tf.concat([h, skips[level]], 3));
        if (up.resample) h = up.resample.apply(upsample2x(h));
      }
      const { norm, conv } = this.#output;
      return conv.apply(silu(norm.apply(h)));
    });
  }

  /** Every variable by "part/layer/variable" name, in construction order. */
  variables(): Map<string, tf.Variable> {
    const variables = new Map<string, tf.Variable>();
    for (const [part, block] of this.#blocks) {
      for (const [name, variable] of Object.entries(block.variables)) {
        variables.set(`${part}/${name}`, variable);
      }
    }
    return variables;
  }

  dispose(): void {
    for (const [, block] of this.#blocks) block.dispose();
    this.#features.dispose();
  }
}
