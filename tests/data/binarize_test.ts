import assert from "node:assert/strict";
import { tf } from "../../backends/tf.ts";
import { initEngine } from "../../backends/engine.ts";
import { binarizeSet, binarizeTensor } from "../../data/binarize.ts";

await initEngine({ threads: 2 });

const levels = [0, 0.1, 0.5, 0.9, 1];
const count = 20000;

Deno.test("binarizeSet() draws 0/1 pixels with the grey level as probability, the same for a seed", () => {
  const images = Float32Array.from(
    { length: count * levels.length },
    (_, i) => levels[i % levels.length],
  );
  const set = {
    images,
    labels: new Uint8Array(count),
    shape: [count, 1, levels.length, 1] as [number, number, number, number],
  };
  const drawn = binarizeSet(set, 7);
  assert.ok(drawn.images.every((v) => v === 0 || v === 1));
  levels.forEach((level, k) => {
    let ones = 0;
    for (let i = k; i < drawn.images.length; i += levels.length) {
      ones += drawn.images[i];
    }
    // 4.5 standard deviations of a binomial mean at p = 0.5: 0.016.
    assert.ok(Math.abs(ones / count - level) < 0.016, `level ${level}`);
  });
  assert.deepEqual(binarizeSet(set, 7).images, drawn.images);
  // Another seed, other draws (their rates are checked above).
  assert.notDeepEqual(binarizeSet(set, 8).images, drawn.images);
  assert.equal(set.images[1], Math.fround(0.1), "the input is not changed");
});

Deno.test("binarizeTensor() draws 0/1 pixels with the grey level as probability", () => {
  const means = tf.tidy(() => {
    const grey = tf.tile(tf.tensor2d([levels]), [count, 1]);
    const drawn = binarizeTensor(grey, 3);
    const values = drawn.dataSync();
    assert.ok(values.every((v) => v === 0 || v === 1));
    return Array.from(tf.mean(drawn, 0).dataSync());
  });
  means.forEach((mean, k) =>
    assert.ok(Math.abs(mean - levels[k]) < 0.016, `level ${levels[k]}: ${mean}`)
  );
});
