/**
 * bench/QUALITY.md and the per-family plots from hand-made results: the
 * table's rows and cells, the target verdict in each direction (higher and
 * lower is better), missing marks said as such, families not run yet, and
 * both curves drawn in the plot.
 */
import assert from "node:assert/strict";
import {
  atLeastAsGood,
  qualityPlot,
  type QualityResult,
  qualityTable,
  renderQuality,
  targetVerdict,
} from "../../bench/_quality_markdown.ts";
import { QUALITY_FAMILIES } from "../../bench/_quality_families.ts";
import { seriesColor } from "../../train/loss_plot.ts";

const machine = {
  cpuModel: "Test CPU",
  cores: 2,
  deno: "2.9.6",
  v8: "13",
  os: "x86_64-unknown-linux-gnu",
};
const blas = {
  libraries: ["/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3"],
  gflops: 95.5,
  size: 1024,
  threads: 1,
};

function ddpm(): QualityResult {
  return {
    family: "ddpm",
    command: "deno task bench:quality --family ddpm --minutes 10,20",
    date: "2026-12-07T18:00:00.000Z",
    machine,
    torchVersion: "1.13.0",
    blas,
    threads: 2,
    evalArgs: ["--samples", "256", "--threads", "2"],
    loadBefore: 0.1,
    loadAfter: 2.2,
    marks: [
      {
        minutes: 10,
        ours: {
          status: "ok",
          step: 1200,
          metrics: { class_accuracy: 0.9, fid: 40 },
        },
        torch: {
          status: "ok",
          step: 900,
          metrics: { class_accuracy: 0.8, fid: 50 },
        },
      },
      {
        minutes: 20,
        ours: {
          status: "ok",
          step: 2400,
          metrics: { class_accuracy: 0.95, fid: 30 },
        },
        torch: { status: "missing", reason: "PyTorch stopped at 19.2 min" },
      },
    ],
  };
}

Deno.test("qualityTable() gives one row per mark: steps and each metric of both sides, and whether ours is at least as good", () => {
  const lines = qualityTable(ddpm()).split("\n");
  assert.equal(lines.length, 4);
  assert.match(
    lines[0],
    /^\| minutes \| steps ours \| steps PyTorch \| class accuracy ↑ ours \| class accuracy ↑ PyTorch \| FID ↓ ours \| FID ↓ PyTorch \| ours at least as good \(class accuracy\) \|$/,
  );
  const cells = (line: string) =>
    line.split("|").slice(1, -1).map((c) => c.trim());
  assert.deepEqual(cells(lines[2]), [
    "10",
    "1200",
    "900",
    "0.900",
    "0.800",
    "40.000",
    "50.000",
    "yes",
  ]);
  assert.deepEqual(cells(lines[3]), [
    "20",
    "2400",
    "—",
    "0.950",
    "—",
    "30.000",
    "—",
    "—",
  ]);
});

Deno.test("atLeastAsGood() and targetVerdict() follow each metric's direction", () => {
  const [accuracy, fid] = QUALITY_FAMILIES.ddpm.metrics;
  const mark = ddpm().marks[0];
  assert.equal(atLeastAsGood(mark, accuracy), true);
  assert.equal(atLeastAsGood(mark, fid), true);
  const worse = {
    ...mark,
    ours: {
      status: "ok" as const,
      step: 1,
      metrics: { class_accuracy: 0.5, fid: 60 },
    },
  };
  assert.equal(atLeastAsGood(worse, accuracy), false);
  assert.equal(atLeastAsGood(worse, fid), false);
  const result = ddpm();
  assert.match(targetVerdict(result), /^unknown/);
  result.marks = [result.marks[0]];
  assert.equal(targetVerdict(result), "met");
  result.marks = [worse];
  assert.equal(targetVerdict(result), "not met");
  // The GAN's headline is FID: lower wins.
  const gan: QualityResult = {
    ...ddpm(),
    family: "gan",
    marks: [{
      minutes: 10,
      ours: { status: "ok", step: 5, metrics: { fid: 20, modes: 10 } },
      torch: { status: "ok", step: 5, metrics: { fid: 25, modes: 10 } },
    }],
  };
  assert.equal(targetVerdict(gan), "met");
});

Deno.test("renderQuality() writes the machine, the peer's BLAS, the command, the table, why a score is missing, the plot, and families not run yet", () => {
  const text = renderQuality([ddpm()]);
  assert.match(text, /^# genwasm vs PyTorch: sample quality at equal minutes/);
  assert.match(text, /## ddpm\n/);
  assert.match(text, /- CPU: Test CPU, 2 logical cores/);
  assert.match(
    text,
    /PyTorch's BLAS: \/usr\/lib\/x86_64-linux-gnu\/openblas-pthread\/libblas\.so\.3, 95\.5 GFLOPS/,
  );
  assert.match(
    text,
    /Command: `deno task bench:quality --family ddpm --minutes 10,20`/,
  );
  assert.match(text, /eval --run SNAPSHOT --json --samples 256 --threads 2`/);
  assert.match(text, /\| 10 +\| 1200 +\| 900 /);
  assert.match(text, /- 20 min, PyTorch: PyTorch stopped at 19\.2 min/);
  assert.match(
    text,
    /!\[class accuracy against minutes, ours and PyTorch\]\(quality_ddpm\.png\)/,
  );
  assert.match(
    text,
    /## flow\n\nNot run yet: `deno task bench:quality --family flow/,
  );
  assert.match(text, /## gan\n\nNot run yet/);
  assert.doesNotMatch(text, /load average was/);
  const busy = renderQuality([{ ...ddpm(), loadBefore: 3.1 }]);
  assert.match(busy, /The load average was 3\.10 before the run/);
});

Deno.test("qualityPlot() draws both sides' curves in their colours", () => {
  const picture = qualityPlot(ddpm());
  const has = (color: number[]) => {
    for (let i = 0; i < picture.data.length; i += 3) {
      if (
        picture.data[i] === color[0] && picture.data[i + 1] === color[1] &&
        picture.data[i + 2] === color[2]
      ) return true;
    }
    return false;
  };
  assert.ok(has(seriesColor(0)), "ours' colour");
  assert.ok(has(seriesColor(1)), "PyTorch's colour");
  const empty = qualityPlot({ ...ddpm(), marks: [] });
  assert.deepEqual([empty.width, empty.height], [640, 360]);
});
