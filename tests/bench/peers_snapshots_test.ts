/**
 * The PyTorch training scripts' --minutes / --snapshot-minutes
 * (bench/peers/_snapshots.py) on a budget of a second: each of ddpm, flow
 * and dcgan writes a state dict per mark, by rename (no temporary file
 * left), prints its JSON line, and `genwasm import` turns the snapshot into
 * a run. Skipped, saying so, where /usr/bin/python3 cannot import torch.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { lines, runCli, runCommand } from "../cli/_run_cli.ts";
import { QUALITY_FAMILIES } from "../../bench/_quality_families.ts";
import { snapshotName } from "../../cli/train.ts";

const PYTHON = "/usr/bin/python3";

/** Whether /usr/bin/python3 imports torch. */
function hasTorch(): boolean {
  try {
    return new Deno.Command(PYTHON, {
      args: ["-c", "import torch"],
      stdout: "null",
      stderr: "null",
    }).outputSync().success;
  } catch {
    return false;
  }
}

const torch = hasTorch();
if (!torch) {
  console.error(
    `peers_snapshots_test: ${PYTHON} cannot import torch; skipping the PyTorch snapshot tests (deno task bench:peers installs python3-torch)`,
  );
}

function python(args: string[]) {
  return runCommand(PYTHON, {
    args,
    env: { OMP_NUM_THREADS: "1", MKL_NUM_THREADS: "1" },
  });
}

for (const family of Object.values(QUALITY_FAMILIES)) {
  Deno.test({
    name:
      `${family.peerScript} --snapshot-minutes writes a state dict per mark that import reads (${family.name})`,
    ignore: !torch,
    async fn() {
      const dir = await Deno.makeTempDir({ prefix: "genwasm_peer_snap_" });
      try {
        const snapshots = join(dir, "torch");
        const result = await python([
          family.peerScript,
          ...family.peerArgs,
          "--threads",
          "1",
          "--steps",
          "1000000",
          "--minutes",
          "0.02",
          "--snapshot-minutes",
          "0.01,0.02",
          "--snapshot-dir",
          snapshots,
        ]);
        assert.equal(result.code, 0, result.stderr);
        const marks = lines(result.stdout).filter((line) =>
          line.startsWith('{"snapshot"')
        ).map((line) => JSON.parse(line));
        assert.deepEqual(marks.map((m) => m.snapshot), ["0.01m", "0.02m"]);
        assert.ok(marks[0].step >= 1 && marks[0].step <= marks[1].step);
        assert.ok(marks[0].elapsed_seconds >= 0.6);
        const files = [...Deno.readDirSync(snapshots)].map((e) => e.name)
          .sort();
        assert.deepEqual(files, ["0.01m.safetensors", "0.02m.safetensors"]);
        const imported = await runCli([
          "import",
          ...family.importArgs,
          "--from",
          join(snapshots, "0.02m.safetensors"),
          "--out",
          join(dir, "run"),
          "--threads",
          "1",
        ]);
        assert.equal(imported.code, 0, imported.stderr);
        assert.match(imported.stdout, /wrote .*checkpoint\.safetensors/);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  });
}

Deno.test({
  name:
    "the PyTorch scripts refuse a mark after --minutes and marks without a folder",
  ignore: !torch,
  async fn() {
    const late = await python([
      "bench/peers/gan_train.py",
      "--minutes",
      "1",
      "--snapshot-minutes",
      "2",
      "--snapshot-dir",
      "/nonexistent",
    ]);
    assert.equal(late.code, 2);
    assert.match(
      late.stderr,
      /error: --snapshot-minutes 2 comes after --minutes 1 ends the run/,
    );
    const homeless = await python([
      "bench/peers/flow_train.py",
      "--snapshot-minutes",
      "1",
    ]);
    assert.equal(homeless.code, 2);
    assert.match(homeless.stderr, /--snapshot-minutes needs --snapshot-dir/);
  },
});

Deno.test({
  name:
    "the peer names a snapshot as train --snapshot-minutes does, and refuses marks it cannot name alike",
  ignore: !torch,
  async fn() {
    const marks = [10, 0.05, 1.2345678, 0.0001, 20.5, 1e14];
    const result = await python([
      "-c",
      `import sys; sys.path.insert(0, "bench/peers"); import _snapshots as s; print(",".join(s.mark_name(m) for m in [${marks}]))`,
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(result.stdout.trim().split(","), marks.map(snapshotName));
    const refused = await python([
      "bench/peers/gan_train.py",
      "--minutes",
      "1",
      "--snapshot-minutes",
      "0.00001",
      "--snapshot-dir",
      "/tmp/never",
    ]);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /takes minutes from 0\.0001/);
  },
});
