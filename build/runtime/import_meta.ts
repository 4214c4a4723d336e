/**
 * What the bundle uses for `import.meta.resolve` (a CommonJS bundle has no
 * `import.meta`): the build defines it as `__genwasmResolve`, and esbuild's
 * `inject` imports that from here into every module that uses it.
 *
 * @module
 */
export { resolveEmbedded as __genwasmResolve } from "./embedded.ts";
