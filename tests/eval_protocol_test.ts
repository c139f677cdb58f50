/**
 * A snippet cannot reach the messages between dagrun and its eval worker: what it posts
 * never crashes the run nor passes for the worker's own, and what dagrun sends the worker
 * never reaches the snippet's message listeners.
 */

import assert from "node:assert/strict";
import { evaluate, textOf } from "./eval_helpers.ts";
import { runCli, writeTaskFile } from "./helpers.ts";

const POST_ERROR =
  "TypeError: Cannot post a message from an eval task: the worker it runs in is dagrun's";

/** A snippet posting `message`, then waiting a little: it fails only if the post is refused. */
const posting = (message: string) =>
  `postMessage(${message}); await new Promise((r) => setTimeout(r, 100));`;

Deno.test("a snippet's postMessage fails its own task, whatever it posts, and the run goes on", async () => {
  const file = await writeTaskFile({
    tasks: [
      { name: "garbage", type: "eval", arguments: posting("{ kind: 'garbage' }") },
      { name: "nothing", type: "eval", arguments: posting("null") },
      {
        name: "malformed",
        type: "eval",
        arguments: posting("{ kind: 'output', id: 0, pieces: 5 }"),
      },
      { name: "ready", type: "eval", arguments: posting("{ kind: 'ready' }") },
      {
        name: "after",
        type: "eval",
        arguments: "console.log('after ran')",
        dependencies: ["ready"],
      },
      { name: "shell", type: "exec", arguments: "echo shell ran" },
    ],
  });
  const { code, stdout, stderr } = await runCli([file, "-j", "2"]);
  assert.equal(code, 1, `${stdout}\n${stderr}`);
  for (const name of ["garbage", "nothing", "malformed", "ready"]) {
    assert.match(stdout, new RegExp(`^${name} +eval +failed +\\S+ +${POST_ERROR}$`, "m"), stdout);
  }
  assert.match(stdout, /^after +eval +skipped/m);
  assert.match(stdout, /^shell +exec +ok/m);
});

Deno.test("a message shaped like the worker's own does not end the snippet's task", async () => {
  // The ids of requests are small integers: the snippet tries them all, through the global
  // and through whatever postMessage it can find, and fails for real later.
  const { results, outputs } = await evaluate([
    [
      "const candidates = [globalThis.postMessage, self.postMessage];",
      "for (const post of candidates) for (let id = 0; id < 8; id++) {",
      "  try { post.call(self, { kind: 'done', id, ok: true }); } catch { /* refused */ }",
      "}",
      "await new Promise((resolve) => setTimeout(resolve, 200));",
      "console.log('still running');",
      "throw new Error('really failed');",
    ].join("\n"),
    "console.log('next')",
  ]);
  assert.deepEqual(results, [{ ok: false, error: "Error: really failed" }, { ok: true }]);
  assert.deepEqual(textOf(outputs[0]!, "stdout"), ["still running"]);
  assert.deepEqual(textOf(outputs[1]!, "stdout"), ["next"]);
});

Deno.test("a snippet's message listeners never see what dagrun sends the worker's next tasks", async () => {
  const snippets = [
    [
      "globalThis.seen = [];",
      "self.onmessage = (event) => { seen.push(event.data); throw new Error('stolen'); };",
      "self.addEventListener('message', (event) => { seen.push(event.data); event.stopImmediatePropagation(); });",
    ].join("\n"),
    "console.log('second')",
    "console.log(JSON.stringify(globalThis.seen))",
  ];
  // One worker: the snippets after the first run where its listeners are.
  const { results, outputs } = await evaluate(snippets, { maxWorkers: 1 });
  assert.deepEqual(results, [{ ok: true }, { ok: true }, { ok: true }]);
  assert.deepEqual(outputs.map((lines) => textOf(lines, "stdout")), [[], ["second"], ["[]"]]);
});
