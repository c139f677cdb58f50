import assert from "node:assert/strict";
import { Ajv, type ValidateFunction } from "../src/deps/ajv.ts";
import { typeOnlyValidator } from "../src/check.ts";
import { GENERATED_PATH, generateValidator } from "../schema/generate_validator.ts";
import { validate as generated } from "../src/tasks_validator.generated.ts";
import tasksSchema from "../schema/tasks.schema.json" with { type: "json" };

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

Deno.test("typeOnlyValidator() agrees with ajv on type-only schemas and declines others", () => {
  const ajv = new Ajv({ allErrors: false, strict: false });
  const values = ["s", 1, 1.5, true, null, [], {}, undefined];
  for (const type of ["string", "number", "integer", "boolean", "object", "array", "null"]) {
    const fast = typeOnlyValidator({ type })!;
    const slow = ajv.compile({ type });
    for (const value of values.filter((v) => v !== undefined)) {
      assert.equal(fast(value), slow(value), `${type} of ${JSON.stringify(value)}`);
      assert.deepEqual(fast.errors, slow.errors);
    }
  }
  assert.equal(typeOnlyValidator({ type: "string", minLength: 1 }), undefined);
  assert.equal(typeOnlyValidator({ type: ["string", "null"] }), undefined);
});
