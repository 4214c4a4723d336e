import assert from "node:assert/strict";
import { tf } from "../../backends/tf.ts";
import { MODEL_FAMILIES, type ModelFamily } from "../../models/registry.ts";
import { groupLearningRate, readPositiveNumber } from "../../models/options.ts";
import { vaeFamily } from "../../models/vae/family.ts";
import { ganFamily } from "../../models/gan/family.ts";
import { parseFlags, UsageError } from "../../cli/_flags.ts";
import {
  checkSampleOptions,
  declaredSampleFlags,
  sampleOptionFlags,
  sampleOptions,
} from "../../cli/_sample_options.ts";
import { parseTrainArgs, trainHelp } from "../../cli/train.ts";
import { sampleHelp } from "../../cli/sample.ts";
import { evalHelp } from "../../cli/eval.ts";
import { tinyModel } from "../train/_tiny_model.ts";

/** A family the CLI has never heard of, added the way a new one is: to the list. */
const fakeFamily: ModelFamily<
  ReturnType<typeof tinyModel>,
  { wobble?: number; still?: boolean }
> = {
  name: "fake",
  summary: "a stand-in family the test adds to the list",
  presets: ["fake", "fake-small"],
  configKeys: ["width"],
  trainingSettings: { rate: groupLearningRate("rate", "model") },
  optionsHelp: `  width=N                hidden width (3)
  rate=X                 the model group's own Adam step size`,
  training: { learningRate: 0.5, batchSize: 4 },
  sampleKinds: ["scribbles", "doodles"],
  sampleOptions: {
    wobble: {
      flag: "wobble",
      value: "W",
      help: "how much the lines wobble (fake; default 0)",
      parse: (text) => readPositiveNumber("wobble", text),
    },
    still: { flag: "still", switchValue: true, help: "draw without moving" },
  },
  evaluationOptions: ["wobble"],
  create: () => tinyModel(),
  sample: ({ config }, { count }) =>
    tf.zeros([count, 4, 4, Number(config.code)]) as tf.Tensor4D,
  evaluate: () => Promise.resolve({}),
};
const FAMILIES: readonly ModelFamily[] = [...MODEL_FAMILIES, fakeFamily];

/** Asserts `run` throws a UsageError whose message matches `pattern`. */
function usageError(run: () => unknown, pattern: RegExp): void {
  assert.throws(run, (error: Error) => {
    assert.ok(error instanceof UsageError, `${error.name}: ${error.message}`);
    assert.match(error.message, pattern);
    return true;
  });
}

Deno.test("a family added to the list gets its models and --set keys into train --help", () => {
  const help = trainHelp(FAMILIES);
  assert.match(help, / {2}fake, fake-small +a stand-in family the test adds/);
  assert.ok(
    help.includes(
      "fake options (--set KEY=VALUE):\n  width=N                hidden width (3)\n",
    ),
    help,
  );
  assert.ok(!trainHelp(MODEL_FAMILIES).includes("fake"));
});

Deno.test("train sorts a new family's --set keys into its config and the run's training options", () => {
  const command = parseTrainArgs([
    "--model",
    "fake-small",
    "--set",
    "width=4",
    "--set",
    "rate=0.1",
    "--lr",
    "0.2",
  ], FAMILIES);
  assert.ok(command !== "help");
  assert.deepEqual(command.overrides, { width: 4 });
  assert.equal(command.training.learningRate, 0.2);
  assert.equal(command.training.batchSize, 4, "the family's recipe");
  assert.deepEqual(command.training.groups, { model: { learningRate: 0.1 } });
  usageError(
    () => parseTrainArgs(["--model", "fake", "--set", "depth=3"], FAMILIES),
    /--set depth: unknown fake key \(keys: width, rate\)/,
  );
  usageError(
    () => parseTrainArgs(["--model", "fake", "--set", "rate=-1"], FAMILIES),
    /--set rate must be a number > 0/,
  );
  usageError(() => parseTrainArgs(["--model", "fake"]), /unknown model "fake"/);
});

Deno.test("unknown or unused --set keys are refused, naming the key", () => {
  usageError(
    () => parseTrainArgs(["--set", "batchSize=128"]),
    /--set batchSize: a training option, not a config key of vae; use --batch N/,
  );
  usageError(
    () => parseTrainArgs(["--model", "vae-small", "--set", "latent=3"]),
    /--set latent: unknown vae key \(keys: imageSize, channels, latentSize/,
  );
  usageError(
    () => parseTrainArgs(["--lr", "1e-3", "--set", "learningRate=2e-3"]),
    /give --lr or --set learningRate, not both/,
  );
  usageError(
    () => parseTrainArgs(["--conditional"]),
    /--conditional: vae has no class-conditional variant/,
  );
  // A GAN's Adam settings are training options, set through --set as before.
  const gan = parseTrainArgs([
    "--model",
    "dcgan",
    "--set",
    "discriminatorLr=1e-4",
    "--set",
    "beta2=0.99",
    "--set",
    "loss=hinge",
  ]);
  assert.ok(gan !== "help");
  assert.deepEqual(gan.overrides, { loss: "hinge" });
  // An unconditional GAN's recipe departs from DCGAN's 2e-4; --lr wins.
  assert.equal(gan.training.learningRate, 2e-3);
  assert.deepEqual([gan.training.beta1, gan.training.beta2], [0.5, 0.99]);
  assert.deepEqual(gan.training.groups, {
    discriminator: { learningRate: 1e-4 },
  });
});

Deno.test("a family's recipe for one kind of run (trainingFor): unconditional GANs train at 2e-3, labelled and text ones at DCGAN's 2e-4, flags win", () => {
  const rate = (...args: string[]) => {
    const command = parseTrainArgs(args);
    assert.ok(command !== "help");
    return command.training.learningRate;
  };
  assert.equal(rate("--model", "dcgan"), 2e-3);
  assert.equal(rate("--model", "dcgan-small"), 2e-3);
  assert.equal(rate("--model", "dcgan", "--lr", "3e-4"), 3e-4);
  assert.equal(rate("--model", "cgan"), 2e-4);
  assert.equal(rate("--model", "dcgan", "--conditional"), 2e-4);
  assert.equal(rate("--model", "dcgan", "--condition", "text"), 2e-4);
  // Families without one keep their single recipe.
  assert.equal(
    rate("--model", "ddpm"),
    rate("--model", "ddpm", "--conditional"),
  );
});

Deno.test("a family added to the list gets its sampling flags into sample and eval --help", () => {
  const help = sampleHelp(FAMILIES);
  assert.ok(
    help.includes(
      "  --wobble W       how much the lines wobble (fake; default 0)\n" +
        "  --still          draw without moving\n",
    ),
    help,
  );
  assert.match(help, /\n {2}fake +scribbles, doodles/);
  assert.ok(!sampleHelp(MODEL_FAMILIES).includes("--wobble"));
  assert.match(evalHelp(FAMILIES), /--wobble W\n +how fake draws its samples/);
});

Deno.test("sample parses a new family's flags with its own code, and refuses them for other families", () => {
  const flags = sampleOptionFlags(FAMILIES, ["run", "n"]);
  assert.deepEqual(flags.wobble, { type: "string" });
  assert.deepEqual(flags.still, { type: "boolean" });
  const values = parseFlags(["--wobble", "2", "--still"], flags);
  assert.deepEqual(
    sampleOptions(values, fakeFamily, { families: FAMILIES }),
    { wobble: 2, still: true },
  );
  usageError(
    () =>
      sampleOptions(parseFlags(["--wobble", "0"], flags), fakeFamily, {
        families: FAMILIES,
      }),
    /--wobble must be a number > 0, got "0"/,
  );
  usageError(
    () => sampleOptions(values, vaeFamily, { families: FAMILIES }),
    /^--wobble does not apply to this model$/,
  );
  // eval takes only the family's evaluationOptions.
  usageError(
    () =>
      sampleOptions(values, fakeFamily, {
        evaluation: true,
        families: FAMILIES,
      }),
    /--still does not apply to this model \(it takes --wobble\)/,
  );
  // Without the fake family on the list, its flags are no flags at all.
  usageError(
    () => parseFlags(["--wobble", "2"], sampleOptionFlags()),
    /unknown flag --wobble/,
  );
});

Deno.test("declared sampling flags may not shadow a command's flags or change kind between families", () => {
  assert.throws(
    () => declaredSampleFlags(FAMILIES, ["wobble"]),
    /fake declares --wobble, a flag of the command itself/,
  );
  const switcher: ModelFamily = {
    ...fakeFamily,
    name: "switcher",
    sampleOptions: { wobble: { flag: "wobble", switchValue: 1, help: "" } },
  } as ModelFamily;
  assert.throws(
    () => declaredSampleFlags([...FAMILIES, switcher]),
    /--wobble is a switch for one family and takes a value for another \(fake, switcher\)/,
  );
  // One flag declared by two families is one flag.
  const declared = declaredSampleFlags(MODEL_FAMILIES);
  assert.deepEqual(declared.get("class")!.families, ["gan", "ddpm"]);
  assert.deepEqual(declared.get("temperature")!.families, ["flow", "flow2d"]);
});

Deno.test("sample checks a family's options against the run's data", () => {
  const data = { name: "mnist", classes: 10 };
  checkSampleOptions({ classLabel: 9 }, ganFamily, data);
  usageError(
    () => checkSampleOptions({ classLabel: 10 }, ganFamily, data),
    /--class must be below 10 \(the classes of mnist\), got 10/,
  );
});
