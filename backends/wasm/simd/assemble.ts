/**
 * The assembler that turns genwasm's WebAssembly text into binaries (wabt,
 * from npm). Only Deno and Node load it: the web page ships binaries
 * assembled when it was built.
 *
 * @module
 */
import initWabt from "wabt";
import { compileBinary } from "./wat.ts";

/**
 * Assembles module text with SIMD (and relaxed SIMD when `fused`), threads
 * and bulk memory; throws on text wabt rejects.
 */
export async function assembleWat(
  text: string,
  fused: boolean,
): Promise<Uint8Array<ArrayBuffer>> {
  const wabt = await initWabt();
  const features = {
    simd: true,
    relaxed_simd: fused,
    threads: true,
    bulk_memory: true,
  };
  const parsed = wabt.parseWat("genwasm.wat", text, features);
  try {
    // validate() takes the features too (wabt's typings omit the argument).
    (parsed as unknown as { validate(allowed: object): void }).validate(
      features,
    );
    return new Uint8Array(parsed.toBinary({}).buffer);
  } finally {
    parsed.destroy();
  }
}

/**
 * Assembles and compiles module text (see {@link assembleWat}); `undefined`
 * when this engine rejects the binary.
 */
export async function compileWat(
  text: string,
  fused: boolean,
): Promise<WebAssembly.Module | undefined> {
  return await compileBinary(await assembleWat(text, fused));
}
