/**
 * An eval worker's heap has no limit of its own (Deno's Web Worker takes none), and a heap
 * reaching V8's limit ends the whole process: the README's advice for memory-hungry code in
 * a snippet is a `node:worker_threads` worker with `resourceLimits`, which this Deno honours.
 * This pins that advice, on a 64 MiB heap: it must keep failing its task, not the process.
 */

import assert from "node:assert/strict";
import { evaluate, textOf } from "./eval_helpers.ts";

Deno.test("a snippet bounds a memory-hungry computation in a node:worker_threads worker with resourceLimits", async () => {
  const { results, outputs } = await evaluate([
    [
      "import { Worker } from 'node:worker_threads';",
      "const hog = new Worker('const a = []; for (;;) a.push(new Array(1e6).fill(1));', {",
      "  eval: true,",
      "  resourceLimits: { maxOldGenerationSizeMb: 64 },",
      "});",
      "await new Promise((resolve, reject) => { hog.on('error', reject); hog.on('exit', resolve); });",
    ].join("\n"),
    "console.log('the worker lives on')",
  ]);
  assert.equal(results[0]!.ok, false);
  assert.match(results[0]!.error ?? "", /Worker terminated due to reaching memory limit/);
  assert.deepEqual(results[1], { ok: true });
  assert.deepEqual(textOf(outputs[1]!, "stdout"), ["the worker lives on"]);
});
