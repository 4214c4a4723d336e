/**
 * `deno task bench:quality`: its arguments (defaults, and each bad one
 * refused in one line with exit 2 before anything runs), and the files a
 * family's results make: bench/quality_FAMILY.json and .png, and a
 * QUALITY.md that keeps the other families' sections.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runCommand } from "../cli/_run_cli.ts";
import {
  parseQualityArgs,
  QualityUsageError,
  writeQuality,
} from "../../bench/quality.ts";
import type { QualityResult } from "../../bench/_quality_markdown.ts";

Deno.test("parseQualityArgs() keeps the defaults and reads the flags", () => {
  const options = parseQualityArgs(["--family", "ddpm"]);
  assert.ok(options !== "help");
  assert.equal(options.family.name, "ddpm");
  assert.deepEqual(options.minutes, [10, 20, 30]);
  assert.equal(options.threads, 2);
  assert.equal(options.samples, undefined);
  assert.equal(options.out, join("runs", "quality", "ddpm"));
  assert.equal(options.scoreOnly, false);
  const given = parseQualityArgs([
    "--family",
    "gan",
    "--minutes",
    "20, 5",
    "--threads",
    "1",
    "--samples",
    "500",
    "--out",
    "runs/q2",
    "--score-only",
    "--any-blas",
  ]);
  assert.ok(given !== "help");
  assert.deepEqual(given.minutes, [5, 20]);
  assert.equal(given.threads, 1);
  assert.equal(given.samples, 500);
  assert.equal(given.out, join("runs", "q2", "gan"));
  assert.equal(given.scoreOnly, true);
  assert.equal(given.anyBlas, true);
  assert.equal(options.anyBlas, false);
  assert.equal(parseQualityArgs(["--help"]), "help");
});

Deno.test("parseQualityArgs() refuses bad arguments naming the flag", () => {
  for (
    const [args, message] of [
      [[], /--family is required: ddpm, flow, gan/],
      [["--family", "vae"], /--family must be ddpm, flow, gan; got "vae"/],
      [["--family", "flow", "--minutes", "10,,20"], /--minutes takes positive/],
      [["--family", "flow", "--minutes", "0"], /--minutes takes positive/],
      [["--family", "flow", "--minutes", "10,10"], /names a mark twice/],
      [["--family", "flow", "--threads", "0"], /--threads takes a whole/],
      [["--family", "flow", "--samples", "x"], /--samples takes a whole/],
      [["--family", "flow", "--out", "/tmp/q"], /--out must lie under runs\//],
      [["--family", "flow", "--out", "runs"], /--out must lie under runs\//],
      [["--family", "flow", "--out", "runs/../x"], /--out must lie under/],
      [["--family", "flow", "--minuets", "1"], /--minuets/],
    ] as const
  ) {
    assert.throws(
      () => parseQualityArgs([...args]),
      (error) =>
        error instanceof QualityUsageError && message.test(error.message),
      args.join(" "),
    );
  }
});

Deno.test("deno task bench:quality refuses bad arguments in one line (exit 2), before it runs anything", async () => {
  for (
    const args of [
      ["--family", "vae"],
      ["--family", "gan", "--minutes", "ten"],
      ["--family", "gan", "--bogus"],
    ]
  ) {
    const output = await runCommand(Deno.execPath(), {
      args: ["task", "--quiet", "bench:quality", ...args],
      env: { NO_COLOR: "1" },
    });
    const stderr = output.stderr;
    assert.equal(output.code, 2, stderr);
    const lines = stderr.split("\n").filter((line) => line.trim());
    assert.equal(lines.length, 1, stderr);
    assert.match(lines[0], /^bench:quality: .*--/);
  }
});

Deno.test("writeQuality() writes the family's JSON and plot and a QUALITY.md that keeps the other families", async () => {
  const dir = await Deno.makeTempDir({ prefix: "genwasm_quality_" });
  try {
    const result: QualityResult = {
      family: "flow",
      command: "deno task bench:quality --family flow --minutes 10",
      date: "2026-12-07T18:00:00.000Z",
      machine: {
        cpuModel: "Test CPU",
        cores: 2,
        deno: "2.9.6",
        v8: "13",
        os: "linux",
      },
      torchVersion: "1.13.0",
      blas: {
        libraries: ["libopenblas.so.0"],
        gflops: 90,
        size: 1024,
        threads: 1,
      },
      threads: 2,
      evalArgs: ["--threads", "2"],
      marks: [{
        minutes: 10,
        ours: { status: "ok", step: 3000, metrics: { bits_per_dim: 1.3 } },
        torch: { status: "ok", step: 2500, metrics: { bits_per_dim: 1.4 } },
      }],
    };
    await writeQuality({
      ...result,
      family: "gan",
      marks: [{
        minutes: 10,
        ours: { status: "ok", step: 9000, metrics: { fid: 30, modes: 10 } },
        torch: { status: "ok", step: 9500, metrics: { fid: 20, modes: 10 } },
      }],
    }, dir);
    const path = await writeQuality(result, dir);
    assert.equal(path, join(dir, "QUALITY.md"));
    const text = await Deno.readTextFile(path);
    assert.match(text, /## ddpm\n\nNot run yet/);
    assert.match(text, /## flow\n\n- Recipe:/);
    assert.match(text, /## gan\n\n- Recipe:/);
    assert.match(text, /on test bits\/dim at every minute mark\):\smet\./);
    assert.match(text, /on FID at every minute mark\):\snot met\./);
    const saved = JSON.parse(
      await Deno.readTextFile(join(dir, "quality_flow.json")),
    );
    assert.deepEqual(saved, result);
    const png = await Deno.readFile(join(dir, "quality_flow.png"));
    assert.deepEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
