/**
 * The three recipes `deno task bench:quality` compares with PyTorch at
 * equal minutes: how ours trains each (`deno task train` flags), the
 * PyTorch script that trains the same recipe and how `deno task import`
 * reads its snapshots, and the metrics `deno task eval --json` reports for
 * it (the first is the one the target and the plot are about).
 *
 * @module
 */

/** A metric of `eval --json`, and which way is better. */
export interface QualityMetric {
  /** Its key in `eval --json`, e.g. "fid". */
  key: string;
  /** How the table names it. */
  label: string;
  better: "higher" | "lower";
}

/** One family's recipe on both sides. */
export interface QualityFamily {
  name: "ddpm" | "flow" | "gan";
  /** The recipe in words, for QUALITY.md. */
  recipe: string;
  /** `deno task train` flags of our default recipe. */
  trainArgs: string[];
  /** The peer's training script, from the repository root. */
  peerScript: string;
  /** Its flags for the same recipe (the rest are its defaults). */
  peerArgs: string[];
  /** `deno task import` flags that read the peer's snapshots. */
  importArgs: string[];
  /** What eval reports, the first being the headline. */
  metrics: QualityMetric[];
}

/** The families by name. */
export const QUALITY_FAMILIES: Record<QualityFamily["name"], QualityFamily> = {
  ddpm: {
    name: "ddpm",
    recipe:
      "class-conditional U-Net (`--model ddpm --conditional`): epsilon MSE, linear betas, " +
      "Adam 1e-3 after 200 warm-up steps, label dropout 0.1, EMA 0.995, batch 64",
    trainArgs: ["--model", "ddpm", "--conditional"],
    peerScript: "bench/peers/ddpm_train.py",
    peerArgs: [],
    importArgs: ["--model", "ddpm", "--set", "conditional=true"],
    metrics: [
      { key: "class_accuracy", label: "class accuracy", better: "higher" },
      { key: "fid", label: "FID", better: "lower" },
    ],
  },
  flow: {
    name: "flow",
    recipe:
      "Glow-style flow (`--model flow`): NLL in bits/dim of dequantised logits, " +
      "Adam 1e-3 constant, ActNorm from the first batch, batch 64",
    trainArgs: ["--model", "flow"],
    peerScript: "bench/peers/flow_train.py",
    peerArgs: [
      "--warmup",
      "0",
      "--schedule",
      "constant",
      "--eval-every",
      "0",
    ],
    importArgs: ["--model", "flow"],
    metrics: [
      { key: "bits_per_dim", label: "test bits/dim", better: "lower" },
      { key: "fid", label: "FID", better: "lower" },
    ],
  },
  gan: {
    name: "gan",
    recipe:
      "unconditional DCGAN (`--model dcgan`): non-saturating BCE, Adam 2e-3 betas (0.5, 0.999) " +
      "for both networks, EMA 0.999 (sampled and scored), batch 64",
    trainArgs: ["--model", "dcgan"],
    peerScript: "bench/peers/gan_train.py",
    peerArgs: [],
    importArgs: ["--model", "dcgan"],
    metrics: [
      { key: "fid", label: "FID", better: "lower" },
      { key: "modes", label: "modes", better: "higher" },
    ],
  },
};

/** The family names, in the order QUALITY.md lists them. */
export const QUALITY_FAMILY_NAMES = Object.keys(
  QUALITY_FAMILIES,
) as QualityFamily["name"][];
