import assert from "node:assert/strict";
import { tf } from "../../../backends/tf.ts";
import { initEngine } from "../../../backends/engine.ts";
import { ActNorm } from "../../../models/flow/actnorm.ts";

await initEngine({ threads: 2 });

Deno.test("ActNorm is the identity until initialised", () => {
  const actnorm = new ActNorm(3);
  assert.equal(actnorm.isInitialized, false);
  const [x, z, logDet] = tf.tidy(() => {
    const x = tf.randomNormal([2, 3, 3, 3], 0, 1, "float32", 1) as tf.Tensor4D;
    const result = actnorm.forward(x);
    return [x.dataSync(), result.z.dataSync(), result.logDet.arraySync()];
  });
  assert.deepEqual(z, x);
  assert.deepEqual(logDet, [0, 0]);
  actnorm.dispose();
});

Deno.test("ActNorm.initialize() standardises each channel of its batch and sets the flag", () => {
  const actnorm = new ActNorm(3);
  const x = tf.tidy(() =>
    tf.add(
      tf.mul(tf.randomNormal([16, 4, 4, 3], 0, 1, "float32", 2), [1, 5, 0.1]),
      [3, -2, 10],
    )
  ) as tf.Tensor4D;
  actnorm.initialize(x);
  assert.equal(actnorm.isInitialized, true);
  const { mean, variance } = tf.tidy(() => {
    const moments = tf.moments(actnorm.forward(x).z, [0, 1, 2]);
    return {
      mean: moments.mean.dataSync(),
      variance: moments.variance.dataSync(),
    };
  });
  for (let c = 0; c < 3; c++) {
    assert.ok(Math.abs(mean[c]) < 1e-4, `mean ${mean[c]}`);
    assert.ok(Math.abs(variance[c] - 1) < 1e-3, `variance ${variance[c]}`);
  }
  // log |det| = h w sum(logScale) = -16 sum(log std).
  const std = tf.tidy(() =>
    tf.sqrt(tf.moments(x, [0, 1, 2]).variance).dataSync()
  );
  const expected = -16 * Array.from(std).reduce((s, v) => s + Math.log(v), 0);
  const logDet = tf.tidy(() => actnorm.forward(x).logDet.dataSync()[0]);
  assert.ok(Math.abs(logDet - expected) < 1e-3, `${logDet} vs ${expected}`);
  x.dispose();
  actnorm.dispose();
});

Deno.test("ActNorm.initialize() runs once: a second batch (or a restored flag) changes nothing", () => {
  const actnorm = new ActNorm(2);
  const first = tf.randomNormal(
    [8, 2, 2, 2],
    4,
    2,
    "float32",
    3,
  ) as tf.Tensor4D;
  const second = tf.randomNormal(
    [8, 2, 2, 2],
    -7,
    9,
    "float32",
    4,
  ) as tf.Tensor4D;
  actnorm.initialize(first);
  const after = actnorm.variables.bias.dataSync().slice();
  actnorm.initialize(second);
  assert.deepEqual(actnorm.variables.bias.dataSync(), after);
  // A model rebuilt from a checkpoint gets the flag back and is not re-initialised.
  const restored = new ActNorm(2);
  restored.buffers.initialized.assign(tf.scalar(1));
  restored.initialize(second);
  assert.deepEqual(Array.from(restored.variables.bias.dataSync()), [0, 0]);
  tf.dispose([first, second]);
  actnorm.dispose();
  restored.dispose();
});
