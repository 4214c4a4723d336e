/**
 * `genwasm serve`: serves the web page (`deno task page` builds it) and a
 * run's checkpoint, read-only, on one port of localhost (unless `--host`
 * says otherwise), with the headers that make the page cross-origin
 * isolated (COOP and COEP), so the threaded SIMD build runs in it. Only GET
 * and HEAD are answered; only the page's files and the run's
 * checkpoint.safetensors (as `/run/checkpoint.safetensors`) are served.
 *
 * @module
 */
import { join } from "node:path";
import { RUN_FILES } from "@genwasm/train/run_folder";
import { COMMON_FLAGS, parseFlags, UsageError, wholeNumber } from "./_flags.ts";
import { contentType, fileInside, relativeFilePath } from "./_static_files.ts";

/** One line for the command list. */
export const SUMMARY = "serve the web page that samples a run in the browser";

const FLAGS = {
  help: COMMON_FLAGS.help,
  run: { type: "string" },
  port: { type: "string" },
  host: { type: "string" },
  page: { type: "string" },
} as const;

/** The command's `--help`. */
export const HELP = `genwasm serve: ${SUMMARY}

Usage: deno task serve --run DIR [--port 8000]

  --run DIR      run folder written by train; without one, the page
                 samples checkpoints dropped on it
  --port N       port to listen on (default 8000; 0: any free one)
  --host NAME    address to listen on (default 127.0.0.1)
  --page DIR     the built page (default dist/page; deno task page builds it)
  -h, --help     show this help`;

/** Where the page asks for the run's checkpoint. */
export const CHECKPOINT_URL = "/run/checkpoint.safetensors";

/** Headers on every answer: cross-origin isolation, and no sniffing. */
const ISOLATION_HEADERS = {
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-embedder-policy": "require-corp",
  "cross-origin-resource-policy": "same-origin",
  "x-content-type-options": "nosniff",
};

/** What {@link pageHandler} serves. */
export interface ServedFiles {
  /** The built page's folder. */
  page: string;
  /** The run folder whose checkpoint is served, if any. */
  run?: string;
}

function answer(status: number, text: string, extra = {}): Response {
  return new Response(`${text}\n`, {
    status,
    headers: {
      ...ISOLATION_HEADERS,
      "content-type": "text/plain; charset=utf-8",
      ...extra,
    },
  });
}

/** The file a request's path names, or undefined. */
async function fileFor(
  files: ServedFiles,
  path: string,
): Promise<string | undefined> {
  if (path === CHECKPOINT_URL) {
    return files.run
      ? await fileInside(files.run, RUN_FILES.checkpoint)
      : undefined;
  }
  const relative = relativeFilePath(path === "/" ? "/index.html" : path);
  return relative === undefined
    ? undefined
    : await fileInside(files.page, relative);
}

/** The request handler of `serve`, for Deno.serve. */
export function pageHandler(
  files: ServedFiles,
): (request: Request) => Promise<Response> {
  return async (request) => {
    if (request.method !== "GET" && request.method !== "HEAD") {
      return answer(405, "only GET and HEAD", { allow: "GET, HEAD" });
    }
    const file = await fileFor(files, new URL(request.url).pathname);
    if (!file) return answer(404, "not found");
    const bytes = await Deno.readFile(file);
    return new Response(request.method === "HEAD" ? null : bytes, {
      headers: {
        ...ISOLATION_HEADERS,
        "content-type": contentType(file),
        "content-length": String(bytes.length),
        "cache-control": "no-cache",
      },
    });
  };
}

/** Checks that the page is built and the run has a checkpoint. */
async function checkFiles({ page, run }: ServedFiles): Promise<void> {
  if (!await fileInside(page, "index.html")) {
    throw new UsageError(
      `${join(page, "index.html")}: no page built there (run deno task page)`,
    );
  }
  if (run !== undefined && !await fileInside(run, RUN_FILES.checkpoint)) {
    throw new UsageError(
      `${
        join(run, RUN_FILES.checkpoint)
      }: no checkpoint there (a folder written by train)`,
    );
  }
}

/** Runs `serve` with its arguments (the command name removed). */
export async function main(args: string[]): Promise<void> {
  const values = parseFlags(args, FLAGS);
  if (values.help) {
    console.log(HELP);
    return;
  }
  const files: ServedFiles = { page: values.page ?? join("dist", "page") };
  if (values.run !== undefined) files.run = values.run;
  const port = values.port === undefined
    ? 8000
    : wholeNumber("port", values.port, 0);
  if (port > 65535) {
    throw new UsageError(`--port must be at most 65535, got ${port}`);
  }
  await checkFiles(files);
  const server = Deno.serve({
    hostname: values.host ?? "127.0.0.1",
    port,
    onListen: ({ hostname, port }) =>
      console.log(
        `serving ${files.run ?? "the page"} at http://${
          hostname.includes(":") ? `[${hostname}]` : hostname
        }:${port}/ (Ctrl-C to stop)`,
      ),
  }, pageHandler(files));
  await server.finished;
}
