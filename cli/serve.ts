/**
 * `genwasm serve`: serves the web page (`deno task page` builds it) and a
 * run's checkpoint, read-only, on one port of localhost (unless `--host`
 * says otherwise), with the headers that make the page cross-origin
 * isolated (COOP and COEP), so the threaded SIMD build runs in it. Only GET
 * and HEAD are answered; only the page's files and the run's
 * checkpoint.safetensors (as `/run/checkpoint.safetensors`) are served.
 * The single executable carries the page (build/compile.ts embeds it) and
 * serves that when no `--page` is given and no `dist/page` is built here.
 *
 * @module
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createServer } from "node:http";
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
  --page DIR     the built page (default dist/page, which deno task page
                 builds; the single executable carries its own)
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

/**
 * The specifier prefix under which the single executable carries the
 * page's files: `import.meta.resolve("genwasm-page/index.html")` unpacks
 * and finds one there (under Deno it throws: no such dependency).
 */
export const EMBEDDED_PAGE = "genwasm-page";

/**
 * The page's file `relative` as this executable carries it, if it does: its
 * own files under {@link EMBEDDED_PAGE}, and the tfjs WASM builds, which the
 * executable carries once, for itself and the page.
 */
function embeddedPageFile(relative: string): string | undefined {
  for (
    const specifier of [
      `${EMBEDDED_PAGE}/${relative}`,
      `@tensorflow/tfjs-backend-wasm/wasm-out/${relative}`,
    ]
  ) {
    try {
      const path = fileURLToPath(import.meta.resolve(specifier));
      if (Deno.statSync(path).isFile) return path;
    } catch { /* not carried */ }
  }
  return undefined;
}

/** Whether this is the single executable, carrying the page. */
function carriesPage(): boolean {
  try {
    import.meta.resolve(`${EMBEDDED_PAGE}/index.html`);
    return true;
  } catch {
    return false;
  }
}

/** What {@link pageHandler} serves. */
export interface ServedFiles {
  /** The built page's folder, or "embedded": the executable's own copy. */
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
  if (relative === undefined) return undefined;
  return files.page === EMBEDDED
    ? embeddedPageFile(relative)
    : await fileInside(files.page, relative);
}

/** {@link ServedFiles.page} for the page the executable carries. */
export const EMBEDDED = "embedded";

/**
 * The page to serve when `--page` is not given: `dist/page` where it is
 * built, else the executable's own copy where this is one.
 */
async function defaultPage(): Promise<string> {
  const built = join("dist", "page");
  if (await fileInside(built, "index.html")) return built;
  return carriesPage() ? EMBEDDED : built;
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
  if (page !== EMBEDDED && !await fileInside(page, "index.html")) {
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
  const files: ServedFiles = { page: values.page ?? await defaultPage() };
  if (values.run !== undefined) files.run = values.run;
  const port = values.port === undefined
    ? 8000
    : wholeNumber("port", values.port, 0);
  if (port > 65535) {
    throw new UsageError(`--port must be at most 65535, got ${port}`);
  }
  await checkFiles(files);
  await listen(
    pageHandler(files),
    values.host ?? "127.0.0.1",
    port,
    (url) =>
      console.log(
        `serving ${files.run ?? "the page"}${
          files.page === EMBEDDED ? " (the page this executable carries)" : ""
        } at ${url} (Ctrl-C to stop)`,
      ),
  );
}

/**
 * Answers HTTP on `host:port` with `handler` until the process ends,
 * through node:http, which Deno and the single executable's Node both have
 * (the executable's Deno shim has no Deno.serve).
 *
 * @throws Error naming the address when it cannot listen there.
 */
async function listen(
  handler: (request: Request) => Promise<Response>,
  host: string,
  port: number,
  listening: (url: string) => void,
): Promise<void> {
  // Deno's node:http throws a permission error it cannot catch: ask first
  // (the executable's Deno shim has no permissions to ask).
  const permission = Deno.permissions?.querySync?.({
    name: "net",
    host: `${host}:${port}`,
  });
  if (permission && permission.state !== "granted") {
    throw new Error(
      `no permission to listen on ${host}:${port} (the serve task allows 127.0.0.1, localhost and 0.0.0.0; for another host run deno run --allow-read=. --allow-net=${host} cli/main.ts serve ...)`,
    );
  }
  const server = createServer(async (incoming, outgoing) => {
    let response: Response;
    try {
      // Only the path matters to the handler; the host is not trusted.
      const url = new URL(incoming.url ?? "/", "http://localhost");
      response = await handler(new Request(url, { method: incoming.method }));
    } catch {
      // A request line no URL parser takes, or a file gone while read.
      response = new Response("cannot answer that\n", { status: 400 });
    }
    outgoing.writeHead(response.status, Object.fromEntries(response.headers));
    outgoing.end(new Uint8Array(await response.arrayBuffer()));
  });
  await new Promise<void>((resolve, reject) => {
    server.once(
      "error",
      (error: Error) =>
        reject(
          new Error(`cannot listen on ${host}:${port} (${error.message})`),
        ),
    );
    server.listen(port, host, () => {
      const { port: bound } = server.address() as { port: number };
      const shown = host.includes(":") ? `[${host}]` : host;
      listening(`http://${shown}:${bound}/`);
    });
    server.once("close", resolve);
  });
}
