/**
 * What the bundle uses for `import.meta.url`, injected like
 * `import_meta.ts`. Kept apart, with no project imports, so that it is set
 * before any module that reads it at load time (`backends/wasm/_loader.ts`).
 *
 * @module
 */
import { pathToFileURL } from "node:url";

/**
 * The executable itself: `createRequire` needs a base, and every path the
 * project requires is absolute, so any base does.
 */
export const __genwasmMetaUrl: string = pathToFileURL(process.execPath).href;
