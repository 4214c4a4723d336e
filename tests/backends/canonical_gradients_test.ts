/**
 * Every gradient the four canonical model families need, on wasm, against the
 * tfjs cpu backend: each test builds a miniature of one family's layers from
 * plain tf ops (same kernels as the full models, smaller shapes), takes the
 * gradient of a scalar loss w.r.t. every parameter on both backends and
 * compares them. A missing kernel or gradient throws; a wrong one differs.
 */
import assert from "node:assert/strict";
import { tf } from "../../backends/tf.ts";
import { initEngine } from "../../backends/engine.ts";
import { quietCpuBackend, Rng } from "../_helpers.ts";

await initEngine({ threads: 2 });
quietCpuBackend();

/** Deterministic values in [-0.5, 0.5). */
const values = (count: number, seed: number) =>
  new Rng(seed).uniform(count, -0.5, 0.5);

type Shapes = Record<string, number[]>;
type Loss = (p: Record<string, tf.Tensor>) => tf.Scalar;

/** Gradients of `loss` w.r.t. every parameter, flattened, on one backend. */
async function gradientsOn(
  backend: string,
  shapes: Shapes,
  loss: Loss,
): Promise<Map<string, Float32Array>> {
  await tf.setBackend(backend);
  const names = Object.keys(shapes);
  const result = new Map<string, Float32Array>();
  tf.tidy(() => {
    const params = names.map((name, i) => {
      const size = shapes[name].reduce((a, b) => a * b, 1);
      return tf.tensor(values(size, 7919 * (i + 1)), shapes[name]);
    });
    const grads = tf.grads((...xs: tf.Tensor[]) =>
      loss(Object.fromEntries(names.map((n, i) => [n, xs[i]])))
    )(params);
    names.forEach((n, i) => result.set(n, grads[i].dataSync() as Float32Array));
  });
  return result;
}

/** Relative tolerance: max |wasm - cpu| over max |cpu|, per parameter. */
const TOLERANCE = 1e-4;

async function assertSameGradients(shapes: Shapes, loss: Loss) {
  const onWasm = await gradientsOn("wasm", shapes, loss);
  const onCpu = await gradientsOn("cpu", shapes, loss);
  await tf.setBackend("wasm");
  for (const [name, expected] of onCpu) {
    const actual = onWasm.get(name)!;
    let worst = 0, scale = 0;
    for (let i = 0; i < expected.length; i++) {
      worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
      scale = Math.max(scale, Math.abs(expected[i]));
    }
    assert.ok(scale > 0, `gradient of ${name} is all zeros`);
    assert.ok(
      worst / scale <= TOLERANCE,
      `gradient of ${name}: relative error ${worst / scale} > ${TOLERANCE}`,
    );
  }
}

const dense = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) =>
  tf.add(tf.matMul(x, w), b);

/** Batch norm over all axes but the last, with learned scale and shift. */
function batchNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor) {
  const axes = x.shape.map((_, i) => i).slice(0, -1);
  const { mean, variance } = tf.moments(x, axes);
  return tf.add(
    tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, 1e-5))), gamma),
    beta,
  );
}

/** Group norm on NHWC, as in the DDPM U-Net. */
function groupNorm(
  x: tf.Tensor4D,
  groups: number,
  gamma: tf.Tensor,
  beta: tf.Tensor,
) {
  const [n, h, w, c] = x.shape;
  const grouped = tf.reshape(x, [n, h * w, groups, c / groups]);
  const { mean, variance } = tf.moments(grouped, [1, 3], true);
  const normed = tf.mul(
    tf.sub(grouped, mean),
    tf.rsqrt(tf.add(variance, 1e-5)),
  );
  return tf.add(tf.mul(tf.reshape(normed, [n, h, w, c]), gamma), beta);
}

/**
 * Nearest-neighbour x2 upsampling from tiles. The model may use
 * tf.image.resizeNearestNeighbor, but the cpu backend's gradient of it is
 * wrong (see the test below), so it cannot be the reference here.
 */
function upsample2x(x: tf.Tensor4D) {
  const [n, h, w, c] = x.shape;
  const wide = tf.tile(tf.reshape(x, [n * h * w, 1, c]), [1, 2, 1]);
  const tall = tf.tile(tf.reshape(wide, [n * h, 1, 2 * w * c]), [1, 2, 1]);
  return tf.reshape(tall, [n, 2 * h, 2 * w, c]) as tf.Tensor4D;
}

const silu = (x: tf.Tensor) => tf.mul(x, tf.sigmoid(x));

/** Binary cross-entropy on logits, the numerically stable form. */
const bceWithLogits = (logits: tf.Tensor, target: tf.Tensor) =>
  tf.mean(
    tf.add(
      tf.sub(tf.relu(logits), tf.mul(logits, target)),
      tf.log1p(tf.exp(tf.neg(tf.abs(logits)))),
    ),
  );

Deno.test("dcgan and cgan layers have matching gradients on wasm and cpu", async () => {
  const batch = 3, classes = 10;
  const labels = [1, 7, 3];
  await assertSameGradients({
    z: [batch, 8],
    gw1: [8 + classes, 4 * 4 * 8],
    gb1: [4 * 4 * 8],
    gamma: [8],
    beta: [8],
    gk2: [4, 4, 5, 8],
    gk3: [4, 4, 1, 5],
    dk1: [4, 4, 1 + classes, 6],
    dk2: [4, 4, 6, 7],
    dw: [4 * 4 * 7, 1],
  }, (p) => {
    const onehot = tf.oneHot(
      tf.tensor1d(labels, "int32"),
      classes,
      1,
      0,
      "float32",
    );
    // Generator: dense -> BN -> ReLU -> convT s2 -> ReLU -> convT s2 -> tanh
    let g: tf.Tensor = dense(tf.concat([p.z, onehot], 1), p.gw1, p.gb1);
    g = tf.reshape(g, [batch, 4, 4, 8]);
    g = tf.relu(batchNorm(g, p.gamma, p.beta));
    g = tf.relu(
      tf.conv2dTranspose(
        g as tf.Tensor4D,
        p.gk2 as tf.Tensor4D,
        [batch, 8, 8, 5],
        2,
        "same",
      ),
    );
    const image = tf.tanh(
      tf.conv2dTranspose(
        g as tf.Tensor4D,
        p.gk3 as tf.Tensor4D,
        [batch, 16, 16, 1],
        2,
        "same",
      ),
    );
    // Discriminator on the image with label channels broadcast over it.
    const labelPlanes = tf.mul(
      tf.ones([batch, 16, 16, classes]),
      tf.reshape(onehot, [batch, 1, 1, classes]),
    );
    let d: tf.Tensor = tf.concat([image, labelPlanes], 3);
    d = tf.leakyRelu(
      tf.conv2d(d as tf.Tensor4D, p.dk1 as tf.Tensor4D, 2, "same"),
      0.2,
    );
    d = tf.leakyRelu(
      tf.conv2d(d as tf.Tensor4D, p.dk2 as tf.Tensor4D, 2, "same"),
      0.2,
    );
    const logits = tf.matMul(tf.reshape(d, [batch, -1]), p.dw);
    return bceWithLogits(logits, tf.onesLike(logits)) as tf.Scalar;
  });
});

Deno.test("vae layers have matching gradients on wasm and cpu", async () => {
  const batch = 2, latent = 3;
  await assertSameGradients({
    x: [batch, 8, 8, 1],
    ek1: [4, 4, 1, 4],
    ek2: [4, 4, 4, 5],
    ew: [2 * 2 * 5, 2 * latent],
    eb: [2 * latent],
    dw: [latent, 2 * 2 * 5],
    db: [2 * 2 * 5],
    dk1: [4, 4, 4, 5],
    dk2: [4, 4, 1, 4],
  }, (p) => {
    const target = tf.sigmoid(p.x);
    let h: tf.Tensor = tf.relu(
      tf.conv2d(target as tf.Tensor4D, p.ek1 as tf.Tensor4D, 2, "same"),
    );
    h = tf.relu(tf.conv2d(h as tf.Tensor4D, p.ek2 as tf.Tensor4D, 2, "same"));
    const stats = dense(tf.reshape(h, [batch, -1]), p.ew, p.eb);
    const [mean, logVariance] = tf.split(stats, 2, 1);
    const noise = tf.tensor(values(batch * latent, 17), [batch, latent]);
    const z = tf.add(mean, tf.mul(tf.exp(tf.mul(logVariance, 0.5)), noise));
    let y: tf.Tensor = tf.relu(
      tf.reshape(dense(z, p.dw, p.db), [batch, 2, 2, 5]),
    );
    y = tf.relu(
      tf.conv2dTranspose(
        y as tf.Tensor4D,
        p.dk1 as tf.Tensor4D,
        [batch, 4, 4, 4],
        2,
        "same",
      ),
    );
    const logits = tf.conv2dTranspose(
      y as tf.Tensor4D,
      p.dk2 as tf.Tensor4D,
      [batch, 8, 8, 1],
      2,
      "same",
    );
    const reconstruction = tf.sum(bceWithLogits(logits, target));
    const kl = tf.mul(
      -0.5,
      tf.sum(
        tf.sub(
          tf.sub(tf.add(1, logVariance), tf.square(mean)),
          tf.exp(logVariance),
        ),
      ),
    );
    return tf.add(reconstruction, kl) as tf.Scalar;
  });
});

Deno.test("flow (Glow step) layers have matching gradients on wasm and cpu", async () => {
  const batch = 2, c = 4;
  await assertSameGradients({
    x: [batch, 4, 4, 1],
    logScale: [c],
    bias: [c],
    lower: [c, c],
    upper: [c, c],
    logS: [c],
    k1: [3, 3, c / 2, 6],
    k2: [1, 1, 6, 6],
    k3: [3, 3, 6, c],
  }, (p) => {
    // Logit pre-processing of pixels in (0, 1), alpha = 0.05.
    const pixels = tf.add(tf.mul(tf.sigmoid(p.x), 0.9), 0.05);
    const scaled = tf.add(0.05, tf.mul(0.9, pixels));
    let logDet = tf.sum(
      tf.sub(tf.neg(tf.log(scaled)), tf.log1p(tf.neg(scaled))),
    );
    let h: tf.Tensor = tf.sub(tf.log(scaled), tf.log1p(tf.neg(scaled)));
    // Squeeze 4x4x1 -> 2x2x4 with reshape/transpose (depthToSpace has no gradient).
    h = tf.reshape(
      tf.transpose(tf.reshape(h, [batch, 2, 2, 2, 2, 1]), [0, 1, 3, 2, 4, 5]),
      [batch, 2, 2, c],
    );
    // ActNorm.
    h = tf.add(tf.mul(h, tf.exp(p.logScale)), p.bias);
    logDet = tf.add(logDet, tf.mul(4, tf.sum(p.logScale)));
    // Invertible 1x1 conv, LU-parameterised: W = L (U + diag(exp(logS))); tf.diag
    // has no gradient in tfjs, so the diagonal is eye * exp(logS).
    const strictLower = tf.mul(
      p.lower,
      tf.tensor2d([0, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0, 1, 1, 1, 0], [c, c]),
    );
    const strictUpper = tf.mul(
      p.upper,
      tf.tensor2d([0, 1, 1, 1, 0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 0], [c, c]),
    );
    const weight = tf.matMul(
      tf.add(strictLower, tf.eye(c)),
      tf.add(strictUpper, tf.mul(tf.eye(c), tf.exp(p.logS))),
    );
    h = tf.conv2d(
      h as tf.Tensor4D,
      tf.reshape(weight, [1, 1, c, c]) as tf.Tensor4D,
      1,
      "same",
    );
    logDet = tf.add(logDet, tf.mul(4, tf.sum(p.logS)));
    // Affine coupling with Glow's sigmoid(raw + 2) scale.
    const [xa, xb] = tf.split(h, 2, 3);
    let net: tf.Tensor = tf.relu(
      tf.conv2d(xa as tf.Tensor4D, p.k1 as tf.Tensor4D, 1, "same"),
    );
    net = tf.relu(
      tf.conv2d(net as tf.Tensor4D, p.k2 as tf.Tensor4D, 1, "same"),
    );
    net = tf.conv2d(net as tf.Tensor4D, p.k3 as tf.Tensor4D, 1, "same");
    const [shift, raw] = tf.split(net, 2, 3);
    const scale = tf.sigmoid(tf.add(raw, 2));
    const yb = tf.mul(tf.add(xb, shift), scale);
    logDet = tf.add(logDet, tf.sum(tf.log(scale)));
    const z = tf.concat([xa, yb], 3);
    const logPrior = tf.mul(
      -0.5,
      tf.sum(tf.add(tf.square(z), Math.log(2 * Math.PI))),
    );
    return tf.neg(tf.add(logPrior, logDet)) as tf.Scalar;
  });
});

Deno.test("ddpm U-Net layers have matching gradients on wasm and cpu", async () => {
  const batch = 2, ch = 8, temb = 6;
  await assertSameGradients({
    x: [batch, 8, 8, 1],
    labelTable: [11, temb],
    tw: [4, temb],
    kIn: [3, 3, 1, ch],
    gamma: [ch],
    beta: [ch],
    kRes: [3, 3, ch, ch],
    tProj: [temb, ch],
    kDown: [3, 3, ch, ch],
    kUp: [3, 3, ch, ch],
    kOut: [3, 3, 2 * ch, 1],
  }, (p) => {
    // Sinusoidal time features gathered from a table, plus a label embedding.
    const timesteps = tf.tensor1d([3, 700], "int32");
    const frequencies = tf.tensor2d(values(1000 * 4, 5), [1000, 4]);
    const timeFeatures = tf.gather(tf.sin(frequencies), timesteps);
    const labelEmbedding = tf.gather(
      p.labelTable,
      tf.tensor1d([4, 10], "int32"),
    );
    const embedding = silu(
      tf.add(tf.matMul(timeFeatures, p.tw), labelEmbedding),
    );
    let h = tf.conv2d(p.x as tf.Tensor4D, p.kIn as tf.Tensor4D, 1, "same");
    const skip = h;
    // ResBlock core: GroupNorm -> SiLU -> Conv3x3 -> + time projection.
    let r = silu(groupNorm(h, 4, p.gamma, p.beta));
    r = tf.conv2d(r as tf.Tensor4D, p.kRes as tf.Tensor4D, 1, "same");
    r = tf.add(r, tf.reshape(tf.matMul(embedding, p.tProj), [batch, 1, 1, ch]));
    h = tf.add(h, r);
    // Down (strided conv), up (nearest x2 + conv), concat skip, output conv.
    h = tf.conv2d(h, p.kDown as tf.Tensor4D, 2, "same");
    h = upsample2x(h);
    h = tf.conv2d(h, p.kUp as tf.Tensor4D, 1, "same");
    const out = tf.conv2d(
      tf.concat([h, skip], 3),
      p.kOut as tf.Tensor4D,
      1,
      "same",
    );
    const noise = tf.tensor(values(batch * 64, 23), [batch, 8, 8, 1]);
    return tf.mean(tf.squaredDifference(out, noise)) as tf.Scalar;
  });
});

Deno.test("resizeNearestNeighbor gradient on wasm equals the hand-computed block sums", async () => {
  await tf.setBackend("wasm");
  const [n, h, w, c] = [2, 4, 3, 3];
  const input = values(n * h * w * c, 31),
    weights = values(n * 4 * h * w * c, 37);
  const gradient = tf.tidy(() =>
    tf.grad((x: tf.Tensor) =>
      tf.sum(tf.mul(
        tf.image.resizeNearestNeighbor(x as tf.Tensor4D, [2 * h, 2 * w]),
        tf.tensor(weights, [n, 2 * h, 2 * w, c]),
      ))
    )(tf.tensor(input, [n, h, w, c])).dataSync()
  );
  const expected = new Float32Array(input.length);
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < 2 * h; i++) {
      for (let j = 0; j < 2 * w; j++) {
        for (let k = 0; k < c; k++) {
          expected[((b * h + (i >> 1)) * w + (j >> 1)) * c + k] +=
            weights[((b * 2 * h + i) * 2 * w + j) * c + k];
        }
      }
    }
  }
  for (let i = 0; i < expected.length; i++) {
    assert.ok(
      Math.abs(gradient[i] - expected[i]) < 1e-5,
      `element ${i}: ${gradient[i]} != ${expected[i]}`,
    );
  }
});
