import assert from "node:assert/strict";
import { evaluate, textOf } from "./eval_helpers.ts";
import { MOD, runCli, writeTaskFile } from "./helpers.ts";
import { findProgram, runProgram } from "./terminal_helpers.ts";

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

const colourSnippet = "console.log('\\x1b[31mred\\x1b[0m', 5);" +
  "Deno.stdout.writeSync(new TextEncoder().encode('\\x1b[32mgreen\\x1b[0m\\n'));";
const colourTasks = {
  tasks: [{ name: "e", type: "eval", arguments: colourSnippet }],
};

Deno.test("eval keeps a snippet's own colour codes in output to a pipe", async () => {
  const path = await writeTaskFile(colourTasks);
  const result = await runCli([path, "--no-history"]);
  assert.equal(result.code, 0, result.stderr);
  assert.ok(result.stdout.includes("[e] \x1b[31mred\x1b[0m 5\n"), result.stdout);
  assert.ok(result.stdout.includes("[e] \x1b[32mgreen\x1b[0m\n"), result.stdout);
});

const script = await findProgram("script");

Deno.test({
  name: "eval on a terminal: Deno's console colours follow dagrun's (none with TERM=dumb)",
  ignore: script === undefined,
  async fn() {
    const path = await writeTaskFile(colourTasks);
    // util-linux `script` runs the command on a pseudo-terminal and copies what it printed.
    const onTerminal = async (term: string) => {
      const command = `env -u NO_COLOR TERM=${term} '${Deno.execPath()}' run -A --quiet '${MOD}' ` +
        `'${path}' --no-history`;
      const output = await runProgram(script!, ["-q", "-e", "-c", command, "/dev/null"]);
      return output.replaceAll("\r\n", "\n");
    };
    const dumb = await onTerminal("dumb");
    // The 5 as Deno prints it on a terminal is yellow; not so on a dumb one, and dagrun's
    // own output is not coloured either. The snippet's own red is the snippet's.
    assert.match(dumb, /\[e\] red 5\n/);
    const xterm = await onTerminal("xterm");
    assert.ok(xterm.includes("[e] \x1b[31mred\x1b[0m \x1b[33m5\x1b[39m\n"), xterm);
    // Raw writes to Deno.stdout are never touched.
    for (const output of [dumb, xterm]) assert.ok(output.includes("\x1b[32mgreen\x1b[0m"));
  },
});
