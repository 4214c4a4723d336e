/**
 * `deno task bench:page [--run runs/cgan-small] [--n 64] [--repeats 5]`:
 * what the web page costs, written to bench/PAGE.md. The page is built
 * (its files' sizes), served with the run by `serve`'s handler and opened in
 * headless Chromium: page load to the first grid, cold (a new browser
 * profile) and warm (the page reloaded), and the time per grid the page
 * reports, against `sample`'s drawing of the same grid under Deno in this
 * process, both on all cores.
 *
 * @module
 */
/// <reference lib="dom" />
import { parseArgs } from "node:util";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { initEngine } from "../backends/engine.ts";
import { familyOf, rebuildModel } from "../models/registry.ts";
import { sampleGrid } from "../models/sample_grid.ts";
import { loadRun } from "../train/run_folder.ts";
import { buildPage } from "../build/page.ts";
import { launchChromium } from "../build/chromium.ts";
import { pageHandler } from "../cli/serve.ts";
import { formatNumber, table } from "./_markdown.ts";
import { describeMachine, loadAverage } from "./_machine.ts";

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** Opens the page and times it until its first grid is painted. */
async function loadToFirstGrid(
  page: Page,
  url: string,
  count: number,
  reload: boolean,
): Promise<number> {
  const started = performance.now();
  if (reload) await page.reload();
  else await page.goto(url);
  await page.waitForFunction(() => document.body.dataset.state === "ready");
  await page.fill("#count", String(count));
  await page.click("#sample");
  await page.waitForFunction(() =>
    document.body.dataset.state === "ready" &&
    document.getElementById("status")!.textContent !== ""
  );
  return performance.now() - started;
}

/** The page's own time for one more grid (the sampler's clock). */
async function pageSampleTime(page: Page): Promise<number> {
  await page.evaluate(() => {
    document.getElementById("status")!.textContent = "";
  });
  await page.click("#sample");
  await page.waitForFunction(() =>
    document.body.dataset.state === "ready" &&
    document.getElementById("status")!.textContent !== ""
  );
  const status = (await page.textContent("#status"))!;
  return 1000 * Number(status.match(/in ([\d.]+) s/)![1]);
}

/** `sample`'s grid drawn in this process: ms per grid, after one warm-up. */
async function denoSampleTimes(
  run: string,
  count: number,
  repeats: number,
): Promise<{ engine: string; times: number[] }> {
  const info = await initEngine();
  const loaded = await loadRun(
    run,
    (preset, config) => rebuildModel(familyOf(preset), preset, config),
  );
  const family = familyOf(loaded.preset);
  const test = {
    images: new Float32Array(0),
    labels: new Uint8Array(0),
    shape: [0, 0, 0, 0] as [number, number, number, number],
  };
  const times: number[] = [];
  for (let i = 0; i <= repeats; i++) {
    const started = performance.now();
    sampleGrid(family, loaded.model, { count, seed: i, kind: "samples", test });
    if (i > 0) times.push(performance.now() - started);
  }
  loaded.model.dispose();
  return {
    engine: `${info.variant}, ${info.threads} threads`,
    times,
  };
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      run: { type: "string", default: join("runs", "cgan-small") },
      n: { type: "string", default: "64" },
      repeats: { type: "string", default: "5" },
    },
  });
  const count = Number(values.n), repeats = Number(values.repeats);
  const loadBefore = loadAverage();
  const pageDir = await Deno.makeTempDir({ prefix: "genwasm_page_bench_" });
  const files = await buildPage(pageDir);
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    pageHandler({ page: pageDir, run: values.run }),
  );
  const url = `http://127.0.0.1:${server.addr.port}/`;
  let browser: Browser | undefined;
  const cold: number[] = [], warm: number[] = [], perGrid: number[] = [];
  let engine = "";
  try {
    browser = await launchChromium();
    for (let i = 0; i < repeats; i++) {
      const context = await browser.newContext();
      const page = await context.newPage();
      cold.push(await loadToFirstGrid(page, url, count, false));
      warm.push(await loadToFirstGrid(page, url, count, true));
      engine = (await page.textContent("#engine"))!.replace("engine: ", "");
      if (i === 0) {
        for (let j = 0; j < repeats; j++) {
          perGrid.push(await pageSampleTime(page));
        }
      }
      await context.close();
    }
  } finally {
    await browser?.close();
    await server.shutdown();
    await Deno.remove(pageDir, { recursive: true });
  }
  const deno = await denoSampleTimes(values.run, count, repeats);
  const ms = (value: number) => `${formatNumber(value)} ms`;
  const kib = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;
  const total = Object.values(files).reduce((sum, bytes) => sum + bytes, 0);
  const machine = describeMachine();
  const report = `# genwasm: the web page's costs

Written by \`deno task bench:page\` (bench/page.ts); do not edit.

- Run: \`${values.run}\`, grids of ${count}, medians of ${repeats}.
- Machine: ${machine.cpuModel}, ${machine.cores} cores; Deno ${machine.deno};
  Chromium headless (Debian), driven by playwright-core.
- 1-minute load average: ${formatNumber(loadBefore)} before, ${
    formatNumber(loadAverage())
  } after.

## Time

${
    table(["what", "median", "range"], [
      [
        "page load to first grid, cold (new profile)",
        ms(median(cold)),
        `${ms(Math.min(...cold))} - ${ms(Math.max(...cold))}`,
      ],
      [
        "page load to first grid, warm (reload)",
        ms(median(warm)),
        `${ms(Math.min(...warm))} - ${ms(Math.max(...warm))}`,
      ],
      [
        `one grid in the page (${engine})`,
        ms(median(perGrid)),
        `${ms(Math.min(...perGrid))} - ${ms(Math.max(...perGrid))}`,
      ],
      [
        `one grid under Deno, as \`sample\` draws it (${deno.engine})`,
        ms(median(deno.times)),
        `${ms(Math.min(...deno.times))} - ${ms(Math.max(...deno.times))}`,
      ],
    ])
  }

## Bundle (\`deno task page\` -> dist/page/, ${kib(total)} in all)

${
    table(
      ["file", "size"],
      Object.entries(files).sort().map(([name, bytes]) => [name, kib(bytes)]),
    )
  }
`;
  await Deno.writeTextFile(
    new URL("./PAGE.md", import.meta.url),
    report,
  );
  console.log(report);
}
