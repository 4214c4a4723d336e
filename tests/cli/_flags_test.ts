import assert from "node:assert/strict";
import {
  COMMON_FLAGS,
  engineOptions,
  parseFlags,
  positiveNumber,
  UsageError,
  wholeNumber,
} from "../../cli/_flags.ts";

Deno.test("parseFlags() turns parse failures into one-line usage errors", () => {
  assert.throws(
    () => parseFlags(["--nope"], COMMON_FLAGS),
    (error: Error) =>
      error instanceof UsageError &&
      error.message === "unknown flag --nope (see --help)",
  );
  assert.throws(
    () => parseFlags(["--threads", "--help"], COMMON_FLAGS),
    (error: Error) =>
      error instanceof UsageError && !error.message.includes("\n"),
  );
});

Deno.test("wholeNumber() accepts whole numbers from the minimum up", () => {
  assert.equal(wholeNumber("steps", "12"), 12);
  assert.equal(wholeNumber("seed", "0", 0), 0);
  for (const text of ["0", "-2", "1.5", "1e3", "", "x"]) {
    assert.throws(() => wholeNumber("steps", text), UsageError, text);
  }
});

Deno.test("positiveNumber() accepts finite numbers above zero", () => {
  assert.equal(positiveNumber("lr", "1e-3"), 0.001);
  for (const text of ["0", "-1", "Infinity", "", "abc"]) {
    assert.throws(() => positiveNumber("lr", text), UsageError, text);
  }
});

Deno.test("engineOptions() checks the backend and thread count", () => {
  assert.deepEqual(engineOptions({}), { backend: "wasm" });
  assert.deepEqual(engineOptions({ backend: "cpu", threads: "3" }), {
    backend: "cpu",
    threads: 3,
  });
  assert.throws(
    () => engineOptions({ backend: "gpu" }),
    /--backend must be wasm or cpu/,
  );
  assert.throws(() => engineOptions({ threads: "0" }), /--threads must be/);
});
