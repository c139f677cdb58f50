import assert from "node:assert/strict";
import { createEvalExecutor } from "../executors/eval.ts";
import { contextFor, evalTask, evaluate, textOf } from "./eval_helpers.ts";

/** Runs a bad snippet, then a good one on the same executor: only the bad one may fail. */
async function failsAlone(code: string, options = {}) {
  const { results, outputs } = await evaluate([code, "console.log('still fine')"], options);
  assert.equal(results[0]!.ok, false, "the bad snippet fails");
  assert.deepEqual(results[1], { ok: true }, "the next task is unaffected");
  assert.deepEqual(textOf(outputs[1]!, "stdout"), ["still fine"]);
  return { error: results[0]!.error ?? "", lines: outputs[0]! };
}

Deno.test("eval fails a task that throws a non-Error value", async () => {
  const { error } = await failsAlone("throw 42");
  assert.equal(error, "threw a non-Error value: 42");
  const { error: objectError } = await failsAlone("throw { code: 'E1' }");
  assert.equal(objectError, `threw a non-Error value: { code: "E1" }`);
});

Deno.test("eval fails a task that leaves a rejected promise unhandled", async () => {
  const { error } = await failsAlone("Promise.reject(new Error('lost'));");
  assert.equal(error, "unhandled rejection: Error: lost");
});

Deno.test("eval fails a queued task that leaves a rejection unhandled, not the one after it", async () => {
  // Queued at once on one worker, each task starts as the last one ends, in the same turn.
  const executor = createEvalExecutor({ maxWorkers: 1 });
  const snippets = ["1", "Promise.reject(new Error('lost'));", "console.log('next')", "2"];
  try {
    const results = await Promise.all(
      snippets.map((code, i) => executor.run(evalTask(code, i), contextFor([]))),
    );
    assert.deepEqual(results.map((result) => result.ok), [true, false, true, true]);
    assert.equal(results[1]!.error, "unhandled rejection: Error: lost");
  } finally {
    await executor.dispose?.();
  }
});

Deno.test("eval fails a task whose timer throws after the snippet returned", async () => {
  const { error, lines } = await failsAlone(
    "setTimeout(() => { throw new Error('late'); }, 30);\nconsole.log('returned');",
  );
  assert.equal(error, "uncaught in a timer: Error: late");
  assert.deepEqual(textOf(lines, "stdout"), ["returned"]);
});

Deno.test("eval waits for a snippet's timers, so their output is the task's", async () => {
  const { results, outputs } = await evaluate([
    "setTimeout(() => console.log('tick'), 50); const t = setInterval(() => {}, 5); clearInterval(t);",
  ]);
  assert.deepEqual(results, [{ ok: true }]);
  assert.deepEqual(textOf(outputs[0]!, "stdout"), ["tick"]);
});

Deno.test("eval fails a task that calls Deno.exit() and the process lives on", async () => {
  const { error, lines } = await failsAlone(
    "console.log('before'); Deno.exit(3); console.log('after');",
  );
  assert.equal(error, "Error: Cannot exit from an eval task: the snippet called Deno.exit(3)");
  assert.deepEqual(textOf(lines, "stdout"), ["before"]);
});

Deno.test("eval fails a task that calls close()", async () => {
  const { error } = await failsAlone("close();");
  assert.equal(error, "Error: Cannot close the eval worker: the snippet called close()");
});

Deno.test("eval reports a syntax error with the snippet's line and column", async () => {
  const { error, lines } = await failsAlone("let a = 1;\nlet b = ) ;");
  assert.equal(error, "SyntaxError: Expression expected at <snippet0>:2:9");
  // The place is printed once on stderr, under the code excerpt (it was printed twice).
  const stderr = textOf(lines, "stderr");
  assert.equal(
    stderr.filter((line) => line.trim() === "at <snippet0>:2:9").length,
    1,
    stderr.join("\n"),
  );
});

Deno.test("eval fails a task importing a module that does not exist", async () => {
  const missing = new URL("./no_such_module.ts", import.meta.url).href;
  const { error } = await failsAlone(`import '${missing}';`);
  assert.equal(error, `TypeError: Module not found "${missing}". at <snippet0>:1:8`);
  const { error: relative } = await failsAlone("import './helper.ts';");
  const hint = "(an eval snippet has no base URL: import a file by its file:// URL)";
  assert.ok(relative.endsWith(hint), relative);
  // An absolute path is resolved against the snippet's data: URL all the same, and fails.
  const helper = new URL("./eval_helpers.ts", import.meta.url);
  const { error: absolute } = await failsAlone(`import '${helper.pathname}';`);
  assert.ok(absolute.endsWith(hint), absolute);
  // As the hint says.
  const { results } = await evaluate([`import { evalTask } from '${helper.href}'; evalTask;`]);
  assert.deepEqual(results, [{ ok: true }]);
});

Deno.test("eval fails a task printing past its output limit and stops its loop", async () => {
  const { error, lines } = await failsAlone(
    "for (let i = 0; i < 1e6; i++) console.log('x'.repeat(99));",
    { maxOutputChars: 1024 * 1024 },
  );
  assert.equal(
    error,
    "RangeError: Printed more than 1048576 characters of output; the rest was dropped",
  );
  const stdout = textOf(lines, "stdout");
  assert.ok(stdout.length > 10_000 && stdout.length <= 10_486, `${stdout.length} lines`);
});

Deno.test("eval passes megabytes of output through whole, in order", async () => {
  const { results, outputs } = await evaluate([
    "for (let i = 0; i < 50_000; i++) console.log(String(i).padStart(60, '.'));",
  ]);
  assert.deepEqual(results, [{ ok: true }]);
  const stdout = textOf(outputs[0]!, "stdout");
  assert.equal(stdout.length, 50_000);
  assert.ok(stdout.every((line, i) => line === String(i).padStart(60, ".")));
});
