import assert from "node:assert/strict";
import { evaluate, textOf } from "./eval_helpers.ts";

Deno.test("eval formats console output as Deno does", async () => {
  const { results, outputs } = await evaluate([
    "console.log({ a: 1 }, 'two', [3], new Map([[1, 'x']]));\nconsole.log('%s is %d', 'n', 42);",
  ]);
  assert.deepEqual(results, [{ ok: true }]);
  assert.deepEqual(textOf(outputs[0]!, "stdout"), [
    `{ a: 1 } two [ 3 ] Map(1) { 1 => "x" }`,
    "n is 42",
  ]);
});

Deno.test("eval sends log, info and debug to stdout, warn and error to stderr, in order", async () => {
  const { outputs } = await evaluate([
    "console.log('l'); console.warn('w'); console.info('i'); console.error('e'); console.debug('d');",
  ]);
  assert.deepEqual(outputs[0], [
    { stream: "stdout", text: "l" },
    { stream: "stderr", text: "w" },
    { stream: "stdout", text: "i" },
    { stream: "stderr", text: "e" },
    { stream: "stdout", text: "d" },
  ]);
});

Deno.test("eval draws console.table, console.dir and console.group as Deno does", async () => {
  const { outputs } = await evaluate([
    "console.table([{ a: 1, b: 'x' }, { a: 2 }]);\n" +
    "console.dir({ deep: { deeper: { deepest: { x: 1 } } } });\n" +
    "console.group('outer'); console.log('inner'); console.groupEnd(); console.log('out');",
  ]);
  assert.deepEqual(textOf(outputs[0]!, "stdout"), [
    "┌───────┬───┬─────┐",
    "│ (idx) │ a │ b   │",
    "├───────┼───┼─────┤",
    `│     0 │ 1 │ "x" │`,
    "│     1 │ 2 │     │",
    "└───────┴───┴─────┘",
    "{",
    "  deep: { deeper: { deepest: { x: 1 } } }",
    "}",
    "outer",
    "  inner",
    "out",
  ]);
});

Deno.test("eval shows console.trace with the snippet's frames only", async () => {
  const { outputs } = await evaluate(["function f() {\n  console.trace('here');\n}\nf();"]);
  assert.deepEqual(textOf(outputs[0]!, "stderr"), [
    "Trace: here",
    "    at f <snippet0>:2:11",
    "    at <snippet0>:4:1",
  ]);
});

Deno.test("eval captures writes to Deno.stdout and Deno.stderr as the task's lines", async () => {
  const { results, outputs } = await evaluate([
    "const bytes = (text: string) => new TextEncoder().encode(text);\n" +
    "Deno.stdout.writeSync(bytes('a'));\n" +
    "await Deno.stdout.write(bytes('b\\nc'));\n" +
    "console.log('d');\n" +
    "Deno.stderr.writeSync(bytes('e1\\ne2\\n'));\n" +
    "const writer = Deno.stdout.writable.getWriter();\n" +
    "await writer.write(bytes('f\\n'));\n" +
    "writer.releaseLock();\n" +
    "Deno.stdout.writeSync(bytes('no newline at the end'));",
  ]);
  assert.deepEqual(results, [{ ok: true }]);
  assert.deepEqual(outputs[0], [
    { stream: "stdout", text: "ab" },
    { stream: "stdout", text: "cd" },
    { stream: "stderr", text: "e1" },
    { stream: "stderr", text: "e2" },
    { stream: "stdout", text: "f" },
    { stream: "stdout", text: "no newline at the end" },
  ]);
});

Deno.test("eval counts Deno.stdout writes against the output limit", async () => {
  const { results } = await evaluate(
    [
      "const line = new TextEncoder().encode('x'.repeat(99) + '\\n');\n" +
      "for (let i = 0; i < 2_000; i++) Deno.stdout.writeSync(line);",
    ],
    { maxOutputChars: 10_000 },
  );
  assert.equal(results[0]!.ok, false);
  assert.match(results[0]!.ok ? "" : results[0]!.error ?? "", /more than 10000 characters/);
});
