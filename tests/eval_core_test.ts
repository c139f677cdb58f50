import assert from "node:assert/strict";
import { createEvalExecutor } from "../executors/eval.ts";
import type { ExecutorContext, OutputStream, TaskResult } from "../src/types.ts";
import { MOD, writeTaskFile } from "./helpers.ts";

/** Runs snippets on one pooled executor, collecting each task's output lines. */
async function evaluate(...snippets: string[]) {
  const executor = createEvalExecutor();
  const outputs: { stream: OutputStream; text: string; at: number }[][] = [];
  const results: TaskResult[] = [];
  try {
    for (const [i, code] of snippets.entries()) {
      const lines: { stream: OutputStream; text: string; at: number }[] = [];
      outputs.push(lines);
      const context: ExecutorContext = {
        signal: new AbortController().signal,
        timeoutMs: undefined,
        env: undefined,
        cwd: Deno.cwd(),
        baseDir: Deno.cwd(),
        output: (stream, text) => lines.push({ stream, text, at: performance.now() }),
      };
      results.push(
        await executor.run(
          { name: `snippet${i}`, type: "eval", arguments: code, dependencies: [] },
          context,
        ),
      );
    }
  } finally {
    await executor.dispose?.();
  }
  return { results, outputs, texts: outputs.map((lines) => lines.map((line) => line.text)) };
}

Deno.test("eval runs TypeScript with top-level await and captures console output", async () => {
  const { results, texts } = await evaluate(
    "const wait: number = 10;\nawait new Promise((r) => setTimeout(r, wait));\nconsole.log({ a: 1 }, 'two', [3]);",
  );
  assert.deepEqual(results, [{ ok: true }]);
  assert.deepEqual(texts, [["{ a: 1 } two [ 3 ]"]]);
});

Deno.test("eval imports node: and npm: modules", async () => {
  const { results, texts } = await evaluate(
    "import { basename } from 'node:path'; console.log(basename('/a/b.txt'));",
    "import { parse } from 'npm:jsonc-parser@3.3.1'; console.log(parse('[1, /* c */ 2]'));",
  );
  assert.deepEqual(results, [{ ok: true }, { ok: true }]);
  assert.deepEqual(texts, [["b.txt"], ["[ 1, 2 ]"]]);
});

Deno.test("eval imports URL modules", async () => {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () =>
      new Response("export const answer = 42;", {
        headers: { "content-type": "application/javascript" },
      }),
  );
  try {
    const url = `http://127.0.0.1:${server.addr.port}/answer.js`;
    const file = await writeTaskFile({
      tasks: [{
        name: "url",
        type: "eval",
        arguments: `import { answer } from '${url}'; console.log(answer);`,
      }],
    });
    // In a subprocess without the lock file: a random port must not end up in deno.lock.
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--quiet", "--no-lock", MOD, file],
      stdin: "null",
      env: { NO_COLOR: "1" },
    }).output();
    const stdout = new TextDecoder().decode(output.stdout);
    assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
    assert.match(stdout, /^\[url\] 42$/m);
  } finally {
    await server.shutdown();
  }
});

Deno.test("eval streams console output live, while the snippet runs", async () => {
  const started = performance.now();
  const { outputs } = await evaluate(
    "console.log('early'); await new Promise((r) => setTimeout(r, 500)); console.log('late');",
  );
  const [early, late] = outputs[0]!;
  assert.ok(late!.at - early!.at >= 300, `early came ${late!.at - early!.at} ms before late`);
  assert.ok(early!.at - started < late!.at - started);
});

Deno.test("eval fails on a thrown error with its message and the snippet's own frames", async () => {
  const { results, outputs } = await evaluate(
    "function inner() {\n  throw new RangeError('too far');\n}\ninner();",
    "const n: number = 1;\nawait Promise.reject(new Error('rejected ' + n));",
  );
  assert.deepEqual(results, [
    { ok: false, error: "RangeError: too far" },
    { ok: false, error: "Error: rejected 1" },
  ]);
  const stderr = outputs[0]!.filter((line) => line.stream === "stderr").map((line) => line.text);
  assert.deepEqual(stderr, [
    "RangeError: too far",
    "    at inner <snippet0>:2:9",
    "    at <snippet0>:4:1",
  ]);
  assert.ok(
    outputs.flat().every((line) => !/eval_worker|ext:|data:/.test(line.text)),
    "no worker internals in the frames",
  );
});

Deno.test("eval keeps each snippet's top-level declarations to itself", async () => {
  const { results } = await evaluate(
    "const shared = 1; let counter = 1;",
    "const shared = 2; if (typeof counter !== 'undefined') throw new Error('leaked');",
    "import 'node:path'; const shared = 3;",
    "import 'node:path'; const shared = 4;",
  );
  assert.deepEqual(results, [{ ok: true }, { ok: true }, { ok: true }, { ok: true }]);
});

Deno.test("eval runs two tasks with identical code twice", async () => {
  const code = "import 'node:path'; console.log('ran');";
  const { texts } = await evaluate(code, code);
  assert.deepEqual(texts, [["ran"], ["ran"]]);
});
