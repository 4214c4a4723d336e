import assert from "node:assert/strict";
import { tf } from "../../../backends/tf.ts";
import { initEngine } from "../../../backends/engine.ts";
import { Squeeze } from "../../../models/flow/squeeze.ts";
import { LogitTransform } from "../../../models/flow/logit.ts";
import { ChannelSplit } from "../../../models/flow/split.ts";

await initEngine({ threads: 2 });

Deno.test("Squeeze puts each 2 x 2 block's pixels into channels ordered (row, column, channel)", () => {
  // x[b][i][j][c] = 1000 b + 100 i + 10 j + c on a (2, 4, 6, 2) input.
  const shape = [2, 4, 6, 2];
  const values = new Float32Array(96);
  let n = 0;
  for (let b = 0; b < 2; b++) {
    for (let i = 0; i < 4; i++) {
      for (let j = 0; j < 6; j++) {
        for (let c = 0; c < 2; c++) {
          values[n++] = 1000 * b + 100 * i + 10 * j + c;
        }
      }
    }
  }
  const z = tf.tidy(() =>
    new Squeeze().forward(
      tf.tensor4d(values, shape as [number, number, number, number]),
    ).z
      .arraySync()
  );
  assert.deepEqual([z.length, z[0].length, z[0][0].length, z[0][0][0].length], [
    2,
    2,
    3,
    8,
  ]);
  for (let b = 0; b < 2; b++) {
    for (let i = 0; i < 2; i++) {
      for (let j = 0; j < 3; j++) {
        const expected = [];
        for (const dy of [0, 1]) {
          for (const dx of [0, 1]) {
            for (const c of [0, 1]) {
              expected.push(
                1000 * b + 100 * (2 * i + dy) + 10 * (2 * j + dx) + c,
              );
            }
          }
        }
        assert.deepEqual(z[b][i][j], expected);
      }
    }
  }
});

Deno.test("Squeeze refuses an odd side", () => {
  assert.throws(
    () => new Squeeze().forward(tf.zeros([1, 3, 4, 1])),
    /even height and width, got 3 x 4/,
  );
});

Deno.test("LogitTransform maps 1/2 to 0 with log-determinant log(1 - 2 alpha) + 2 ln 2 per number", () => {
  const logit = new LogitTransform(0.05);
  const [z, logDet] = tf.tidy(() => {
    const result = logit.forward(tf.fill([1, 2, 2, 1], 0.5) as tf.Tensor4D);
    return [result.z.dataSync(), result.logDet.dataSync()[0]];
  });
  assert.ok(z.every((v) => Math.abs(v) < 1e-6));
  assert.ok(Math.abs(logDet - 4 * (Math.log(0.9) + 2 * Math.LN2)) < 1e-5);
  // The ends 0 and 1 go to logit(0.05) and logit(0.95), finite.
  const ends = tf.tidy(() =>
    logit.forward(tf.tensor4d([0, 1], [1, 1, 2, 1])).z.dataSync()
  );
  assert.ok(Math.abs(ends[0] - Math.log(0.05 / 0.95)) < 1e-5);
  assert.ok(Math.abs(ends[1] + ends[0]) < 1e-5);
  assert.throws(() => new LogitTransform(0.5), /alpha must be in \(0, 0.5\)/);
});

Deno.test("ChannelSplit keeps the first half, factors out the rest, and joins them back", () => {
  const split = new ChannelSplit();
  tf.tidy(() => {
    const x = tf.randomNormal([2, 3, 3, 5], 0, 1, "float32", 1) as tf.Tensor4D;
    const halves = split.forward(x);
    assert.deepEqual(halves.kept.shape, [2, 3, 3, 2]);
    assert.deepEqual(halves.factored.shape, [2, 3, 3, 3]);
    assert.deepEqual(split.inverse(halves).dataSync(), x.dataSync());
  });
});
