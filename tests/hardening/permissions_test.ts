/**
 * Least privilege: the deno.json tasks that run the CLI grant narrow
 * permissions (no -A, no network, no subprocesses; writes only under runs/
 * and the worker cache), still start the threaded engine, and a write
 * elsewhere is refused with one line saying what to do.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { ROOT } from "../cli/_run_cli.ts";

const CLI_TASKS = [
  "train",
  "sample",
  "eval",
  "encode",
  "export",
  "import",
  "info",
];

async function task(args: string[]) {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["task", "-q", ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return {
    code: output.code,
    stdout: decode(output.stdout),
    stderr: decode(output.stderr),
  };
}

Deno.test("the CLI tasks grant no -A, no network, no run, and writes only under runs/ and the cache", async () => {
  const config = JSON.parse(await Deno.readTextFile(join(ROOT, "deno.json")));
  for (const name of CLI_TASKS) {
    const command: string = config.tasks[name];
    assert.ok(command, `task ${name}`);
    assert.doesNotMatch(
      command,
      /(^|\s)(-A|--allow-all|--allow-net|--allow-run|--allow-ffi)(\s|=|$)/,
    );
    assert.match(command, /--allow-write=runs,\$HOME\/\.cache\/genwasm(\s|$)/);
    assert.doesNotMatch(
      command,
      /--allow-(read|write|env)(\s|$)/,
      "every grant names its paths",
    );
  }
});

Deno.test("under the task's permissions: info starts the threaded engine; a write outside runs/ is refused in one line", async () => {
  const info = await task(["info", "--json"]);
  assert.equal(info.code, 0, info.stderr);
  const engine = JSON.parse(info.stdout);
  assert.equal(engine.variant, engine.cores > 1 ? "threaded-simd" : "simd");

  const outside = await Deno.makeTempDir({ prefix: "genwasm_outside_" });
  try {
    const refused = await task([
      "train",
      "--model",
      "vae-small",
      "--steps",
      "1",
      "--out",
      join(outside, "run"),
    ]);
    assert.equal(refused.code, 1, refused.stderr);
    const lines = refused.stderr.trim().split("\n");
    assert.equal(lines.length, 1, refused.stderr);
    assert.match(
      lines[0],
      /^genwasm train: Requires write access to ".*genwasm_outside_.*".*use --out runs\//,
    );
    assert.deepEqual([...Deno.readDirSync(outside)], [], "nothing written");
  } finally {
    await Deno.remove(outside, { recursive: true });
  }
});
