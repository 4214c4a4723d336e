/**
 * Adam's update of one variable as a task of the kernel pool
 * (../kernels/Adam.ts runs it): JavaScript over the heap the kernel module
 * exports, each thread on a contiguous range of the elements, in float64
 * and rounded once to float32 at each store. tfjs's Adam takes ~14 kernel
 * calls and as many full passes per variable and step.
 *
 * @module
 */
import { poolTask } from "./pool.ts";

/**
 * m' = beta1 m + (1 - beta1) g, v' = beta2 v + (1 - beta2) g^2,
 * value' = value - lr (m' / c1) / (sqrt(v' / c2) + epsilon), for the elements
 * of one variable; the float parameters travel as float64 words (low, high).
 */
export const adamTask = poolTask(
  [
    "valueAt",
    "gradientAt",
    "mAt",
    "vAt",
    "newValueAt",
    "newMAt",
    "newVAt",
    "count",
    "rateLow",
    "rateHigh",
    "beta1Low",
    "beta1High",
    "beta2Low",
    "beta2High",
    "epsilonLow",
    "epsilonHigh",
    "c1Low",
    "c1High",
    "c2Low",
    "c2High",
  ],
  (kernels, job, part, parts) => {
    const heap = new Float32Array(
      (kernels.memory as WebAssembly.Memory).buffer,
    );
    const words = new Int32Array([
      job.rateLow,
      job.rateHigh,
      job.beta1Low,
      job.beta1High,
      job.beta2Low,
      job.beta2High,
      job.epsilonLow,
      job.epsilonHigh,
      job.c1Low,
      job.c1High,
      job.c2Low,
      job.c2High,
    ]);
    const [rate, beta1, beta2, epsilon, c1, c2] = new Float64Array(
      words.buffer,
    );
    // Shares of whole chunks of 4096 elements, so that a small variable
    // stays on one thread.
    const chunks = Math.ceil(job.count / 4096);
    const first = 4096 * Math.floor(chunks * part / parts);
    const last = Math.min(
      job.count,
      4096 * Math.floor(chunks * (part + 1) / parts),
    );
    const [value, gradient, m, v] = [
      job.valueAt / 4,
      job.gradientAt / 4,
      job.mAt / 4,
      job.vAt / 4,
    ];
    const [newValue, newM, newV] = [
      job.newValueAt / 4,
      job.newMAt / 4,
      job.newVAt / 4,
    ];
    for (let i = first; i < last; i++) {
      const g = heap[gradient + i];
      const m1 = beta1 * heap[m + i] + (1 - beta1) * g;
      const v1 = beta2 * heap[v + i] + (1 - beta2) * g * g;
      heap[newM + i] = m1;
      heap[newV + i] = v1;
      heap[newValue + i] = heap[value + i] -
        rate * (m1 / c1) / (Math.sqrt(v1 / c2) + epsilon);
    }
  },
);
