import assert from "node:assert/strict";
// Tests may import npm packages directly, pinned (see the brief); deps.ts is for the library.
// deno-lint-ignore no-import-prefix
import fc from "npm:fast-check@4.10.2";
import { plainCopy, taskFileFromInputs, taskFileFromText } from "../src/task_inputs.ts";
import { TaskFileError } from "../src/errors.ts";
import { run, validate } from "../src/run.ts";
import { ExecutorRegistry } from "../src/registry.ts";

/** What a conversion gives: the tasks and document, or the error's message. */
function outcome(convert: () => { tasks: unknown; document: unknown }) {
  try {
    const { tasks, document } = convert();
    return { tasks, document };
  } catch (error) {
    if (error instanceof TaskFileError) return { error: error.message };
    return { thrown: String(error) };
  }
}

function assertSameAsText(inputs: object[]): void {
  const text = outcome(() => taskFileFromText(inputs));
  assert.deepEqual(outcome(() => taskFileFromInputs(inputs)), text);
  // As run() asks: the document made only when read.
  assert.deepEqual(outcome(() => taskFileFromInputs(inputs, { lazyDocument: true })), text);
}

const names = fc.constantFrom("a", "b", "c", "", " ", "a\nb", "é");
const value = fc.oneof(
  fc.string(),
  fc.integer(),
  fc.constantFrom(null, true, -0, NaN, Infinity, undefined, 1.5, -3),
  fc.constant(() => 1),
  fc.constant(new Date(0)),
  fc.constant({ toJSON: () => "x" }),
  fc.constant(10n),
  fc.array(fc.oneof(fc.string(), fc.integer(), fc.constant(undefined)), { maxLength: 3 }),
  fc.dictionary(fc.constantFrom("k", "v", "__proto__"), fc.oneof(fc.string(), fc.integer())),
);
const option = fc.record({
  timeout: fc.oneof(fc.constantFrom(1, 0, -1, "90s", "5x", "0s"), value),
  retries: fc.oneof(fc.constantFrom(0, 2, -1, 1.5), value),
  retryDelay: fc.oneof(fc.constantFrom(0, "2s", "x"), value),
  env: fc.oneof(fc.constant({ A: "1" }), fc.constant({ "A=B": "1" }), fc.constant({ A: 1 }), value),
  allowFailure: fc.oneof(fc.boolean(), value),
  timeoutMs: fc.integer({ min: 1, max: 10 }),
  extra: value,
}, { requiredKeys: [] });
const task = fc.tuple(
  fc.record({
    name: fc.oneof(names, names, value),
    type: fc.oneof(fc.constantFrom("exec", "noop"), value),
    arguments: value,
    dependencies: fc.oneof(fc.array(fc.oneof(names, value), { maxLength: 3 }), value),
  }, { requiredKeys: [] }),
  // Half the tasks set no option at all: the specs are then built without buildTaskSpecs().
  fc.oneof(fc.constant({}), option),
).map(([fields, options]) => ({ ...fields, ...options }));

Deno.test("task objects are checked as their JSON text would be: same tasks, same errors", () => {
  fc.assert(
    fc.property(fc.array(task, { maxLength: 5 }), (inputs) => assertSameAsText(inputs)),
    { numRuns: 2000 },
  );
});

Deno.test("task objects that JSON would change take the text way and match it", () => {
  const base = { name: "a", type: "exec", arguments: "true" };
  class Task {
    name = "a";
    type = "exec";
    arguments = "true";
  }
  const deep: unknown[] = [];
  let inner = deep;
  for (let i = 0; i < 1_100; i++) inner.push(inner = []);
  const hidden = Object.defineProperty({ ...base }, "type", { value: 1, enumerable: false });
  const hiddenName = Object.defineProperty({ type: "exec", arguments: "" }, "name", {
    value: "a",
    enumerable: false,
  });
  const hiddenDependencies = Object.defineProperty({ ...base }, "dependencies", {
    value: ["b"],
    enumerable: false,
  });
  const inherited = Object.assign(Object.create({ dependencies: ["b"] }), base);
  for (
    const inputs of [
      [new Task()],
      [{ ...base, arguments: deep }],
      [{ ...base, arguments: [1, , 2] }],
      [{ ...base, toJSON: () => ({ name: "b", type: "exec", arguments: "" }) }],
      [hidden],
      [hiddenName],
      [hiddenDependencies],
      [inherited],
      [Object.assign(Object.create(null), base)],
    ]
  ) {
    assertSameAsText(inputs as object[]);
  }
  assert.match(
    outcome(() => taskFileFromInputs([{ ...base, arguments: deep }])).error ?? "",
    /nesting deeper than 1000 levels/,
  );
});

Deno.test("an error in plain task objects names the line and column of their JSON text", () => {
  const inputs = [
    { name: "a", type: "exec", arguments: "true" },
    { name: "b", type: "exec", arguments: "true", timeout: "5x" },
  ];
  assert.throws(() => taskFileFromInputs(inputs), (error: unknown) => {
    assert.ok(error instanceof TaskFileError);
    assert.match(error.message, /^<tasks>:12:18: task "b": "timeout" /);
    return true;
  });
});

Deno.test("plainCopy() copies what JSON gives back equal, and nothing else", () => {
  assert.deepEqual(plainCopy({ a: [1, "x", null, { b: true }], c: undefined }), {
    a: [1, "x", null, { b: true }],
  });
  assert.ok(Object.is(plainCopy(-0), 0));
  const notPlain = plainCopy(NaN);
  for (const value of [undefined, 1n, Symbol(), () => 1, new Date(0), [undefined], Infinity]) {
    assert.equal(plainCopy(value), notPlain, String(value));
  }
});

Deno.test("run() names the place of a problem in plain task objects as validate() does", async () => {
  const inputs = [
    { name: "a", type: "exec", arguments: "true" },
    { name: "b", type: "exec", arguments: "true", dependencies: ["a", "x"] },
  ];
  const registry = new ExecutorRegistry().register({
    type: "exec",
    run: () => Promise.resolve({ ok: true }),
  });
  const expected = outcome(() => validate(inputs, registry));
  assert.match(expected.error ?? "", /^<tasks>:14:\d+: task "b": unknown dependency "x"/);
  await assert.rejects(() => run(inputs, { registry }), (error: unknown) => {
    assert.ok(error instanceof TaskFileError);
    assert.equal(error.message, expected.error);
    return true;
  });
});
