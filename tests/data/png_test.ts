import assert from "node:assert/strict";
import { join } from "node:path";
import { decode } from "fast-png";
import { writePng } from "../../data/png.ts";

Deno.test("writePng() writes a PNG that decodes to the same pixels", async () => {
  const folder = await Deno.makeTempDir({ prefix: "genwasm_png_" });
  try {
    const path = join(folder, "ramp.png");
    const data = new Uint8Array(12 * 5).map((_, index) => index * 4);
    await writePng(path, { width: 12, height: 5, channels: 1, data });
    const png = decode(await Deno.readFile(path));
    assert.deepEqual([png.width, png.height, png.channels], [12, 5, 1]);
    assert.deepEqual([...png.data], [...data]);
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
});
