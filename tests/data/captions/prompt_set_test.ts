import assert from "node:assert/strict";
import {
  evaluationPrompts,
  fixedPrompt,
} from "../../../data/captions/prompt_set.ts";
import { readPrompt } from "../../../data/captions/prompt_reader.ts";
import { captionVocabulary } from "../../../data/captions/tokenizer.ts";
import type { HeldOutPair } from "../../../data/captions/captioner.ts";

Deno.test("evaluationPrompts() is every MNIST class x thin/thick x left/upright/right, the same each time", () => {
  const prompts = evaluationPrompts("mnist");
  assert.equal(prompts.length, 10 * 2 * 3);
  assert.deepEqual(evaluationPrompts("mnist"), prompts);
  assert.deepEqual(prompts.slice(0, 6).map((p) => p.prompt), [
    "a thin zero leaning left",
    "a thin zero standing upright",
    "a thin zero leaning right",
    "a thick zero leaning left",
    "a thick zero standing upright",
    "a thick zero leaning right",
  ]);
  assert.equal(new Set(prompts.map((p) => p.prompt)).size, prompts.length);
  assert.ok(prompts.every((p) => !p.heldOut));
  const vocabulary = captionVocabulary();
  for (const { prompt, label, attributes } of prompts) {
    // Each prompt reads back as what it asks for, in the model's words.
    assert.deepEqual(readPrompt(prompt, "mnist"), { label, attributes });
    vocabulary.encode(prompt, 17);
  }
});

Deno.test("evaluationPrompts() covers every held-out pair and marks exactly the prompts naming one", () => {
  const heldOut: HeldOutPair[] = [
    { value: "thick", label: 4 },
    { value: "left", label: 7 },
    // Outside the grid: a middle class, and an attribute it leaves out.
    { value: "regular", label: 2 },
    { value: "large", label: 0 },
  ];
  const prompts = evaluationPrompts("mnist", heldOut);
  assert.deepEqual(evaluationPrompts("mnist", heldOut), prompts);
  for (const pair of heldOut) {
    assert.ok(
      prompts.some((p) =>
        p.heldOut && p.label === pair.label &&
        Object.values(p.attributes).includes(pair.value as never)
      ),
      `no prompt for ${pair.value}:${pair.label}`,
    );
  }
  for (const p of prompts) {
    const names = heldOut.some((pair) =>
      pair.label === p.label &&
      Object.values(p.attributes).includes(pair.value as never)
    );
    assert.equal(p.heldOut, names, p.prompt);
    assert.deepEqual(readPrompt(p.prompt, "mnist"), {
      label: p.label,
      attributes: p.attributes,
    });
  }
  const count = (label: number) =>
    prompts.filter((p) => p.label === label).length;
  // 2: thin, thick, regular x 3 slants; 0: the 6 without size and the 6 "large".
  assert.deepEqual([count(0), count(2), count(4), count(7)], [12, 9, 6, 6]);
  assert.deepEqual(
    prompts.filter((p) => p.heldOut).map((p) => p.prompt),
    [
      "a large thin zero leaning left",
      "a large thin zero standing upright",
      "a large thin zero leaning right",
      "a large thick zero leaning left",
      "a large thick zero standing upright",
      "a large thick zero leaning right",
      "a regular two leaning left",
      "a regular two standing upright",
      "a regular two leaning right",
      "a thick four leaning left",
      "a thick four standing upright",
      "a thick four leaning right",
      "a thin seven leaning left",
      "a thick seven leaning left",
    ],
  );
});

Deno.test("evaluationPrompts() for Fashion-MNIST: each class dark or light", () => {
  const prompts = evaluationPrompts("fashion", [{ value: "light", label: 0 }]);
  assert.equal(prompts.length, 20);
  assert.deepEqual(prompts.slice(0, 4).map((p) => [p.prompt, p.heldOut]), [
    ["a dark t-shirt", false],
    ["a light t-shirt", true],
    ["dark trousers", false],
    ["light trousers", false],
  ]);
  for (const { prompt, label, attributes } of prompts) {
    assert.deepEqual(readPrompt(prompt, "fashion"), { label, attributes });
  }
  assert.equal(
    fixedPrompt("fashion", 9, { brightness: "dark" }),
    "a dark ankle boot",
  );
});
