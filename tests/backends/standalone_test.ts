/**
 * @genwasm/backend on its own, as a tfjs user takes it: imported by its
 * package name and nothing else of genwasm, it trains a convolution (the
 * filter gradient tfjs-backend-wasm lacks runs on genwasm's kernels), and
 * its module graph holds no file of another member.
 */
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { fileURLToPath as fromFileUrl } from "node:url";
import { initEngine, tf } from "@genwasm/backend";

const ROOT = dirname(dirname(dirname(fromFileUrl(import.meta.url))));

Deno.test("@genwasm/backend alone trains a convolution on threaded wasm", async () => {
  const info = await initEngine({ threads: 2 });
  assert.equal(info.backend, "wasm");
  assert.ok(tf.getKernel("Conv2DBackpropFilter", "wasm"), "filter gradient");
  // Fit a 3x3 filter to the outputs of a hidden one.
  const x = tf.randomNormal([8, 12, 12, 4], 0, 1, "float32", 1) as tf.Tensor4D;
  const hidden = tf.randomNormal([3, 3, 4, 8], 0, 0.3, "float32", 2);
  const target = tf.conv2d(x, hidden as tf.Tensor4D, 1, "same");
  const w = tf.variable(tf.zeros([3, 3, 4, 8]));
  const optimizer = tf.train.adam(0.05);
  const loss = () =>
    tf.mean(
      tf.square(tf.sub(tf.conv2d(x, w as tf.Tensor4D, 1, "same"), target)),
    ) as tf.Scalar;
  const first = tf.tidy(() => loss().dataSync()[0]);
  for (let step = 0; step < 30; step++) {
    tf.dispose(optimizer.minimize(loss, true) ?? []);
  }
  const last = tf.tidy(() => loss().dataSync()[0]);
  assert.ok(last < 0.1 * first, `loss ${first} -> ${last}`);
  tf.dispose([x, hidden, target, w]);
  optimizer.dispose();
});

Deno.test("@genwasm/backend's module graph holds no file of another genwasm member", async () => {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", join(ROOT, "backends", "mod.ts")],
    cwd: ROOT,
    stdout: "piped",
    stderr: "null",
  }).output();
  assert.ok(output.success, "deno info runs");
  const graph = JSON.parse(new TextDecoder().decode(output.stdout));
  const ours = (graph.modules as { specifier: string }[])
    .map((m) => m.specifier)
    .filter((s) => s.startsWith("file://") && !s.includes("/node_modules/"))
    .map((s) => fromFileUrl(s).slice(ROOT.length + 1));
  assert.ok(ours.length > 20, "the backend's own files are listed");
  assert.deepEqual(ours.filter((path) => !path.startsWith("backends/")), []);
});
