/**
 * `train --snapshot-minutes`: a tiny run with marks of a fraction of a
 * second writes a loadable run folder at each mark (eval reads it; the
 * checkpoint's hash checks), with no temporary file left beside it, and a
 * fresh run removes stale snapshots. Bad marks, and marks with --resume
 * (whose clock starts again), are refused in one line.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { lines, runCli } from "./_run_cli.ts";
import { parseSnapshotMinutes, parseTrainArgs } from "../../cli/train.ts";
import { UsageError } from "../../cli/_flags.ts";
import { loadCheckpoint } from "../../train/checkpoint.ts";

/** A toy flow on 2-D points: steps of a millisecond, no classifier. */
function tinyRun(out: string, minutes: string, marks?: string): string[] {
  return [
    "train",
    "--model",
    "flow2d",
    "--data",
    "moons",
    "--threads",
    "1",
    "--steps",
    "10000000",
    "--minutes",
    minutes,
    ...(marks ? ["--snapshot-minutes", marks] : []),
    "--log-every",
    "100000",
    "--checkpoint-every",
    "100000000",
    "--sample-every",
    "0",
    "--out",
    out,
  ];
}

async function withDir(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "genwasm_snapshot_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function snapshotFile(out: string, name: string): string {
  return join(out, "snapshots", name, "checkpoint.safetensors");
}

Deno.test("train --snapshot-minutes writes a checkpoint per mark that eval loads; --resume with marks is refused; a fresh run removes stale ones", async () => {
  await withDir(async (dir) => {
    const out = join(dir, "run");
    // 3 s of training, marks at 0.6 s and 1.8 s.
    const first = await runCli(tinyRun(out, "0.05", "0.03,0.01"));
    assert.equal(first.code, 0, first.stderr);
    const early = await loadCheckpoint(snapshotFile(out, "0.01m"));
    const late = await loadCheckpoint(snapshotFile(out, "0.03m"));
    const final = await loadCheckpoint(join(out, "checkpoint.safetensors"));
    assert.ok(early.step >= 1, `first snapshot at step ${early.step}`);
    assert.ok(early.step <= late.step && late.step <= final.step);
    for (const name of ["0.01m", "0.03m"]) {
      // Only the checkpoint: no temporary file left beside it.
      const entries = [...Deno.readDirSync(join(out, "snapshots", name))];
      assert.deepEqual(entries.map((e) => e.name), ["checkpoint.safetensors"]);
    }
    const records = lines(await Deno.readTextFile(join(out, "metrics.jsonl")))
      .map((line) => JSON.parse(line)).filter((record) => record.snapshot);
    assert.deepEqual(records.map((r) => [r.snapshot, r.step]), [
      ["0.01m", early.step],
      ["0.03m", late.step],
    ]);
    assert.ok(records[0].elapsed_seconds >= 0.6);
    assert.ok(records[1].elapsed_seconds >= 1.8);

    // eval reads a snapshot as a run of its own, at its step.
    const evaluated = await runCli([
      "eval",
      "--run",
      join(out, "snapshots", "0.01m"),
      "--json",
      "--threads",
      "1",
    ]);
    assert.equal(evaluated.code, 0, evaluated.stderr);
    const report = JSON.parse(lines(evaluated.stdout).at(-1)!);
    assert.equal(report.step, early.step);
    assert.equal(report.model, "flow2d");

    // A resumed run's clock starts again, so its marks would name the
    // wrong minutes: --resume with --snapshot-minutes is refused, the
    // snapshots left as they were.
    const before = await Deno.readFile(snapshotFile(out, "0.01m"));
    const resumed = await runCli([
      ...tinyRun(out, "0.02", "0.01"),
      "--resume",
    ]);
    assert.equal(resumed.code, 2);
    assert.equal(lines(resumed.stderr).length, 1, resumed.stderr);
    assert.match(resumed.stderr, /--snapshot-minutes .* not with --resume/);
    const after = await Deno.readFile(snapshotFile(out, "0.01m"));
    // (Compared as a boolean: a failed deepEqual of megabytes would spend
    // minutes drawing its diff.)
    assert.ok(
      after.length === before.length && after.every((b, i) => b === before[i]),
    );

    // Started again, the run leaves no snapshot of the run it replaced.
    const fresh = await runCli([
      ...tinyRun(out, "0.005"),
      "--overwrite",
      "--skip-eval",
    ]);
    assert.equal(fresh.code, 0, fresh.stderr);
    assert.match(fresh.stdout, /final evaluation skipped/);
    assert.doesNotMatch(fresh.stdout, /^test:/m);
    await assert.rejects(
      Deno.stat(join(out, "snapshots")),
      Deno.errors.NotFound,
    );
  });
});

Deno.test("train --snapshot-minutes: marks parse ascending; bad ones are usage errors naming the flag, one line at the CLI", async () => {
  assert.deepEqual(parseSnapshotMinutes("30, 10,20", undefined), [10, 20, 30]);
  const command = parseTrainArgs([
    "--model",
    "flow",
    "--minutes",
    "30",
    "--snapshot-minutes",
    "10,20,30",
  ]);
  assert.ok(command !== "help");
  assert.deepEqual(command.snapshotMinutes, [10, 20, 30]);
  for (
    const [marks, message] of [
      ["10,40", /--snapshot-minutes 40 comes after --minutes 30 ends the run/],
      ["10,,20", /--snapshot-minutes takes minutes separated by commas/],
      ["0", /--snapshot-minutes/],
      ["ten", /--snapshot-minutes/],
      ["10,10", /--snapshot-minutes names 10 twice/],
    ] as const
  ) {
    assert.throws(
      () =>
        parseTrainArgs([
          "--model",
          "flow",
          "--minutes",
          "30",
          "--snapshot-minutes",
          marks,
        ]),
      (error) => error instanceof UsageError && message.test(error.message),
      marks,
    );
  }
  const refused = await runCli([
    "train",
    "--model",
    "flow",
    "--minutes",
    "1",
    "--snapshot-minutes",
    "2",
  ]);
  assert.equal(refused.code, 2);
  assert.equal(lines(refused.stderr).length, 1, refused.stderr);
  assert.match(refused.stderr, /--snapshot-minutes 2 comes after --minutes 1/);
});
