/**
 * The web page in a real browser: Debian's Chromium, headless, driven by
 * playwright-core. The page is built, served by `serve`'s handler with a
 * tiny run of each generative family, and asked for a grid with a fixed
 * seed; its canvas must hold the pixels `sample` writes for the same seed
 * and options, drawn by the threaded SIMD build. Served without the
 * isolation headers it must run single-threaded SIMD and say so; a corrupt
 * checkpoint chosen on it must get a readable message.
 */
/// <reference lib="dom" />
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import {
  CHROMIUM,
  haveChromium as chromiumInstalled,
  launchChromium,
} from "../../build/chromium.ts";
import { buildPage } from "../../build/page.ts";
import { pageHandler } from "../../cli/serve.ts";
import { decodePngPixels } from "../../data/png_decode.ts";
import { run as runCli } from "../../cli/main.ts";
import { initEngine } from "../../backends/engine.ts";
import { familyOf } from "../../models/registry.ts";
import { saveCheckpoint, storeTensor } from "../../train/checkpoint.ts";
import type { StoredTensor } from "../../train/safetensors.ts";
import { RUN_FILES } from "../../train/run_folder.ts";

const haveChromium = await chromiumInstalled();
if (!haveChromium) {
  console.log(
    `browser tests skipped: no ${CHROMIUM} (apt-get install chromium)`,
  );
}

/** Each family's run (preset, config overrides) and the sampling flags both sides get. */
const CASES = [
  { preset: "cgan-small", config: {}, options: { class: "3" } },
  {
    preset: "ddpm-small",
    config: { conditional: true },
    options: { guidance: "2", sampler: "ddim", "sampler-steps": "4" },
  },
  { preset: "vae-small", config: {}, options: {} },
  { preset: "flow-small", config: {}, options: { temperature: "0.7" } },
];

/**
 * A run folder holding `preset`'s model as initialised from a seed (what
 * it draws needs no training to be compared), as train writes one.
 */
async function untrainedRun(
  dir: string,
  preset: string,
  config: Record<string, unknown>,
): Promise<void> {
  const model = familyOf(preset).create(preset, config, 1, { classes: 10 });
  const tensors = new Map<string, StoredTensor>(
    Object.values(model.groups).flatMap((group) =>
      [...group].map(([name, variable]) =>
        [
          `model.${name}`,
          storeTensor(variable),
        ] as const
      )
    ),
  );
  for (const [name, variable] of model.buffers ?? []) {
    tensors.set(`buffer.${name}`, storeTensor(variable));
  }
  await Deno.mkdir(dir, { recursive: true });
  await saveCheckpoint(join(dir, RUN_FILES.checkpoint), {
    preset,
    config: model.config,
    step: 0,
    randomState: 0,
    training: { data: "mnist" },
    tensors,
  });
  model.dispose();
}

const COUNT = 16, SEED = 7, THREADS = 2;

async function waitForState(page: Page, states: string[]): Promise<string> {
  await page.waitForFunction(
    (wanted) => wanted.includes(document.body.dataset.state ?? ""),
    states,
    { timeout: 120_000 },
  );
  return await page.evaluate(() => document.body.dataset.state ?? "");
}

/** The canvas's grey levels (its red channel), row-major. */
async function canvasGrey(page: Page): Promise<
  { width: number; height: number; grey: number[] }
> {
  return await page.evaluate(() => {
    const canvas = document.getElementById("grid") as HTMLCanvasElement;
    const { width, height } = canvas;
    const rgba = canvas.getContext("2d")!.getImageData(0, 0, width, height)
      .data;
    const grey: number[] = [];
    for (let i = 0; i < rgba.length; i += 4) grey.push(rgba[i]);
    return { width, height, grey };
  });
}

Deno.test({
  name:
    "the page samples each family with the threaded build, pixel for pixel what sample writes; without isolation it says it runs one thread; it names a corrupt file",
  ignore: !haveChromium,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const work = await Deno.makeTempDir({ prefix: "genwasm_page_" });
    const pageDir = join(work, "page");
    await buildPage(pageDir);
    let browser: Browser | undefined;
    try {
      browser = await launchChromium();
      await initEngine({ threads: THREADS });
      for (const { preset, config, options } of CASES) {
        const run = join(work, preset);
        await untrainedRun(run, preset, config);
        const png = join(work, `${preset}.png`);
        const flags = Object.entries(options).flatMap(([flag, value]) => [
          `--${flag}`,
          value,
        ]);
        const code = await runCli([
          "sample",
          "--run",
          run,
          "--n",
          String(COUNT),
          "--seed",
          String(SEED),
          "--out",
          png,
          "--threads",
          String(THREADS),
          ...flags,
        ]);
        assert.equal(code, 0);
        const expected = decodePngPixels(await Deno.readFile(png), png, {
          channels: 1,
        });

        const server = Deno.serve(
          { hostname: "127.0.0.1", port: 0, onListen() {} },
          pageHandler({ page: pageDir, run }),
        );
        try {
          const page = await browser.newPage();
          await page.goto(
            `http://127.0.0.1:${server.addr.port}/?threads=${THREADS}`,
          );
          assert.equal(await waitForState(page, ["ready", "error"]), "ready");
          assert.match(
            (await page.textContent("#engine"))!,
            new RegExp(`threaded-simd, ${THREADS} threads`),
          );
          assert.equal(await page.isHidden("#isolation"), true);
          await page.fill("#count", String(COUNT));
          await page.fill("#seed", String(SEED));
          for (const [flag, value] of Object.entries(options)) {
            await page.fill(`#option-${flag}`, value);
          }
          await page.click("#sample");
          await page.waitForFunction(() =>
            document.body.dataset.state !== "sampling"
          );
          assert.equal(
            await waitForState(page, ["ready", "error"]),
            "ready",
            (await page.textContent("#error")) ?? "",
          );
          const shown = await canvasGrey(page);
          assert.deepEqual(
            [shown.width, shown.height],
            [expected.width, expected.height],
          );
          // Both draw with the same kernels and threads; 8-bit rounding of
          // values a float ulp apart may still differ by one level.
          let worst = 0;
          for (let i = 0; i < shown.grey.length; i++) {
            const level = Math.round(expected.data[i] * 255);
            worst = Math.max(worst, Math.abs(shown.grey[i] - level));
          }
          assert.ok(worst <= 1, `${preset}: pixels differ by ${worst}`);
          await page.close();
        } finally {
          await server.shutdown();
        }
      }

      // Served without isolation headers and without a run: the engine
      // falls back to one thread and says so; a corrupt checkpoint chosen
      // on the page gets its message.
      const isolated = pageHandler({ page: pageDir });
      const server = Deno.serve(
        { hostname: "127.0.0.1", port: 0, onListen() {} },
        async (request) => {
          const response = await isolated(request);
          const headers = new Headers(response.headers);
          headers.delete("cross-origin-opener-policy");
          headers.delete("cross-origin-embedder-policy");
          return new Response(response.body, {
            status: response.status,
            headers,
          });
        },
      );
      try {
        const page = await browser.newPage();
        await page.goto(`http://127.0.0.1:${server.addr.port}/`);
        assert.equal(await waitForState(page, ["empty", "error"]), "empty");
        assert.match(
          (await page.textContent("#engine"))!,
          /wasm simd, 1 thread /,
        );
        assert.equal(await page.isVisible("#isolation"), true);
        await page.setInputFiles("#file", {
          name: "broken.safetensors",
          mimeType: "application/octet-stream",
          buffer: Buffer.from("this is no checkpoint at all"),
        });
        assert.equal(await waitForState(page, ["error"]), "error");
        assert.match(
          (await page.textContent("#error"))!,
          /^broken\.safetensors: /,
        );
        await page.close();
      } finally {
        await server.shutdown();
      }
    } finally {
      await browser?.close();
      await Deno.remove(work, { recursive: true });
    }
  },
});
