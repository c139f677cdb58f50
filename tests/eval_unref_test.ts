/**
 * An unref'd timer does not keep a program alive, so it does not keep its eval task running:
 * `Deno.unrefTimer(timer)` and Node's `timer.unref()` alike, and `timer.ref()` or
 * `Deno.refTimer(timer)` takes it back. The snippets' own runs as `deno eval` programs are
 * the measure.
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
  // Cleared where the task does not see it, and a cleared timer's refresh() does not set it again.
  "import { clearTimeout } from 'node:timers'; clearTimeout(setTimeout(() => {}, 60_000));",
  "const t = setTimeout(() => {}, 60_000); clearTimeout(t); t.refresh();",
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

/**
 * Whether each timer keeps its task running, as it would keep a `deno eval` program alive,
 * whichever way it was unref'd and ref'd again. In this Deno `Deno.unrefTimer(timer)` and
 * `Deno.refTimer(timer)` call the `Timeout`'s own `unref()` and `ref()`; given the timer's
 * number instead, they do not reach a `Timeout` at all, and the timer stays as it was.
 */
const REF_CASES: [code: string, fires: boolean][] = [
  ["Deno.unrefTimer(t); Deno.refTimer(t);", true],
  ["t.unref(); Deno.refTimer(t);", true],
  ["Deno.unrefTimer(t); t.ref();", true],
  ["Deno.refTimer(t); t.unref();", false],
  ["Deno.unrefTimer(Number(t)); Deno.refTimer(Number(t));", true],
  ["Deno.unrefTimer(Number(t));", true],
  ["Deno.unrefTimer(Number(t)); t.unref(); t.ref();", true],
  ["t.unref(); Deno.refTimer(Number(t));", false],
];

/** What a snippet prints to stdout as a `deno eval` program, line by line. */
async function denoEvalLines(code: string): Promise<string[]> {
  const { stdout, success } = await new Deno.Command(Deno.execPath(), {
    args: ["eval", code],
    stdout: "piped",
    stderr: "inherit",
    signal: AbortSignal.timeout(LIMIT_MS),
  }).output();
  assert.ok(success, code);
  return new TextDecoder().decode(stdout).split("\n").filter((line) => line !== "");
}

Deno.test("an eval task waits for a timer as long as it would keep a program alive, however unref'd and ref'd", async () => {
  const snippets = REF_CASES.map(([calls]) =>
    `const t = setTimeout(() => console.log("fired"), 50); ${calls}`
  );
  const { results, outputs } = await runBounded(snippets, { maxWorkers: 1 });
  for (const [i, [calls, fires]] of REF_CASES.entries()) {
    const expected = fires ? ["fired"] : [];
    assert.deepEqual(results[i], { ok: true }, calls);
    assert.deepEqual(textOf(outputs[i]!, "stdout"), expected, `in dagrun: ${calls}`);
    assert.deepEqual(await denoEvalLines(snippets[i]!), expected, `in deno eval: ${calls}`);
  }
});

Deno.test("an eval task waits for a timer that refresh() set again after it fired", async () => {
  // Node's `refresh()` on a timer that has fired sets it again, under a new number.
  const snippet = [
    "let n = 0;",
    "const t = setTimeout(() => { console.log('fired', ++n); if (n < 3) t.refresh(); }, 20);",
  ].join("\n");
  const { results, outputs } = await runBounded([snippet, "console.log('next')"], {
    maxWorkers: 1,
  });
  assert.deepEqual(results, [{ ok: true }, { ok: true }]);
  const expected = ["fired 1", "fired 2", "fired 3"];
  assert.deepEqual(textOf(outputs[0]!, "stdout"), expected);
  assert.deepEqual(textOf(outputs[1]!, "stdout"), ["next"]);
  assert.deepEqual(await denoEvalLines(snippet), expected);
});

/** Timers set through `node:timers`' own functions, each printing when it is done. */
const NODE_TIMERS: [code: string, printed: string[]][] = [
  ["import { setTimeout } from 'node:timers'; setTimeout(() => console.log('fired'), 50);", [
    "fired",
  ]],
  [
    "import { setInterval, clearInterval } from 'node:timers';\n" +
    "let n = 0; const i = setInterval(() => { console.log(++n); if (n === 3) clearInterval(i); }, 10);",
    ["1", "2", "3"],
  ],
  [
    "import { setTimeout } from 'node:timers/promises'; setTimeout(50).then(() => console.log('resolved'));",
    ["resolved"],
  ],
  [
    "import { setTimeout } from 'node:timers';\n" +
    "let n = 0; const t = setTimeout(() => { console.log(++n); if (n < 2) t.refresh(); }, 20);",
    ["1", "2"],
  ],
  [
    "const { setTimeout } = process.getBuiltinModule('timers'); setTimeout(() => console.log('built in'), 50);",
    ["built in"],
  ],
  // Cleared or unref'd that way, not waited for.
  [
    "import { setTimeout, clearTimeout } from 'node:timers'; clearTimeout(setTimeout(() => {}, 60_000)); console.log('cleared');",
    ["cleared"],
  ],
];

for (const isolation of ["pooled", "fresh"] as const) {
  Deno.test(`an eval task waits for the timers it set through node:timers' own functions (${isolation})`, async () => {
    // One worker: what a timer printed after its task had ended would show up in the next.
    const { results, outputs } = await runBounded(
      [...NODE_TIMERS.map(([code]) => code), "await new Promise((r) => setTimeout(r, 200));"],
      { isolation, maxWorkers: 1 },
    );
    for (const [i, [code, printed]] of NODE_TIMERS.entries()) {
      assert.deepEqual(results[i], { ok: true }, code);
      assert.deepEqual(textOf(outputs[i]!, "stdout"), printed, code);
    }
    assert.deepEqual(outputs.at(-1), []);
  });
}

Deno.test("an eval task's node:timers callback that throws fails that task, not the next", async () => {
  const { results, outputs } = await runBounded([
    "import { setTimeout } from 'node:timers'; setTimeout(() => { throw new Error('boom'); }, 30);",
    "await new Promise((r) => setTimeout(r, 100)); console.log('next');",
  ], { maxWorkers: 1 });
  assert.deepEqual(results[0], { ok: false, error: "uncaught in a timer: Error: boom" });
  assert.deepEqual(results[1], { ok: true });
  assert.deepEqual(textOf(outputs[1]!, "stdout"), ["next"]);
});

Deno.test("an eval task waits for the node:timers timers a module it imports sets, from a worker's first task on", async () => {
  // The snippet names no `timers`: the module does, out of the worker's sight until it runs.
  const directory = await Deno.makeTempDir({ prefix: "dagrun-eval-module-clock-" });
  try {
    const module = `${directory}/later.ts`;
    await Deno.writeTextFile(
      module,
      [
        "import { setTimeout } from 'node:timers';",
        "export function later(text: string) { setTimeout(() => console.log(text), 50); }",
        "globalThis.later = later;",
      ].join("\n"),
    );
    const url = JSON.stringify(`file://${module}`);
    const { results, outputs } = await runBounded([
      `import { later } from ${url}; later("first");`,
      `const { later } = await import(${url}); later("second");`,
      // A snippet with no import at all, calling what an earlier task's module left.
      `globalThis.later("third");`,
      "await new Promise((r) => setTimeout(r, 200));",
    ], { maxWorkers: 1 });
    assert.deepEqual(results, [{ ok: true }, { ok: true }, { ok: true }, { ok: true }]);
    assert.deepEqual(outputs.map((lines) => textOf(lines, "stdout")), [
      ["first"],
      ["second"],
      ["third"],
      [],
    ]);
  } finally {
    await Deno.remove(directory, { recursive: true });
  }
});

/**
 * A snippet's start: a 50 ms timeout whose callback, at its first firing, refresh()es it, so
 * that it prints `fired 1` then `fired 2`.
 */
const REFRESHED_TIMEOUT =
  "let n = 0;\nconst t = setTimeout(() => { console.log('fired', ++n); if (n < 2) t.refresh(); }, 50);\n";

Deno.test("an eval task waits for a timeout its own callback refresh()ed, past another timer's end", async () => {
  // Deno's Timeout marks a timeout finished once its callback returns, even one the callback
  // set again, which fires all the same: the task ended at the other timer, and `fired 2`
  // showed up in the next task.
  const snippets = [
    `${REFRESHED_TIMEOUT}setTimeout(() => console.log('other'), 70);`,
    "let n = 0;\nimport { setTimeout as later } from 'node:timers';\n" +
    "const t = later(() => { console.log('fired', ++n); if (n < 2) t.refresh(); }, 50);\n" +
    "later(() => console.log('other'), 70);",
    `${REFRESHED_TIMEOUT}await new Promise((resolve) => setTimeout(resolve, 70)); console.log('other');`,
  ];
  const { results, outputs } = await runBounded(
    [...snippets, "await new Promise((r) => setTimeout(r, 200)); console.log('next');"],
    { maxWorkers: 1 },
  );
  const expected = ["fired 1", "other", "fired 2"];
  for (const [i, snippet] of snippets.entries()) {
    assert.deepEqual(results[i], { ok: true }, snippet);
    assert.deepEqual(textOf(outputs[i]!, "stdout"), expected, snippet);
    assert.deepEqual(await denoEvalLines(snippet), expected, `in deno eval: ${snippet}`);
  }
  assert.deepEqual(textOf(outputs.at(-1)!, "stdout"), ["next"]);
});

Deno.test("a timeout its own callback refresh()ed is cleared and unref'd as in Node", async () => {
  // Deno's own Timeout then ignores clearTimeout() and unref() (it thinks the timeout has
  // finished) and fires it anyway; Node does not, and neither does an eval task.
  const { results, outputs } = await runBounded([
    `${REFRESHED_TIMEOUT}setTimeout(() => { console.log('other'); clearTimeout(t); }, 70);`,
    `${REFRESHED_TIMEOUT}setTimeout(() => { console.log('other'); t.unref(); }, 70);`,
    `${REFRESHED_TIMEOUT}await new Promise((resolve) => setTimeout(resolve, 70)); console.log(t.hasRef(), t._destroyed);`,
    "await new Promise((r) => setTimeout(r, 200)); console.log('next');",
  ], { maxWorkers: 1 });
  assert.deepEqual(results, [{ ok: true }, { ok: true }, { ok: true }, { ok: true }]);
  assert.deepEqual(outputs.map((lines) => textOf(lines, "stdout")), [
    ["fired 1", "other"],
    ["fired 1", "other"],
    // Set again, as it says.
    ["fired 1", "true false", "fired 2"],
    ["next"],
  ]);
});
