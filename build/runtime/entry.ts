/**
 * The entry point of the Node single-executable build of `genwasm`: installs
 * the Deno globals, then runs the same dispatcher as `cli/main.ts`.
 *
 * @module
 */
import "./deno_global.ts";
import { run } from "../../cli/main.ts";

run(Deno.args).then(
  (code) => Deno.exit(code),
  (error) => {
    console.error(`genwasm: ${error instanceof Error ? error.message : error}`);
    Deno.exit(1);
  },
);
