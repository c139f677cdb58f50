/**
 * An unref'd timer does not keep a program alive, so it does not keep its eval task running:
 * `Deno.unrefTimer(id)` and Node's `timer.unref()` alike, and `timer.ref()` takes it back.
 */

import assert from "node:assert/strict";
import type { EvalExecutorOptions } from "../executors/eval.ts";
import { evaluate, textOf } from "./eval_helpers.ts";

/** Far longer than any of these snippets should take; a task still running then failed. */
const LIMIT_MS = 20_000;

/** Runs snippets one after the other on one executor, each stopped at {@linkcode LIMIT_MS}. */
function runBounded(snippets: readonly string[], options: EvalExecutorOptions = {}) {
  return evaluate(snippets, options, LIMIT_MS);
}

const UNREFD = [
  "setTimeout(() => {}, 60_000).unref();",
  "setInterval(() => {}, 60_000).unref();",
  "const t = setTimeout(() => {}, 60_000); t.unref(); t.ref(); t.unref();",
  "globalThis.setTimeout(() => {}, 60_000).unref();",
  "import { setTimeout } from 'node:timers'; setTimeout(() => {}, 60_000).unref();",
  "import { setInterval } from 'node:timers'; setInterval(() => {}, 60_000).unref();",
  "Deno.unrefTimer(setTimeout(() => {}, 60_000));",
  "setTimeout(() => {}, 60_000).close();",
  "{ using t = setTimeout(() => {}, 60_000); }",
];

for (const isolation of ["pooled", "fresh"] as const) {
  Deno.test(`an eval task left with only unref'd timers ends at once (${isolation})`, async () => {
    const started = performance.now();
    const { results } = await runBounded(UNREFD, { isolation });
    for (const [i, result] of results.entries()) {
      assert.deepEqual(result, { ok: true }, `${UNREFD[i]} ended as ${JSON.stringify(result)}`);
    }
    const took = performance.now() - started;
    assert.ok(took < LIMIT_MS / 2, `took ${took.toFixed(0)} ms`);
  });
}

Deno.test("an eval task waits for a timer ref'd again, and hasRef() says which is which", async () => {
  const { results, outputs } = await runBounded([
    [
      "const t = setTimeout(() => console.log('fired'), 50);",
      "console.log(t.hasRef()); t.unref(); console.log(t.hasRef()); t.ref();",
    ].join("\n"),
    "const t = setInterval(() => { console.log('tick'); clearInterval(t); }, 20); t.unref().ref();",
  ]);
  assert.deepEqual(results, [{ ok: true }, { ok: true }]);
  assert.deepEqual(textOf(outputs[0]!, "stdout"), ["true", "false", "fired"]);
  assert.deepEqual(textOf(outputs[1]!, "stdout"), ["tick"]);
});

Deno.test("an unref'd timer of an ended eval task never fires in the next task", async () => {
  // As in a program that has ended: the timer that did not keep it alive never fires.
  const { results, outputs } = await runBounded([
    "setTimeout(() => console.log('late 1'), 100).unref();",
    "Deno.unrefTimer(setTimeout(() => console.log('late 2'), 100));",
    "await new Promise((resolve) => setTimeout(resolve, 400)); console.log('waited');",
  ], { maxWorkers: 1 });
  assert.deepEqual(results, [{ ok: true }, { ok: true }, { ok: true }]);
  assert.deepEqual(outputs.map((lines) => textOf(lines, "stdout")), [[], [], ["waited"]]);
});
