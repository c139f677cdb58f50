import assert from "node:assert/strict";
import { Ajv, type ValidateFunction } from "../src/deps/ajv.ts";
import { simpleValidator } from "../src/check.ts";
import { NO_NUL_PATTERN } from "../src/schema_patterns.ts";
import { GENERATED_PATH, generateValidator } from "../schema/generate_validator.ts";
import { validate as generated } from "../src/tasks_validator.generated.ts";
import tasksSchema from "../schema/tasks.schema.json" with { type: "json" };
import { isPlainTaskDocument } from "../src/schema_validation.ts";
// deno-lint-ignore no-import-prefix
import fc from "npm:fast-check@4.10.2";

Deno.test("the precompiled task-file validator is up to date with the schema", async () => {
  assert.equal(
    await Deno.readTextFile(GENERATED_PATH),
    generateValidator(),
    "schema/tasks.schema.json changed: run `deno task gen-validator`",
  );
});

const validate = generated as ValidateFunction;

Deno.test("the precompiled validator judges files as ajv compiling the schema does", () => {
  const compiled = new Ajv({ allErrors: false, strict: false }).compile(tasksSchema);
  const documents: unknown[] = [
    { tasks: [] },
    { tasks: [{ name: "a", type: "exec", arguments: "x", dependencies: ["b"] }] },
    { tasks: [{ name: "a", type: "exec" }] },
    { tasks: [{ name: "a\nb", type: "exec", arguments: "x" }] },
    { tasks: [{ name: "a", type: "exec", arguments: "x", timeout: "soon" }] },
    { tasks: [{ name: "a", type: "exec", arguments: "x", retries: -1 }] },
    { tasks: "no" },
    [],
  ];
  for (const document of documents) {
    const expected = compiled(document);
    assert.equal(validate(document), expected, JSON.stringify(document));
    assert.deepEqual(validate.errors ?? null, compiled.errors ?? null);
  }
});

Deno.test("simpleValidator() agrees with ajv on type-only and string-pattern schemas and declines others", () => {
  const ajv = new Ajv({ allErrors: false, strict: false });
  const values = ["s", 1, 1.5, true, null, [], {}, undefined];
  for (const type of ["string", "number", "integer", "boolean", "object", "array", "null"]) {
    const fast = simpleValidator({ type })!;
    const slow = ajv.compile({ type });
    for (const value of values.filter((v) => v !== undefined)) {
      assert.equal(fast(value), slow(value), `${type} of ${JSON.stringify(value)}`);
      assert.deepEqual(fast.errors, slow.errors);
    }
  }
  assert.equal(simpleValidator({ type: "string", minLength: 1 }), undefined);
  assert.equal(simpleValidator({ type: ["string", "null"] }), undefined);
  // A string with a pattern, as exec's: the same verdicts and errors as ajv's.
  for (const pattern of [NO_NUL_PATTERN, "^a", "b$", "\\d+"]) {
    const fast = simpleValidator({ type: "string", pattern })!;
    const slow = ajv.compile({ type: "string", pattern });
    for (const value of ["a\u0000b", "ab", "", "xb", "x12", 3, null]) {
      assert.equal(fast(value), slow(value), `${pattern} of ${JSON.stringify(value)}`);
      assert.deepEqual(fast.errors, slow.errors);
    }
  }
  assert.equal(simpleValidator({ type: "number", pattern: "^a" }), undefined);
});

Deno.test("the quick look accepts only documents the schema accepts, and the common ones", () => {
  // Shapes near the schema's edges: right and wrong types, line breaks, option fields, extras.
  const text = fc.oneof(fc.string(), fc.constantFrom("a\nb", "x\r", "y\u2028", "z\u2029", ""));
  const json = fc.jsonValue({ maxDepth: 2 });
  const task = fc.record({
    name: fc.oneof(text, json),
    type: fc.oneof(text, json),
    arguments: json,
    dependencies: fc.oneof(fc.array(fc.oneof(text, json), { maxLength: 3 }), json),
    timeout: json,
    retries: json,
    retryDelay: json,
    env: json,
    cwd: json,
    allowFailure: json,
    other: json,
  }, { requiredKeys: [] });
  const plainTask = fc.record({
    name: text,
    type: fc.string(),
    arguments: json,
    dependencies: fc.array(text, { maxLength: 3 }),
    other: json,
  }, { requiredKeys: ["name", "type", "arguments"] });
  // Each of the required fields may be missing.
  const partialTask = fc.record({
    name: text,
    type: fc.string(),
    arguments: json,
    dependencies: fc.array(text, { maxLength: 3 }),
  }, { requiredKeys: [] });
  // A plain task and one option field, of any JSON value.
  const taskWithOneOption = fc.tuple(
    plainTask,
    fc.constantFrom("timeout", "retries", "retryDelay", "env", "cwd", "allowFailure"),
    json,
  ).map(([plain, option, value]) => ({ ...plain, [option]: value }));
  const taskWithOptions = fc.record({
    name: fc.string(),
    type: fc.string(),
    arguments: json,
    timeout: fc.constantFrom(1, 0.5, "90s", "1m30s"),
    retries: fc.nat(3),
    allowFailure: fc.boolean(),
  }, { requiredKeys: ["name", "type", "arguments"] });
  const document = fc.oneof(
    fc.record({
      tasks: fc.array(fc.oneof(plainTask, taskWithOptions), { maxLength: 4 }),
      concurrency: fc.integer({ min: 1, max: 8 }),
    }, { requiredKeys: ["tasks"] }),
    fc.record({
      tasks: fc.oneof(fc.array(fc.oneof(task, plainTask, partialTask), { maxLength: 4 }), json),
      $schema: fc.oneof(fc.string(), json),
      executors: json,
      defaults: json,
      concurrency: json,
      other: json,
    }, { requiredKeys: [] }),
    fc.record({ tasks: fc.array(plainTask, { maxLength: 4 }), $schema: fc.string() }, {
      requiredKeys: ["tasks"],
    }),
    fc.record({
      tasks: fc.array(fc.oneof(plainTask, partialTask, taskWithOneOption, task), {
        maxLength: 3,
      }),
      $schema: json,
      other: json,
    }, { requiredKeys: ["tasks"] }),
    json,
  );
  let quick = 0, slow = 0;
  fc.assert(
    fc.property(document, (value) => {
      // As a task file gives it: JSON, with no undefined members.
      const parsed = JSON.parse(JSON.stringify(value) ?? "null");
      if (isPlainTaskDocument(parsed)) {
        quick++;
        assert.ok(validate(parsed), JSON.stringify(parsed));
      } else if (validate(parsed)) {
        slow++;
      }
    }),
    { numRuns: 10_000 },
  );
  // Both ways were taken: the quick look is not vacuous, and it leaves some valid files alone.
  assert.ok(quick > 500, `only ${quick} documents took the quick way`);
  assert.ok(slow > 300, `only ${slow} valid documents took the validator`);
});
