/**
 * The probes of `deno task bench:interchange` (bench/_interchange_probes.ts)
 * without PyTorch: inputs go in as NCHW and come out of our models as they
 * would from a direct NHWC call, so a difference the check reports is the
 * weights', not the probe's.
 */
import assert from "node:assert/strict";
import { tf } from "../../backends/tf.ts";
import { initEngine } from "../../backends/engine.ts";
import { familyOf } from "../../models/registry.ts";
import type { Vae } from "../../models/vae/vae.ts";
import type { Ddpm } from "../../models/ddpm/diffusion.ts";
import {
  PROBE_BATCH,
  probeInputs,
  probeOutputs,
} from "../../bench/_interchange_probes.ts";

await initEngine({ threads: 2 });

/** (n, c, h, w) values as an (n, h, w, c) tensor, by index formula. */
function toNhwc(data: Float32Array, [n, c, h, w]: number[]): tf.Tensor4D {
  const out = new Float32Array(data.length);
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          out[((b * h + y) * w + x) * c + ch] =
            data[((b * c + ch) * h + y) * w + x];
        }
      }
    }
  }
  return tf.tensor4d(out, [n, h, w, c]);
}

Deno.test("vae probe: the encoder's outputs on the NCHW images are those of the NHWC call", () => {
  const model = familyOf("vae-small").create("vae-small", {}, 0) as Vae;
  try {
    const inputs = probeInputs("vae", model, 3);
    const images = inputs.get("images")!;
    assert.deepEqual(images.shape, [PROBE_BATCH, 1, 28, 28]);
    const outputs = probeOutputs("vae", model, inputs);
    const direct = tf.tidy(() =>
      model.encode(toNhwc(images.data as Float32Array, images.shape)).mean
        .dataSync()
    );
    assert.deepEqual(outputs.get("mean")!.data, direct);
    assert.deepEqual(outputs.get("logits")!.shape, [PROBE_BATCH, 1, 28, 28]);
  } finally {
    model.dispose();
  }
});

Deno.test("ddpm probe: the U-Net's noise, back in NCHW, is predictEpsilon's", () => {
  const model = familyOf("ddpm-small").create("ddpm-small", {}, 0) as Ddpm;
  try {
    const inputs = probeInputs("ddpm", model, 4);
    const x = inputs.get("x")!, t = inputs.get("t")!;
    const noise = probeOutputs("ddpm", model, inputs).get("noise")!;
    const direct = tf.tidy(() =>
      model.predictEpsilon(
        toNhwc(x.data as Float32Array, x.shape),
        tf.tensor1d(t.data as Int32Array, "int32"),
      ).dataSync()
    );
    assert.deepEqual(noise.shape, [PROBE_BATCH, 1, 28, 28]);
    // One channel: NCHW and NHWC hold the values in the same order.
    assert.deepEqual(noise.data, direct);
  } finally {
    model.dispose();
  }
});
