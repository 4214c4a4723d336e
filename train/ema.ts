/**
 * Exponential moving average of a model's weights (Polyak averaging):
 * after every step, average <- decay * average + (1 - decay) * weight.
 * Samplers use the averages; training keeps the raw weights.
 *
 * @module
 */
import { tf } from "@genwasm/backend/tf";

/** Shadow copies of named variables, updated after each optimiser step. */
export class WeightAverage {
  /** The averages, by the same names as the weights. */
  readonly averages: Map<string, tf.Variable> = new Map();

  constructor(
    readonly weights: Map<string, tf.Variable>,
    readonly decay: number,
  ) {
    if (!(decay > 0 && decay < 1)) {
      throw new Error(
        `EMA decay must lie strictly between 0 and 1, got ${decay}`,
      );
    }
    for (const [name, weight] of weights) {
      this.averages.set(name, tf.variable(weight.clone(), false));
    }
  }

  /**
   * The decay used after `updates` earlier updates: min(decay, (1 + n) /
   * (10 + n)), as TensorFlow's ExponentialMovingAverage with num_updates.
   * Early on the average follows the weights closely, so it does not stay
   * anchored at the random initial weights for thousands of steps (at 0.999
   * a plain average is still 74% initial weights after 300 steps).
   */
  decayAt(updates: number): number {
    if (!Number.isFinite(updates)) return this.decay;
    return Math.min(this.decay, (1 + updates) / (10 + updates));
  }

  /**
   * Moves every average towards its weight.
   *
   * @param updates How many updates came before this one (the step, from
   * 0); it only sets the warm-up decay, so a resumed run matches.
   */
  update(updates = Infinity): void {
    const decay = this.decayAt(updates);
    tf.tidy(() => {
      for (const [name, weight] of this.weights) {
        const average = this.averages.get(name)!;
        average.assign(
          tf.add(tf.mul(average, decay), tf.mul(weight, 1 - decay)),
        );
      }
    });
  }

  /**
   * Sets every average to its weight's current value: after a model's
   * data-dependent initialisation, so the average starts from the weights
   * training starts from.
   */
  reset(): void {
    for (const [name, weight] of this.weights) {
      this.averages.get(name)!.assign(weight);
    }
  }

  /** Runs `fn` with the averages in place of the weights, then puts the weights back. */
  withAverages<T>(fn: () => T): T {
    const restore = this.swapIn();
    try {
      return fn();
    } finally {
      restore();
    }
  }

  /** {@link withAverages} for asynchronous work (evaluation while training). */
  async withAveragesAsync<T>(fn: () => Promise<T>): Promise<T> {
    const restore = this.swapIn();
    try {
      return await fn();
    } finally {
      restore();
    }
  }

  /** Puts the averages in place of the weights; returns what undoes it. */
  private swapIn(): () => void {
    const saved = new Map<string, tf.Tensor>();
    for (const [name, weight] of this.weights) {
      saved.set(name, tf.keep(weight.clone()));
      weight.assign(this.averages.get(name)!);
    }
    return () => {
      for (const [name, weight] of this.weights) {
        weight.assign(saved.get(name)!);
        saved.get(name)!.dispose();
      }
    };
  }

  /** Frees the averages. */
  dispose(): void {
    for (const average of this.averages.values()) average.dispose();
  }
}
