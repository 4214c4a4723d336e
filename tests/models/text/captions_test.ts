import assert from "node:assert/strict";
import { describeImage } from "../../../data/captions/attribute_classes.ts";
import { ATTRIBUTE_WORDS } from "../../../data/captions/caption_words.ts";
import { Captioner } from "../../../data/captions/captioner.ts";
import {
  captionVocabulary,
  tokenize,
} from "../../../data/captions/tokenizer.ts";
import { loadMnist } from "../../../data/mnist.ts";
import { mulberry32 } from "../../../data/random.ts";
import { ImagePrompts } from "../../../models/text/captions.ts";

const { test } = await loadMnist();
const SETTINGS = {
  vocabulary: captionVocabulary().tokens,
  tokens: 17,
  dataset: "mnist" as const,
  heldOut: [],
};
const INDICES = [5, 0, 9, 3, 3, 7];

Deno.test("ImagePrompts captions each image as the captioner does from its measured attributes, seeded", () => {
  const prompts = new ImagePrompts(SETTINGS);
  const captions = prompts.captions(test, INDICES, mulberry32(4));
  const captioner = new Captioner({ dataset: "mnist" });
  const random = mulberry32(4);
  const expected = INDICES.map((index) =>
    captioner.captionAttributes(
      describeImage(
        test.images.subarray(index * 784, (index + 1) * 784),
        "mnist",
      ),
      test.labels[index],
      random,
    )
  );
  assert.deepEqual(captions, expected);
  assert.deepEqual(prompts.captions(test, INDICES, mulberry32(4)), captions);
  assert.notDeepEqual(prompts.captions(test, INDICES, mulberry32(5)), captions);
  // The ids are the captions' tokens, padded to 17.
  const ids = prompts.ids(test, INDICES, mulberry32(4));
  assert.equal(ids.length, INDICES.length * 17);
  captions.forEach((caption, row) =>
    assert.equal(
      prompts.vocabulary.decode(ids.subarray(row * 17, (row + 1) * 17)),
      tokenize(caption).join(" "),
    )
  );
});

Deno.test("ImagePrompts measures an image once and honours held-out pairs", () => {
  const index = 0;
  const label = test.labels[index];
  const prompts = new ImagePrompts(SETTINGS);
  const measured = prompts.attributes(test, index);
  const held = new ImagePrompts({
    ...SETTINGS,
    heldOut: [{ value: measured.thickness!, label }],
  });
  const words = Object.values(ATTRIBUTE_WORDS.thickness).flatMap((
    w,
  ) => [...w.before, ...w.after]);
  const speaks = (caption: string) =>
    words.some((word) => ` ${caption} `.includes(` ${word} `));
  const random = mulberry32(1);
  const many = Array.from({ length: 40 }, () => index);
  assert.ok(prompts.captions(test, many, random).some(speaks), "can fail");
  assert.ok(!held.captions(test, many, random).some(speaks));
  // Measured once: a changed image keeps its first attributes.
  const copy = {
    ...test,
    images: test.images.slice(0, 4 * 784),
    shape: [4, 28, 28, 1] as [number, number, number, number],
  };
  const first = prompts.attributes(copy, 1);
  copy.images.fill(0, 784, 2 * 784);
  assert.deepEqual(prompts.attributes(copy, 1), first);
  assert.notDeepEqual(
    new ImagePrompts(SETTINGS).attributes(copy, 1),
    first,
  );
});
