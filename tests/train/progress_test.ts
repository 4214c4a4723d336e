import assert from "node:assert/strict";
import { formatDuration, Progress, progressBar } from "../../train/progress.ts";

Deno.test("formatDuration() writes seconds, minutes and hours", () => {
  assert.equal(formatDuration(42.4), "42s");
  assert.equal(formatDuration(185), "3m05s");
  assert.equal(formatDuration(3720), "1h02m");
  assert.equal(formatDuration(NaN), "?");
});

Deno.test("Progress.update() prints plain lines on logged steps only", () => {
  const written: string[] = [];
  let time = 0;
  const progress = new Progress({
    total: 4,
    interactive: false,
    write: (text) => written.push(text),
    now: () => time,
  });
  for (let step = 1; step <= 4; step++) {
    time += 500;
    progress.update(step, 0.5, step % 2 === 0);
  }
  progress.finish();
  assert.deepEqual(written, [
    "step 2/4  loss 0.5000  2.0 steps/s  ETA 1s\n",
    "step 4/4  loss 0.5000  2.0 steps/s  ETA 0s\n",
  ]);
});

Deno.test("Progress.update() redraws one terminal line and ends it once", () => {
  const written: string[] = [];
  let time = 0;
  const progress = new Progress({
    total: 2,
    interactive: true,
    write: (text) => written.push(text),
    now: () => time,
  });
  time = 1000;
  progress.update(1, 0.25, false);
  time = 2000;
  progress.update(2, 0.125, false);
  progress.finish();
  progress.finish();
  assert.equal(written.length, 3);
  assert.ok(
    written[0].startsWith(
      `\r[${"#".repeat(12)}${"-".repeat(12)}] step 1/2  loss 0.2500`,
    ),
    written[0],
  );
  assert.ok(written[1].startsWith(`\r[${"#".repeat(24)}] step 2/2 `));
  assert.ok(written[1].endsWith("\x1b[K"), "clears the rest of the line");
  assert.equal(written[2], "\n");
});

Deno.test("progressBar() draws one bar per run of steps and ends each line", () => {
  const written: string[] = [];
  let time = 0;
  const progress = progressBar({
    write: (text) => written.push(text),
    now: () => (time += 1000),
  });
  for (let done = 1; done <= 3; done++) progress(done, 3);
  // A second run (e.g. the next chunk of samples) starts a fresh bar.
  progress(1, 2);
  progress(2, 2);
  const ends = written.filter((text) => text === "\n").length;
  assert.equal(ends, 2, JSON.stringify(written));
  const draws = written.filter((text) => text !== "\n");
  assert.match(draws[2], /step 3\/3/);
  assert.match(draws[3], /step 1\/2/);
  assert.equal(written.at(-1), "\n");
});
