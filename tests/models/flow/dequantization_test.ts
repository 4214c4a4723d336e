import assert from "node:assert/strict";
import { tf } from "../../../backends/tf.ts";
import { initEngine } from "../../../backends/engine.ts";
import {
  PIXEL_LEVELS,
  UniformDequantization,
} from "../../../models/flow/dequantization.ts";

await initEngine({ threads: 2 });

/** Every 8-bit level once, as pixels k / 255, in a (4, 8, 8, 1) batch. */
function allLevels(): tf.Tensor4D {
  return tf.tensor4d(
    Float32Array.from({ length: 256 }, (_, k) => k / 255),
    [4, 8, 8, 1],
  );
}

Deno.test("UniformDequantization.forward() puts each pixel k / 255 in its bin [k, k + 1) / 256", () => {
  const dequantization = new UniformDequantization();
  const y = tf.tidy(() => dequantization.forward(allLevels(), 3).z.dataSync());
  for (let k = 0; k < 256; k++) {
    assert.ok(y[k] >= k / 256 && y[k] < (k + 1) / 256, `level ${k}: ${y[k]}`);
  }
  // The noise is not constant: the offsets within bins spread over [0, 1).
  const offsets = Array.from(y, (v, k) => v * 256 - k);
  assert.ok(Math.max(...offsets) - Math.min(...offsets) > 0.8);
});

Deno.test("UniformDequantization.forward() has log-determinant -D ln 256 per image and is seeded", () => {
  const dequantization = new UniformDequantization();
  const [logDet, first, again, other] = tf.tidy(() => {
    const pixels = allLevels();
    return [
      dequantization.forward(pixels, 1).logDet.arraySync(),
      dequantization.forward(pixels, 1).z.dataSync(),
      dequantization.forward(pixels, 1).z.dataSync(),
      dequantization.forward(pixels, 2).z.dataSync(),
    ];
  });
  const expected = -64 * Math.log(PIXEL_LEVELS);
  for (const value of logDet as number[]) {
    assert.ok(Math.abs(value - expected) < 1e-3, `${value}`);
  }
  assert.deepEqual(first, again);
  // Another seed, other noise: uniform draws have no value to expect.
  assert.notDeepEqual(first, other);
});

Deno.test("UniformDequantization.inverse() recovers every pixel exactly, even at the bins' top edges", () => {
  const dequantization = new UniformDequantization();
  const [pixels, restored, edges] = tf.tidy(() => {
    const pixels = allLevels();
    // Values just below each bin's top (k + 1) / 256 still belong to bin k.
    const tops = tf.sub(
      tf.div(tf.add(tf.round(tf.mul(pixels, 255)), 1), 256),
      1e-7,
    ) as tf.Tensor4D;
    return [
      pixels.dataSync(),
      dequantization.inverse(dequantization.forward(pixels, 9).z).dataSync(),
      dequantization.inverse(tops).dataSync(),
    ];
  });
  assert.deepEqual(restored, pixels);
  assert.deepEqual(edges, pixels);
});
