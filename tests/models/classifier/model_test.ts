import assert from "node:assert/strict";
import { tf } from "../../../backends/tf.ts";
import { initEngine } from "../../../backends/engine.ts";
import { mulberry32 } from "../../../data/random.ts";
import { ClassifierNetwork } from "../../../models/classifier/model.ts";
import { classifierPreset } from "../../../models/classifier/presets.ts";

await initEngine({ threads: 2 });

/** Every variable's name and shape, in order. */
function shapes(variables: Map<string, tf.Variable>): [string, number[]][] {
  return [...variables].map(([name, variable]) => [name, variable.shape]);
}

Deno.test("ClassifierNetwork() has the preset's layer shapes under stable names", () => {
  const network = new ClassifierNetwork(
    classifierPreset("classifier"),
    mulberry32(0),
  );
  assert.deepEqual(shapes(network.variables()), [
    ["conv1.kernel", [3, 3, 1, 32]],
    ["conv1.bias", [32]],
    ["conv2.kernel", [3, 3, 32, 32]],
    ["conv2.bias", [32]],
    ["conv3.kernel", [3, 3, 32, 64]],
    ["conv3.bias", [64]],
    ["conv4.kernel", [3, 3, 64, 64]],
    ["conv4.bias", [64]],
    ["features.kernel", [3136, 64]],
    ["features.bias", [64]],
    ["logits.kernel", [64, 10]],
    ["logits.bias", [10]],
  ]);
  network.dispose();
});

Deno.test("ClassifierNetwork.apply() gives 64 non-negative features and 10 logits per image", () => {
  const network = new ClassifierNetwork(
    classifierPreset("classifier"),
    mulberry32(1),
  );
  const random = mulberry32(2);
  const pixels = Float32Array.from({ length: 3 * 784 }, () => random());
  const before = tf.memory().numTensors;
  tf.tidy(() => {
    const { features, logits } = network.apply(
      tf.tensor4d(pixels, [3, 28, 28, 1]),
    );
    assert.deepEqual(features.shape, [3, 64]);
    assert.deepEqual(logits.shape, [3, 10]);
    assert.ok(features.dataSync().every((value) => value >= 0), "ReLU");
    // Which units are active depends on the random weights: only "some".
    assert.ok(features.dataSync().some((value) => value > 0), "not all dead");
  });
  assert.equal(tf.memory().numTensors, before, "apply() leaks nothing");
  network.dispose();
});

Deno.test("ClassifierNetwork() follows imageSize, baseWidth, featureSize and classes", () => {
  const config = {
    ...classifierPreset("classifier"),
    imageSize: 8,
    baseWidth: 4,
    featureSize: 6,
    classes: 3,
  };
  const network = new ClassifierNetwork(config, mulberry32(0));
  assert.deepEqual(network.variables().get("features.kernel")!.shape, [
    2 * 2 * 8,
    6,
  ]);
  const shape = tf.tidy(() =>
    network.apply(tf.zeros([2, 8, 8, 1])).logits.shape
  );
  assert.deepEqual(shape, [2, 3]);
  network.dispose();
});

Deno.test("ClassifierNetwork() starts from the same weights for the same random stream", () => {
  const config = { ...classifierPreset("classifier"), baseWidth: 2 };
  const weights = (seed: number) => {
    const network = new ClassifierNetwork(config, mulberry32(seed));
    const values = [...network.variables().values()].map((variable) => [
      ...variable.dataSync(),
    ]);
    network.dispose();
    return values;
  };
  assert.deepEqual(weights(4), weights(4));
  // Another seed, other random weights: no value to expect.
  assert.notDeepEqual(weights(4), weights(5));
});

Deno.test("ClassifierNetwork.dispose() frees every variable", () => {
  const before = tf.memory().numTensors;
  const network = new ClassifierNetwork(
    classifierPreset("classifier"),
    mulberry32(0),
  );
  assert.equal(tf.memory().numTensors, before + 12);
  network.dispose();
  assert.equal(tf.memory().numTensors, before);
});
