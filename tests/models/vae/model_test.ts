import assert from "node:assert/strict";
import { tf } from "../../../backends/tf.ts";
import { initEngine } from "../../../backends/engine.ts";
import { mulberry32 } from "../../../data/random.ts";
import { VaeDecoder, VaeEncoder } from "../../../models/vae/model.ts";
import { vaePreset } from "../../../models/vae/presets.ts";

await initEngine({ threads: 2 });

/** Every variable's name and shape, in order. */
function shapes(variables: Map<string, tf.Variable>): [string, number[]][] {
  return [...variables].map(([name, variable]) => [name, variable.shape]);
}

Deno.test("VaeEncoder() has the canonical layer shapes under stable names", () => {
  const encoder = new VaeEncoder(vaePreset("vae"), mulberry32(0));
  assert.deepEqual(shapes(encoder.variables()), [
    ["encoder.conv1.kernel", [4, 4, 1, 32]],
    ["encoder.conv1.bias", [32]],
    ["encoder.conv2.kernel", [4, 4, 32, 64]],
    ["encoder.conv2.bias", [64]],
    ["encoder.dense.kernel", [3136, 32]],
    ["encoder.dense.bias", [32]],
  ]);
  encoder.dispose();
});

Deno.test("VaeDecoder() has the canonical layer shapes under stable names", () => {
  const decoder = new VaeDecoder(vaePreset("vae"), mulberry32(0));
  assert.deepEqual(shapes(decoder.variables()), [
    ["decoder.dense.kernel", [16, 3136]],
    ["decoder.dense.bias", [3136]],
    // Transposed convolutions: (height, width, out, in).
    ["decoder.deconv1.kernel", [4, 4, 32, 64]],
    ["decoder.deconv1.bias", [32]],
    ["decoder.deconv2.kernel", [4, 4, 1, 32]],
    ["decoder.deconv2.bias", [1]],
  ]);
  decoder.dispose();
});

Deno.test("VaeEncoder.apply() gives a (batch, 16) mean and log-variance", () => {
  const encoder = new VaeEncoder(vaePreset("vae"), mulberry32(1));
  const random = mulberry32(2);
  const pixels = Float32Array.from({ length: 3 * 784 }, () => random());
  tf.tidy(() => {
    const { mean, logVariance } = encoder.apply(
      tf.tensor4d(pixels, [3, 28, 28, 1]),
    );
    assert.deepEqual(mean.shape, [3, 16]);
    assert.deepEqual(logVariance.shape, [3, 16]);
    // The two halves are different outputs of the same layer.
    // (Random weights: no value to expect, only that the halves differ.)
    assert.notDeepEqual([...mean.dataSync()], [...logVariance.dataSync()]);
  });
  encoder.dispose();
});

Deno.test("VaeDecoder.apply() maps (batch, 16) latents to 28 x 28 x 1 logits", () => {
  const decoder = new VaeDecoder(vaePreset("vae"), mulberry32(1));
  const shape = tf.tidy(() => decoder.apply(tf.ones([5, 16])).shape);
  assert.deepEqual(shape, [5, 28, 28, 1]);
  decoder.dispose();
});

Deno.test("VaeEncoder() and VaeDecoder() follow latentSize and baseWidth", () => {
  const config = { ...vaePreset("vae"), latentSize: 3, baseWidth: 8 };
  const encoder = new VaeEncoder(config, mulberry32(0));
  const decoder = new VaeDecoder(config, mulberry32(0));
  const [mean, logits] = tf.tidy(() => {
    const { mean } = encoder.apply(tf.zeros([2, 28, 28, 1]));
    return [mean.shape, decoder.apply(mean).shape];
  });
  assert.deepEqual(mean, [2, 3]);
  assert.deepEqual(logits, [2, 28, 28, 1]);
  assert.deepEqual(encoder.variables().get("encoder.dense.kernel")!.shape, [
    7 * 7 * 16,
    6,
  ]);
  encoder.dispose();
  decoder.dispose();
});

Deno.test("VaeEncoder() starts from the same weights for the same random stream", () => {
  const weights = (seed: number) => {
    const encoder = new VaeEncoder(vaePreset("vae-small"), mulberry32(seed));
    const values = [...encoder.variables().values()].map((variable) => [
      ...variable.dataSync(),
    ]);
    encoder.dispose();
    return values;
  };
  assert.deepEqual(weights(4), weights(4));
  // Another seed, other random weights: no value to expect.
  assert.notDeepEqual(weights(4), weights(5));
});

Deno.test("VaeEncoder.dispose() and VaeDecoder.dispose() free every variable", () => {
  const before = tf.memory().numTensors;
  const encoder = new VaeEncoder(vaePreset("vae"), mulberry32(0));
  const decoder = new VaeDecoder(vaePreset("vae"), mulberry32(0));
  assert.equal(tf.memory().numTensors, before + 12);
  encoder.dispose();
  decoder.dispose();
  assert.equal(tf.memory().numTensors, before);
});
