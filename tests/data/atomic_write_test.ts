import assert from "node:assert/strict";
import { join } from "node:path";
import { writeFileAtomic } from "../../data/atomic_write.ts";

Deno.test("writeFileAtomic creates and then replaces a file, leaving no temporaries", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "checkpoint.safetensors");
    await writeFileAtomic(path, new Uint8Array([1, 2, 3]));
    await writeFileAtomic(path, new Uint8Array([4, 5]));
    assert.deepEqual(await Deno.readFile(path), new Uint8Array([4, 5]));
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), [
      "checkpoint.safetensors",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeFileAtomic that cannot rename into place fails with a clear message and removes its temporary", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "state");
    await writeFileAtomic(path, new Uint8Array([7]));
    // The target is now a non-empty directory: the final rename must fail.
    await Deno.remove(path);
    await Deno.mkdir(join(path, "inside"), { recursive: true });
    await assert.rejects(
      () => writeFileAtomic(path, new Uint8Array([8])),
      /could not write .*state: .*the previous file, if any, is intact/,
    );
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["state"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
