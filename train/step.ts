/**
 * One optimisation step of a {@link TrainableModel}: every phase in order
 * (e.g. the discriminator, then the generator), each with its group's Adam,
 * the scheduled learning rate, optional clipping and the NaN/Inf guard. The
 * trainer and the step benchmark (bench/steps.ts) both take steps this way,
 * so what is benchmarked is what is trained.
 *
 * @module
 */
import { tf } from "@genwasm/backend/tf";
import { FusedAdam } from "./fused_adam.ts";
import { clipByGlobalNorm } from "./clip.ts";
import type {
  StepContext,
  TrainableModel,
  TrainingBatch,
  TrainingHyperparameters,
} from "@genwasm/models/contract";

/** Raised when a loss or gradient norm is not finite. */
export class DivergenceError extends Error {
  constructor(
    readonly step: number,
    readonly phase: string,
    readonly value: number,
  ) {
    super(
      `training diverged at step ${step}: ${phase} is ${value}; ` +
        `the last checkpoint is kept (try a smaller --lr, --warmup or --clip-norm)`,
    );
    this.name = "DivergenceError";
  }
}

/**
 * The optimiser settings a {@link StepRunner} needs: the run's base
 * learning rate (groups with their own scale it the same way), the
 * clipping threshold (0: off), and Adam's betas (default 0.9, 0.999) and
 * per-group settings where the run has them.
 */
export type StepSettings =
  & Pick<TrainingHyperparameters, "learningRate" | "clipNorm">
  & Partial<Pick<TrainingHyperparameters, "beta1" | "beta2" | "groups">>;

/** One Adam per variable group, and the code that takes a step with them. */
export class StepRunner {
  /** Adam of each group, by group name (their state is checkpointed). */
  readonly optimizers: Map<string, tf.AdamOptimizer> = new Map();

  constructor(
    readonly model: TrainableModel,
    readonly settings: StepSettings,
  ) {
    for (const group of Object.keys(settings.groups ?? {})) {
      if (!model.groups[group]) {
        throw new Error(
          `optimizer settings name unknown group ${group} (groups: ${
            Object.keys(model.groups).join(", ")
          })`,
        );
      }
    }
    for (const group of Object.keys(model.groups)) {
      const own = settings.groups?.[group] ?? {};
      this.optimizers.set(
        group,
        new FusedAdam(
          own.learningRate ?? settings.learningRate,
          own.beta1 ?? settings.beta1 ?? 0.9,
          own.beta2 ?? settings.beta2 ?? 0.999,
          1e-8,
        ),
      );
    }
    for (const phase of model.phases) {
      if (!model.groups[phase.group]) {
        throw new Error(
          `phase ${phase.name} names unknown group ${phase.group}`,
        );
      }
    }
  }

  /**
   * Takes one step: every phase once, in order.
   *
   * @param rate The scheduled learning rate for this step; each group's own
   * rate is scaled by the same factor (rate / base rate).
   * @returns The loss of each phase, by phase name.
   * @throws DivergenceError (numbered `context.step + 1`) when a loss or a
   * gradient norm is NaN or infinite; that phase's update is not applied.
   */
  step(
    batch: TrainingBatch,
    context: StepContext,
    rate: number,
  ): Record<string, number> {
    const losses: Record<string, number> = {};
    for (const phase of this.model.phases) {
      const optimizer = this.optimizers.get(phase.group)!;
      const groupBase = this.settings.groups?.[phase.group]?.learningRate ??
        this.settings.learningRate;
      // tfjs reads this field on every update; it is only typed protected.
      (optimizer as unknown as { learningRate: number }).learningRate =
        groupBase * (rate / this.settings.learningRate);
      const value = this.update(phase, batch, context, optimizer);
      if (!Number.isFinite(value)) {
        throw new DivergenceError(context.step + 1, phase.name, value);
      }
      losses[phase.name] = value;
    }
    return losses;
  }

  /** Frees the optimisers' state. */
  dispose(): void {
    for (const optimizer of this.optimizers.values()) optimizer.dispose();
  }

  /** One phase: loss, gradients, NaN check, optional clipping, Adam update. */
  private update(
    phase: TrainableModel["phases"][number],
    batch: TrainingBatch,
    context: StepContext,
    optimizer: tf.AdamOptimizer,
  ): number {
    const variables = [...this.model.groups[phase.group].values()];
    return tf.tidy(() => {
      const { value, grads } = tf.variableGrads(
        () => phase.loss(batch, context),
        variables,
      );
      const loss = value.dataSync()[0];
      if (!Number.isFinite(loss)) return loss; // nothing applied
      const present = variables.filter((v) => grads[v.name]);
      let gradients = present.map((v) => grads[v.name]);
      if (this.settings.clipNorm > 0) {
        const { clipped, norm } = clipByGlobalNorm(
          gradients,
          this.settings.clipNorm,
        );
        const normValue = norm.dataSync()[0];
        if (!Number.isFinite(normValue)) return normValue;
        gradients = clipped;
      }
      optimizer.applyGradients(
        present.map((v, i) => ({ name: v.name, tensor: gradients[i] })),
      );
      return loss;
    });
  }
}
