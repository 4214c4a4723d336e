import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { encode } from "fast-png";
import { loadImageFolder } from "../../data/image_folder.ts";

/** Writes the PNG (or raw bytes) for each relative path under a new temp folder. */
async function makeFolder(
  files: Record<string, Uint8Array>,
): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "genwasm_folder_" });
  for (const [name, bytes] of Object.entries(files)) {
    await Deno.mkdir(dirname(join(root, name)), { recursive: true });
    await Deno.writeFile(join(root, name), bytes);
  }
  return root;
}

async function withFolder(
  files: Record<string, Uint8Array>,
  body: (root: string) => Promise<void>,
): Promise<void> {
  const root = await makeFolder(files);
  try {
    await body(root);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

/** A `size` x `size` PNG where every sample is `value` (depth-dependent range). */
function flatPng(
  size: number,
  channels: number,
  value: number | number[],
  depth: 8 | 16 = 8,
): Uint8Array {
  const samples = Array.isArray(value)
    ? value
    : new Array(channels).fill(value);
  const count = size * size * channels;
  const data = depth === 16 ? new Uint16Array(count) : new Uint8Array(count);
  for (let index = 0; index < count; index++) {
    data[index] = samples[index % channels];
  }
  return encode({ width: size, height: size, channels, depth, data });
}

/** An 8 x 8 grey checkerboard of 1-pixel cells, 0 and 255. */
function checkerboardPng(): Uint8Array {
  const data = Uint8Array.from(
    { length: 64 },
    (_, index) => ((index % 8) + Math.floor(index / 8)) % 2 * 255,
  );
  return encode({ width: 8, height: 8, channels: 1, depth: 8, data });
}

/** The `index`-th image of a set, as plain numbers. */
function imageAt(
  set: { images: Float32Array; shape: number[] },
  index: number,
): number[] {
  const length = set.shape[1] * set.shape[2] * set.shape[3];
  return [...set.images.subarray(index * length, (index + 1) * length)];
}

function assertAll(values: number[], expected: number, tolerance = 1e-6) {
  for (const value of values) {
    assert.ok(
      Math.abs(value - expected) <= tolerance,
      `${value} vs ${expected}`,
    );
  }
}

Deno.test("loadImageFolder() reads grey, RGB, RGBA and 16-bit PNGs in sorted order, label 0", async () => {
  await withFolder({
    "d_rgba.png": flatPng(4, 4, [255, 255, 255, 0]),
    "a_grey.png": flatPng(4, 1, 51),
    "c_rgb.png": flatPng(4, 3, [255, 0, 0]),
    "b_grey16.PNG": flatPng(4, 1, 13107, 16),
    "notes.txt": new TextEncoder().encode("not an image"),
    ".hidden.png": new Uint8Array([1, 2, 3]),
  }, async (root) => {
    const rgb = await loadImageFolder(root, { size: 2, channels: 3 });
    assert.deepEqual(rgb.shape, [4, 2, 2, 3]);
    assert.deepEqual(rgb.files, [
      join(root, "a_grey.png"),
      join(root, "b_grey16.PNG"),
      join(root, "c_rgb.png"),
      join(root, "d_rgba.png"),
    ]);
    assert.deepEqual([...rgb.labels], [0, 0, 0, 0]);
    assert.deepEqual(rgb.classNames, []);
    assertAll(imageAt(rgb, 0), 0.2);
    assertAll(imageAt(rgb, 1), 0.2);
    assert.deepEqual(imageAt(rgb, 2), [1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0]);
    // Transparent white over the default black background.
    assertAll(imageAt(rgb, 3), 0);

    const grey = await loadImageFolder(root, {
      size: 2,
      channels: 1,
      background: 1,
    });
    assert.deepEqual(grey.shape, [4, 2, 2, 1]);
    assertAll(imageAt(grey, 2), 0.299);
    assertAll(imageAt(grey, 3), 1);
  });
});

Deno.test("loadImageFolder() labels images by sorted class folder, searching them recursively", async () => {
  await withFolder({
    "shirts/a.png": flatPng(3, 1, 0),
    "shirts/deeper/b.png": flatPng(3, 1, 0),
    "boots/c.png": flatPng(3, 1, 255),
    "boots/readme.md": new TextEncoder().encode("# boots"),
    "coats/d.png": flatPng(3, 1, 128),
    ".git/e.png": new Uint8Array([0]),
  }, async (root) => {
    const set = await loadImageFolder(root, { size: 3, channels: 1 });
    assert.deepEqual(set.classNames, ["boots", "coats", "shirts"]);
    assert.deepEqual([...set.labels], [0, 1, 2, 2]);
    assert.deepEqual(set.files, [
      join(root, "boots/c.png"),
      join(root, "coats/d.png"),
      join(root, "shirts/a.png"),
      join(root, "shirts/deeper/b.png"),
    ]);
    assertAll(imageAt(set, 0), 1);
    assertAll(imageAt(set, 1), 128 / 255);
  });
});

Deno.test("loadImageFolder() resizes by area averaging: a checkerboard becomes 0.5", async () => {
  await withFolder({ "board.png": checkerboardPng() }, async (root) => {
    const small = await loadImageFolder(root, { size: 4, channels: 1 });
    assertAll(imageAt(small, 0), 0.5);
    const same = await loadImageFolder(root, { size: 8, channels: 1 });
    assert.deepEqual(imageAt(same, 0).slice(0, 4), [0, 1, 0, 1]);
  });
});

Deno.test("loadImageFolder() centre-crops non-square images by default", async () => {
  // 6 wide, 2 tall: left third 0, middle third 255, right third 0.
  const data = Uint8Array.from(
    { length: 12 },
    (_, index) => (index % 6 >= 2 && index % 6 < 4 ? 255 : 0),
  );
  const wide = encode({ width: 6, height: 2, channels: 1, depth: 8, data });
  await withFolder({ "wide.png": wide }, async (root) => {
    const cropped = await loadImageFolder(root, { size: 1, channels: 1 });
    assertAll(imageAt(cropped, 0), 1);
    const stretched = await loadImageFolder(root, {
      size: 1,
      channels: 1,
      fit: "stretch",
    });
    assertAll(imageAt(stretched, 0), 1 / 3);
  });
});

Deno.test("loadImageFolder() names a corrupt file", async () => {
  const broken = flatPng(4, 3, 9).slice();
  broken[broken.length - 20] ^= 0xff;
  await withFolder({
    "cats/good.png": flatPng(4, 3, 9),
    "dogs/sub/broken.png": broken,
  }, async (root) => {
    await assert.rejects(
      loadImageFolder(root, { size: 4, channels: 3 }),
      (error: Error) =>
        error.message.startsWith(
          `${join(root, "dogs/sub/broken.png")}: corrupt PNG`,
        ),
    );
  });
});

Deno.test("loadImageFolder() names a file that is not a PNG", async () => {
  const gif = new TextEncoder().encode("GIF89a....");
  await withFolder({ "fake.png": gif }, async (root) => {
    await assert.rejects(
      loadImageFolder(root, { size: 4, channels: 3 }),
      (error: Error) =>
        error.message.startsWith(`${join(root, "fake.png")}: not a PNG file`),
    );
  });
});

Deno.test("loadImageFolder() refuses a forged huge header, naming the file", async () => {
  const forged = flatPng(2, 1, 0).slice();
  const view = new DataView(forged.buffer);
  view.setUint32(16, 0x7fffffff);
  view.setUint32(20, 65536);
  await withFolder({ "huge.png": forged }, async (root) => {
    await assert.rejects(
      loadImageFolder(root, { size: 4, channels: 1 }),
      (error: Error) =>
        error.message ===
          `${
            join(root, "huge.png")
          }: PNG is 2147483647 x 65536 pixels, over the 8192 x 8192 limit`,
    );
  });
});

Deno.test("loadImageFolder() rejects a missing folder, a file, an empty folder and an empty class", async () => {
  await withFolder({ "a.txt": new Uint8Array(1) }, async (root) => {
    const missing = join(root, "nothing-here");
    const message = async (
      options = { size: 4, channels: 1 as const },
      path = root,
    ) =>
      await loadImageFolder(path, options).then(
        () => "",
        (error: Error) => error.message,
      );
    assert.equal(
      await message(undefined, missing),
      `${missing}: no such folder`,
    );
    assert.equal(
      await message(undefined, join(root, "a.txt")),
      `${join(root, "a.txt")}: not a folder`,
    );
    assert.equal(
      await message(),
      `${root}: no PNG files (*.png) in this folder`,
    );
    await Deno.mkdir(join(root, "cats"));
    await Deno.mkdir(join(root, "dogs"));
    await Deno.writeFile(join(root, "cats", "a.png"), flatPng(2, 1, 0));
    assert.equal(
      await message(),
      `${join(root, "dogs")}: class folder holds no PNG files (*.png)`,
    );
  });
});

Deno.test("loadImageFolder() rejects PNGs beside class folders", async () => {
  await withFolder({
    "stray.png": flatPng(2, 1, 0),
    "cats/a.png": flatPng(2, 1, 0),
  }, async (root) => {
    await assert.rejects(
      loadImageFolder(root, { size: 2, channels: 1 }),
      /holds both PNG files \(stray\.png\) and class folders \(cats\)/,
    );
  });
});

Deno.test("loadImageFolder() rejects bad options", async () => {
  await withFolder({ "a.png": flatPng(2, 1, 0) }, async (root) => {
    await assert.rejects(
      loadImageFolder(root, { size: 0, channels: 1 }),
      /size must be a whole number >= 1, got 0/,
    );
    await assert.rejects(
      loadImageFolder(root, { size: 2, channels: 2 as 1 }),
      /channels must be 1 or 3, got 2/,
    );
    await assert.rejects(
      loadImageFolder(root, { size: 2, channels: 1, background: 2 }),
      /background must be in \[0, 1\], got 2/,
    );
  });
});
