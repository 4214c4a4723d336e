/**
 * `serve`: the page's files and the run's checkpoint, nothing else, with
 * the cross-origin isolation headers; escapes by `..`, percent-encoded
 * dots or slashes, absolute paths, backslashes, NUL and symbolic links get
 * a 404; only GET and HEAD are answered; bad flags and missing files are
 * refused in one line.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { CHECKPOINT_URL, pageHandler } from "../../cli/serve.ts";
import { relativeFilePath } from "../../cli/_static_files.ts";
import { lines, ROOT, runCli, runCommand } from "./_run_cli.ts";

/** A page folder, a run folder and a secret beside them, in a temp folder. */
async function servedFolders() {
  const root = await Deno.makeTempDir({ prefix: "genwasm_serve_" });
  const page = join(root, "page"), run = join(root, "run");
  await Deno.mkdir(join(page, "sub"), { recursive: true });
  await Deno.mkdir(run);
  await Deno.writeTextFile(join(page, "index.html"), "<p>index</p>");
  await Deno.writeTextFile(join(page, "main.js"), "console.log(1);");
  await Deno.writeTextFile(join(page, "sub", "a b.css"), "p {}");
  await Deno.writeFile(
    join(run, "checkpoint.safetensors"),
    Uint8Array.of(1, 2, 3),
  );
  await Deno.writeTextFile(join(run, "metrics.jsonl"), "{}");
  await Deno.writeTextFile(join(root, "secret.txt"), "secret");
  await Deno.symlink(join(root, "secret.txt"), join(page, "leak.txt"));
  await Deno.symlink(root, join(page, "up"));
  return { root, page, run };
}

Deno.test("relativeFilePath decodes each segment and refuses escapes", () => {
  assert.equal(relativeFilePath("/main.js"), "main.js");
  assert.equal(relativeFilePath("/sub/a%20b.css"), "sub/a b.css");
  for (
    const path of [
      "/",
      "/../secret.txt",
      "/%2e%2e/secret.txt",
      "/%2E%2E/secret.txt",
      "/sub/%2e%2e/%2e%2e/secret.txt",
      "/..%2fsecret.txt",
      "/sub%2f..%2f..%2fsecret.txt",
      "//etc/passwd",
      "/%2fetc/passwd",
      "/sub/..\\..\\secret.txt",
      "/main.js%00.html",
      "/./main.js",
      "/%E0%A4%A",
      "main.js",
    ]
  ) {
    assert.equal(relativeFilePath(path), undefined, path);
  }
});

Deno.test("serve answers with the page's files and the run's checkpoint, isolated, and 404s every escape", async () => {
  const { root, page, run } = await servedFolders();
  const handle = pageHandler({ page, run });
  const get = (path: string, method = "GET") =>
    handle(new Request(`http://localhost${path}`, { method }));
  try {
    const index = await get("/");
    assert.equal(index.status, 200);
    assert.equal(await index.text(), "<p>index</p>");
    assert.equal(index.headers.get("content-type"), "text/html; charset=utf-8");
    assert.equal(
      index.headers.get("cross-origin-opener-policy"),
      "same-origin",
    );
    assert.equal(
      index.headers.get("cross-origin-embedder-policy"),
      "require-corp",
    );
    const script = await get("/main.js");
    assert.equal(await script.text(), "console.log(1);");
    assert.match(script.headers.get("content-type")!, /^text\/javascript/);
    assert.equal(await (await get("/sub/a%20b.css")).text(), "p {}");

    const checkpoint = await get(CHECKPOINT_URL);
    assert.deepEqual(
      new Uint8Array(await checkpoint.arrayBuffer()),
      Uint8Array.of(1, 2, 3),
    );
    const head = await get(CHECKPOINT_URL, "HEAD");
    assert.equal(head.status, 200);
    assert.equal(head.headers.get("content-length"), "3");
    assert.equal(await head.text(), "");

    for (
      const path of [
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/..%2fsecret.txt",
        "//etc/passwd",
        "/leak.txt",
        "/up/secret.txt",
        "/sub",
        "/missing.js",
        "/run/metrics.jsonl",
        "/run/../secret.txt",
      ]
    ) {
      const response = await get(path);
      assert.equal(response.status, 404, path);
      assert.doesNotMatch(await response.text(), /secret/, path);
    }
    for (const method of ["POST", "PUT", "DELETE", "OPTIONS"]) {
      const response = await get("/main.js", method);
      assert.equal(response.status, 405, method);
      assert.equal(response.headers.get("allow"), "GET, HEAD");
      await response.body?.cancel();
    }
    // Without a run, the checkpoint is not there either.
    const bare = await pageHandler({ page })(
      new Request(`http://localhost${CHECKPOINT_URL}`),
    );
    assert.equal(bare.status, 404);
    await bare.body?.cancel();
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("serve refuses a missing page, a run without a checkpoint and a bad port in one line", async () => {
  const { root, page, run } = await servedFolders();
  try {
    const cases: [string[], RegExp][] = [
      [
        ["--page", join(root, "nowhere")],
        /index\.html: no page built there \(run deno task page\)/,
      ],
      [
        ["--page", page, "--run", root],
        /checkpoint\.safetensors: no checkpoint there/,
      ],
      [
        ["--page", page, "--run", run, "--port", "70000"],
        /--port must be at most 65535, got 70000/,
      ],
      [["--page", page, "--port", "http"], /--port/],
    ];
    for (const [args, message] of cases) {
      const { code, stderr } = await runCli(["serve", ...args]);
      assert.equal(code, 2, args.join(" "));
      assert.match(stderr, message);
      assert.equal(stderr.trim().split("\n").length, 1, stderr);
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("serve refuses in one line under its own task's permissions (no env access: no stack trace)", async () => {
  const tasks = JSON.parse(
    await Deno.readTextFile(join(ROOT, "deno.json")),
  ).tasks as Record<string, string>;
  // "deno task page && deno run FLAGS cli/main.ts serve": the FLAGS.
  const flags = tasks.serve.split("deno run ")[1].split(" cli/main.ts")[0]
    .split(" ");
  assert.ok(!flags.some((flag) => flag.startsWith("--allow-env")), tasks.serve);
  const output = await runCommand(Deno.execPath(), {
    args: ["run", ...flags, "cli/main.ts", "serve", "--page", "no-page-here"],
    env: { NO_COLOR: "1" },
  });
  const stderr = output.stderr;
  assert.equal(output.code, 2, stderr);
  assert.match(stderr, /index\.html: no page built there/);
  assert.equal(stderr.trim().split("\n").length, 1, stderr);
});

Deno.test("serve says in one line when its port is taken or its host not permitted (exit 1)", async () => {
  const { root, page } = await servedFolders();
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const port = (taken.addr as Deno.NetAddr).port;
    const busy = await runCli(
      ["serve", "--page", page, "--port", String(port)],
      {},
      ["--allow-net=127.0.0.1"],
    );
    assert.equal(busy.code, 1);
    assert.match(
      busy.stderr,
      new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port} \\(.*EADDRINUSE`),
    );
    assert.equal(lines(busy.stderr).length, 1, busy.stderr);
    // A host the permissions do not cover: one line, no stack trace.
    const elsewhere = await runCli(
      ["serve", "--page", page, "--host", "127.0.0.2", "--port", "0"],
      {},
      ["--allow-net=127.0.0.1"],
    );
    assert.equal(elsewhere.code, 1);
    assert.match(
      elsewhere.stderr,
      /no permission to listen on 127\.0\.0\.2:0 .*--allow-net=127\.0\.0\.2/,
    );
    assert.equal(lines(elsewhere.stderr).length, 1, elsewhere.stderr);
  } finally {
    taken.close();
    await Deno.remove(root, { recursive: true });
  }
});
