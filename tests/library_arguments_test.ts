/**
 * The library's entry points refuse arguments of the wrong kind with a TypeError that says
 * what they take, rather than a TypeError from deep inside ("Cannot use 'in' operator…").
 */

import assert from "node:assert/strict";
import { run, validate } from "../src/run.ts";
import { runEvents } from "../src/events.ts";
import { schedule } from "../src/scheduler.ts";

const TAKES = /^(run|validate|runEvents)\(\) takes an array of tasks or a TaskFile, not /;

const CASES: [unknown, RegExp][] = [
  [
    "tasks.json",
    /not a string \("tasks\.json"\); for a file, pass await loadTaskFile\("tasks\.json"\)$/,
  ],
  [null, /not null$/],
  [undefined, /not undefined$/],
  [42, /not a number \(42\)$/],
  [{}, /not an object$/],
  [
    { tasks: [{ name: "a", type: "exec", arguments: "true" }] },
    /not a task file's contents: pass its "tasks", or parseTaskFile\(JSON\.stringify\(contents\)\)/,
  ],
  [{ tasks: "a" }, /not a task file's contents/],
];

function checkError(name: string, message: RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof TypeError, String(error));
    assert.match(error.message, TAKES);
    assert.ok(error.message.startsWith(`${name}()`), error.message);
    assert.match(error.message, message);
    return true;
  };
}

Deno.test("run() rejects what is not a list of tasks or a TaskFile, saying what it takes", async () => {
  for (const [value, message] of CASES) {
    await assert.rejects(run(value as never), checkError("run", message));
  }
});

Deno.test("validate() throws for what is not a list of tasks or a TaskFile", () => {
  for (const [value, message] of CASES) {
    assert.throws(() => validate(value as never), checkError("validate", message));
  }
});

Deno.test("runEvents() throws for what is not a list of tasks or a TaskFile", () => {
  for (const [value, message] of CASES) {
    assert.throws(() => runEvents(value as never), checkError("runEvents", message));
  }
});

Deno.test("run() rejects options that are not an object", async () => {
  await assert.rejects(
    run([{ name: "a", type: "exec", arguments: "true" }], null as never),
    /^TypeError: run\(\) takes an object of options, not null$/,
  );
});

Deno.test("schedule() rejects a task list or options of the wrong kind", async () => {
  const executorFor = () => ({ type: "x", run: () => Promise.resolve({ ok: true }) });
  await assert.rejects(
    schedule("tasks.json" as never, { executorFor }),
    /^TypeError: schedule\(\) takes an array of checked tasks \(see validate\(\)\), not a string \("tasks\.json"\)/,
  );
  await assert.rejects(
    schedule([null] as never, { executorFor }),
    /^TypeError: schedule\(\) takes an array of checked tasks \(see validate\(\)\), not an array holding null at 0$/,
  );
  const tasks = [{ name: "a", type: "x", arguments: "", dependencies: [] }];
  await assert.rejects(
    schedule(tasks, undefined as never),
    /^TypeError: schedule\(\) takes options with an executorFor\(\) function, not undefined$/,
  );
  await assert.rejects(
    schedule(tasks, {} as never),
    /^TypeError: schedule\(\) takes options with an executorFor\(\) function, not an object without one$/,
  );
});

Deno.test("runEvents() throws for an onEvent option, which it would otherwise ignore", () => {
  const tasks = [{ name: "a", type: "exec", arguments: "true" }];
  assert.throws(
    () => runEvents(tasks, { onEvent: () => {} } as never),
    (error: unknown) =>
      error instanceof TypeError &&
      error.message ===
        "runEvents() takes no onEvent option: iterate the events it returns instead " +
          "(for await (const event of runEvents(tasks)) ...), or call run(tasks, { onEvent })",
  );
  // Left undefined, as an options object built with optional fields may hold it, it is no listener.
  assert.doesNotThrow(() => runEvents(tasks, { onEvent: undefined } as never));
});
