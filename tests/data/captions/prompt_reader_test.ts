import assert from "node:assert/strict";
import { readPrompt } from "../../../data/captions/prompt_reader.ts";
import {
  Captioner,
  captionVariants,
  renderCaption,
} from "../../../data/captions/captioner.ts";
import type {
  CaptionDataset,
  ImageAttributes,
} from "../../../data/captions/attribute_classes.ts";
import { mulberry32 } from "../../../data/random.ts";

Deno.test("every caption variant reads back to the label and attribute classes it was written from", () => {
  for (const dataset of ["mnist", "fashion"] as CaptionDataset[]) {
    for (const choice of captionVariants(dataset)) {
      const caption = renderCaption(choice);
      assert.deepEqual(
        readPrompt(caption, dataset),
        {
          label: choice.label,
          attributes: Object.fromEntries(
            choice.mentions.map((m) => [m.attribute, m.value]),
          ),
        },
        caption,
      );
    }
  }
});

Deno.test("captions drawn at random read back to what was asked for, less what was left unsaid", () => {
  const captioner = new Captioner({ dataset: "mnist" });
  const asked: ImageAttributes = {
    thickness: "thin",
    slant: "right",
    size: "small",
  };
  const random = mulberry32(8);
  for (let index = 0; index < 500; index++) {
    const choice = captioner.choose(asked, index % 10, random);
    const read = readPrompt(renderCaption(choice), "mnist");
    assert.equal(read.label, index % 10);
    for (const [attribute, value] of Object.entries(read.attributes)) {
      assert.equal(value, asked[attribute as keyof ImageAttributes]);
    }
    assert.equal(Object.keys(read.attributes).length, choice.mentions.length);
  }
});

Deno.test("readPrompt() reads prompts a person writes, and nothing from an empty one", () => {
  assert.deepEqual(readPrompt("A thin three, leaning LEFT", "mnist"), {
    label: 3,
    attributes: { thickness: "thin", slant: "left" },
  });
  assert.deepEqual(readPrompt("an upright 8 that is not slanted", "mnist"), {
    label: 8,
    attributes: { slant: "upright" },
  });
  assert.deepEqual(readPrompt("bold left-slanted digit", "mnist"), {
    attributes: { thickness: "thick", slant: "left" },
  });
  assert.deepEqual(readPrompt("a t-shirt", "fashion"), {
    label: 0,
    attributes: {},
  });
  assert.deepEqual(readPrompt("a collared shirt in dark grey", "fashion"), {
    label: 6,
    attributes: { brightness: "dark" },
  });
  assert.deepEqual(readPrompt("pale trainers", "fashion"), {
    label: 7,
    attributes: { brightness: "light" },
  });
  // Another data set's words mean nothing here.
  assert.deepEqual(readPrompt("a thick sneaker", "fashion"), {
    label: 7,
    attributes: {},
  });
  assert.deepEqual(readPrompt("", "mnist"), { attributes: {} });
});

Deno.test("readPrompt() refuses a prompt that asks for two classes or two of one attribute", () => {
  assert.throws(
    () => readPrompt("a seven or an 8", "mnist"),
    /^Error: prompt "a seven or an 8" names two classes: "seven" and "8"$/,
  );
  assert.throws(
    () => readPrompt("a thin 7 with thick lines", "mnist"),
    /prompt "a thin 7 with thick lines" contradicts itself on thickness: "thin" and "thick lines"/,
  );
  // Saying the same twice is fine.
  assert.deepEqual(readPrompt("seven, digit 7, thin, fine stroke", "mnist"), {
    label: 7,
    attributes: { thickness: "thin" },
  });
});
