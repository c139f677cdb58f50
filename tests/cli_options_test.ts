import assert from "node:assert/strict";
import { RUN_OPTIONS } from "../src/cli_options.ts";
import { UsageError } from "../src/errors.ts";

function parserOf(flags: string) {
  const spec = RUN_OPTIONS.find((option) => option.flags === flags);
  assert.ok(spec?.parse, flags);
  return (value: string) => spec.parse!(value, undefined as never);
}

Deno.test("-j and --retries take whole numbers and name the option when refusing one", () => {
  const concurrency = parserOf("-j, --concurrency <n>");
  const retries = parserOf("--retries <n>");
  assert.equal(concurrency("4"), 4);
  assert.equal(retries("0"), 0);
  assert.throws(
    () => concurrency("0"),
    new UsageError("Invalid concurrency: expected a positive integer, received '0'"),
  );
  assert.throws(
    () => concurrency("1.5"),
    new UsageError("Invalid concurrency: expected a positive integer, received '1.5'"),
  );
  assert.throws(
    () => retries("-1"),
    new UsageError("Invalid retries: expected a non-negative integer, received '-1'"),
  );
  assert.throws(
    () => retries("99999999999999999999"),
    new UsageError(
      "Invalid retries: expected a non-negative integer, received '99999999999999999999'",
    ),
  );
});
