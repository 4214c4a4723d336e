import assert from "node:assert/strict";
import {
  captionVocabulary,
  PAD_ID,
  PAD_TOKEN,
  tokenize,
  Vocabulary,
} from "../../../data/captions/tokenizer.ts";
import {
  Captioner,
  captionVariants,
  maxCaptionTokens,
  renderCaption,
} from "../../../data/captions/captioner.ts";
import type { CaptionDataset } from "../../../data/captions/attribute_classes.ts";
import { mulberry32 } from "../../../data/random.ts";

const vocabulary = captionVocabulary();

Deno.test("tokenize() lower-cases, splits on spaces and punctuation, and keeps each digit a token", () => {
  assert.deepEqual(tokenize("A Thick 7, leaning RIGHT."), [
    "a",
    "thick",
    "7",
    "leaning",
    "right",
  ]);
  assert.deepEqual(tokenize("t-shirt/top;  size:12"), [
    "t",
    "shirt",
    "top",
    "size",
    "1",
    "2",
  ]);
  assert.deepEqual(tokenize("seven7seven"), ["seven", "7", "seven"]);
  assert.deepEqual(tokenize("Café"), ["café"]);
  assert.deepEqual(tokenize(""), []);
  assert.deepEqual(tokenize(" \t,;!? "), []);
});

Deno.test("every caption variant of both data sets encodes and decodes back to its tokens, within maxCaptionTokens()", () => {
  for (const dataset of ["mnist", "fashion"] as CaptionDataset[]) {
    const length = maxCaptionTokens(dataset);
    let longest = 0, count = 0;
    for (const choice of captionVariants(dataset)) {
      const caption = renderCaption(choice);
      const ids = vocabulary.encode(caption, length);
      assert.equal(ids.length, length);
      const tokens = tokenize(caption);
      assert.equal(vocabulary.decode(ids), tokens.join(" "), caption);
      // Padding only after the words, nowhere inside.
      assert.ok(ids.subarray(0, tokens.length).every((id) => id !== PAD_ID));
      assert.ok(ids.subarray(tokens.length).every((id) => id === PAD_ID));
      longest = Math.max(longest, tokens.length);
      count++;
    }
    // The bound is tight: some variant is exactly that long.
    assert.equal(longest, length, dataset);
    assert.ok(count > 1000, `${dataset}: ${count} variants`);
  }
});

Deno.test("the vocabulary holds exactly the words the captioner writes, the padding first", () => {
  const written = new Set<string>();
  for (const dataset of ["mnist", "fashion"] as CaptionDataset[]) {
    for (const choice of captionVariants(dataset)) {
      for (const token of tokenize(renderCaption(choice))) written.add(token);
    }
  }
  assert.equal(vocabulary.tokens[PAD_ID], PAD_TOKEN);
  assert.deepEqual(vocabulary.tokens.slice(1), [...written].sort());
  for (let digit = 0; digit < 10; digit++) {
    assert.ok(vocabulary.has(String(digit)));
  }
  for (const word of ["sneaker", "trainers", "pullover", "sweater", "ankle"]) {
    assert.ok(vocabulary.has(word), word);
  }
  // Built the same way twice, the ids agree.
  assert.deepEqual(captionVocabulary().tokens, vocabulary.tokens);
  // One data set's vocabulary is smaller and lacks the other's nouns.
  const digits = captionVocabulary(["mnist"]);
  assert.ok(digits.size < vocabulary.size);
  assert.ok(!digits.has("sneaker") && digits.has("seven"));
});

Deno.test("captions drawn at random all encode, none longer than maxCaptionTokens()", () => {
  for (const dataset of ["mnist", "fashion"] as CaptionDataset[]) {
    const captioner = new Captioner({ dataset, mentionProbability: 1 });
    const random = mulberry32(3);
    const length = maxCaptionTokens(dataset);
    const attributes = dataset === "mnist"
      ? { thickness: "thick", slant: "right", size: "large" } as const
      : { brightness: "medium" } as const;
    for (let index = 0; index < 2000; index++) {
      const caption = captioner.captionAttributes(
        attributes,
        index % 10,
        random,
      );
      assert.equal(
        vocabulary.decode(vocabulary.encode(caption, length)),
        tokenize(caption).join(" "),
      );
    }
  }
});

Deno.test("an unknown word is refused in one line that names it and the nearest known words", () => {
  const refusal = (prompt: string) => {
    try {
      vocabulary.encode(prompt, 20);
    } catch (error) {
      return (error as Error).message;
    }
    assert.fail(`"${prompt}" was not refused`);
  };
  assert.equal(
    refusal("a thik seven"),
    'unknown word "thik" (did you mean: thick, thin)',
  );
  assert.equal(
    refusal("sevn, leaning left"),
    'unknown word "sevn" (did you mean: seven)',
  );
  assert.equal(
    refusal("a bold tshirt"),
    'unknown word "tshirt" (did you mean: shirt)',
  );
  assert.equal(
    refusal("two sneakers"),
    'unknown word "sneakers" (did you mean: sneaker)',
  );
  // The first unknown word is named, and the message is one line.
  assert.equal(
    refusal("blue thik 7"),
    'unknown word "blue" (did you mean: blouse)',
  );
  // Padding cannot be asked for by name.
  assert.match(refusal("<pad> 7"), /^unknown word "pad"/);
  assert.deepEqual(vocabulary.nearest("thik"), ["thick", "thin"]);
  assert.ok(vocabulary.nearest("zzzzzzzzzz").length <= 3);
});

Deno.test("an empty prompt, or one of punctuation only, encodes to all padding", () => {
  assert.deepEqual([...vocabulary.encode("", 6)], [0, 0, 0, 0, 0, 0]);
  assert.deepEqual([...vocabulary.encode(" , . ", 3)], [0, 0, 0]);
  assert.equal(vocabulary.decode(new Int32Array(5)), "");
});

Deno.test("a prompt longer than the length is refused; decode skips padding and refuses unknown ids", () => {
  assert.throws(
    () => vocabulary.encode("a thin seven leaning left", 4),
    /prompt "a thin seven leaning left" has 5 words, more than the 4 a prompt may have/,
  );
  const thick = vocabulary.id("thick")!;
  const seven = vocabulary.id("7")!;
  assert.equal(vocabulary.decode([thick, 0, seven, 0]), "thick 7");
  assert.throws(
    () => vocabulary.decode([thick, vocabulary.size]),
    /id \d+ is outside a vocabulary of \d+/,
  );
  assert.throws(() => vocabulary.decode([-1]), /id -1 is outside/);
});

Deno.test("encodeBatch() lays prompts one after another, each padded, and refuses as encode() does", () => {
  const prompts = ["a thick 7", "", "seven, bold stroke, slanted right"];
  const batch = vocabulary.encodeBatch(prompts, 8);
  assert.equal(batch.length, 24);
  prompts.forEach((prompt, index) =>
    assert.deepEqual(
      batch.subarray(index * 8, (index + 1) * 8),
      vocabulary.encode(prompt, 8),
    )
  );
  assert.deepEqual([...batch.subarray(8, 16)], new Array(8).fill(PAD_ID));
  assert.throws(
    () => vocabulary.encodeBatch(["a 7", "a thik 7"], 8),
    /unknown word "thik"/,
  );
});

Deno.test("the vocabulary travels as JSON with its ids unchanged", () => {
  const text = JSON.stringify(vocabulary.toJson());
  const copy = Vocabulary.fromJson(JSON.parse(text));
  assert.deepEqual(copy.tokens, vocabulary.tokens);
  const prompt = "a bold right-leaning 7, drawn large";
  assert.deepEqual(copy.encode(prompt, 12), vocabulary.encode(prompt, 12));
  // A hand-made one keeps its order.
  const small = Vocabulary.fromJson({ tokens: [PAD_TOKEN, "zero", "a", "7"] });
  assert.deepEqual([...small.encode("a 7", 3)], [2, 3, 0]);
  assert.equal(small.size, 4);
});

Deno.test("malformed vocabularies are refused", () => {
  assert.throws(
    () => Vocabulary.fromJson(null),
    /"tokens": \["<pad>", \.\.\.words\]/,
  );
  assert.throws(() => Vocabulary.fromJson({ tokens: ["a", "b"] }), /"tokens"/);
  assert.throws(
    () => Vocabulary.fromJson({ tokens: [PAD_TOKEN, 7] }),
    /"tokens"/,
  );
  assert.throws(
    () => Vocabulary.fromJson({ tokens: [PAD_TOKEN, "a", "a"] }),
    /holds a token twice/,
  );
  assert.throws(
    () => new Vocabulary(["t-shirt"]),
    /"t-shirt" is not one token \(it reads as \["t","shirt"\]\)/,
  );
  assert.throws(() => new Vocabulary(["Seven"]), /"Seven" is not one token/);
  assert.throws(() => new Vocabulary(["17"]), /"17" is not one token/);
});
