/**
 * The esbuild plugin that resolves genwasm's workspace members by name, for
 * every bundle this folder builds (the executable, the web page).
 *
 * @module
 */
import type * as esbuild from "esbuild";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Resolves the workspace members' names (`@genwasm/models/registry`) as
 * Deno does: through each member's deno.json exports, read from the
 * workspace the root deno.json lists.
 */
export function workspaceMembers(): esbuild.Plugin {
  const root = fileURLToPath(new URL("../", import.meta.url));
  const exportsOf = new Map<string, { folder: string; exports: unknown }>();
  const workspace = JSON.parse(
    Deno.readTextFileSync(join(root, "deno.json")),
  ).workspace as string[];
  for (const folder of workspace) {
    const config = JSON.parse(
      Deno.readTextFileSync(join(root, folder, "deno.json")),
    );
    exportsOf.set(config.name, { folder, exports: config.exports });
  }
  return {
    name: "genwasm-workspace",
    setup(build) {
      build.onResolve({ filter: /^@genwasm\// }, (args) => {
        const [scope, name, ...rest] = args.path.split("/");
        const member = exportsOf.get(`${scope}/${name}`);
        if (!member) return undefined;
        const key = rest.length ? `./${rest.join("/")}` : ".";
        const exports = typeof member.exports === "string"
          ? { ".": member.exports }
          : member.exports as Record<string, string>;
        const target = exports[key];
        if (!target) {
          return { errors: [{ text: `${args.path}: ${key} is not exported` }] };
        }
        return { path: join(root, member.folder, target) };
      });
    },
  };
}
