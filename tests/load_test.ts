import assert from "node:assert/strict";
import { checkTaskFile } from "../src/check.ts";
import { TaskFileError } from "../src/errors.ts";
import { parseTaskFile, readTaskText } from "../src/load.ts";
import { createDefaultRegistry } from "../src/run.ts";
import { findCycleInGraph, indexTaskGraph } from "../src/task_graph.ts";
import { fifoWriting, killIfRunning, runCli, runCliUnderDataLimit } from "./helpers.ts";

const registry = createDefaultRegistry();

/** Parses and checks `text` as `t.json`, returning the error message or "valid". */
function check(text: string): string {
  try {
    checkTaskFile(parseTaskFile(text, { file: "t.json" }), registry);
    return "valid";
  } catch (error) {
    if (error instanceof TaskFileError) return error.message;
    throw error;
  }
}

const task = (fields: Record<string, unknown>) =>
  JSON.stringify({ name: "a", type: "exec", arguments: "true", ...fields });

const cases: [string, string, string | RegExp][] = [
  ["malformed JSON", '{"tasks": [}', 't.json:1:12: invalid JSON: expected a value (found "}")'],
  [
    "truncated JSON",
    '{"tasks": [',
    "t.json:1:12: invalid JSON: expected ']' (found end of file)",
  ],
  ["empty file", "  \n", 't.json:1:1: is empty; expected a JSON object with a "tasks" array'],
  ["not an object", "[]", "t.json:1:1: the document must be an object, not an array"],
  ["tasks missing", "{}", 't.json:1:1: missing required field "tasks"'],
  ["tasks not an array", '{"tasks": 3}', 't.json:1:11: "tasks" must be an array, not a number (3)'],
  [
    "task not an object",
    '{"tasks": ["x"]}',
    't.json:1:12: task "#1": must be an object, not a string ("x")',
  ],
  [
    "required field missing",
    '{"tasks": [{"name": "a", "type": "exec"}]}',
    't.json:1:12: task "a": missing required field "arguments"',
  ],
  [
    "name of the wrong type",
    `{"tasks": [${task({ name: 7 })}]}`,
    't.json:1:20: task "#1": "name" must be a string, not a number (7)',
  ],
  [
    "arguments of the wrong type",
    `{"tasks": [${task({ arguments: ["ls"] })}]}`,
    't.json:1:50: task "a": "arguments" must be a string, not an array',
  ],
  [
    "dependencies not an array",
    `{"tasks": [${task({ dependencies: "b" })}]}`,
    't.json:1:72: task "a": "dependencies" must be an array, not a string ("b")',
  ],
  [
    "dependency not a string",
    `{"tasks": [${task({ dependencies: [1] })}]}`,
    't.json:1:73: task "a": "dependencies[0]" must be a string, not a number (1)',
  ],
  [
    "empty name",
    `{"tasks": [${task({ name: "" })}]}`,
    't.json:1:20: task "#1": "name" must not be empty or blank',
  ],
  [
    "name with a newline",
    `{"tasks": [${task({ name: "a\nb" })}]}`,
    't.json:1:20: task "a\\nb": "name" must be a single line, not "a\\nb"',
  ],
  [
    "duplicate names",
    `{"tasks": [\n${task({})},\n${task({})}\n]}`,
    't.json:3:9: task "a": duplicate name; first defined at 2:9',
  ],
  [
    "unknown dependency, with a suggestion",
    `{"tasks": [${task({ name: "build" })}, ${task({ name: "test", dependencies: ["biuld"] })}]}`,
    't.json:1:127: task "test": unknown dependency "biuld" (did you mean "build"?)',
  ],
  [
    "self-dependency",
    `{"tasks": [${task({ dependencies: ["a"] })}]}`,
    't.json:1:73: task "a": depends on itself',
  ],
  [
    "two-task cycle",
    `{"tasks": [${task({ dependencies: ["b"] })}, ${task({ name: "b", dependencies: ["a"] })}]}`,
    't.json:1:72: task "a": dependency cycle: a -> b -> a',
  ],
  [
    "unknown type",
    `{"tasks": [${task({ type: "exe" })}]}`,
    't.json:1:31: task "a": unknown type "exe" (did you mean "exec"?); registered types: eval, exec',
  ],
  [
    "byte-order mark",
    `\ufeff{"tasks": []}`,
    "t.json:1:1: starts with a byte-order mark; save it as UTF-8 without one",
  ],
  [
    // Columns count characters: each emoji is one (two UTF-16 units), each combining mark one.
    "a column after astral characters",
    `{"tasks": [${task({ name: "😀😀", dependencies: ["zz"] })}]}`,
    't.json:1:74: task "😀😀": unknown dependency "zz"',
  ],
  [
    "a column after a combining mark",
    `{"tasks": [${task({ name: "e\u0301🎉", dependencies: ["zz"] })}]}`,
    't.json:1:75: task "e\u0301🎉": unknown dependency "zz"',
  ],
  [
    "a column after astral characters in JSONC",
    `{"tasks": [ // 𝄞𝄞𝄞\n${task({ dependencies: ["zz"] }).replace('"a"', '"a𝄞"')},]}`,
    't.json:2:63: task "a𝄞": unknown dependency "zz"',
  ],
  [
    // JSON makes 1e400 Infinity, which was called not non-negative.
    "a timeout too large for a number",
    `{"tasks": [${task({}).replace("}", ', "timeout": 1e400}')}]}`,
    't.json:1:69: task "a": "timeout" must be at most 596h31m23.647s (24.8 days), not Infinity',
  ],
  [
    // The stat call's own error repeated the path, NUL and all.
    "a NUL in cwd",
    `{"tasks": [${task({ cwd: "x\0y" })}]}`,
    't.json:1:63: task "a": "cwd" holds a NUL',
  ],
  [
    "JSONC comments and trailing commas",
    '{"tasks": [/* c */ {"name": "a", "type": "exec", "arguments": "x",},], // c\n}',
    "valid",
  ],
  [
    "a file valid under the original schema",
    await Deno.readTextFile(new URL("../examples/input1.json", import.meta.url)),
    "valid",
  ],
];

for (const [title, text, expected] of cases) {
  Deno.test(`loading reports: ${title}`, () => {
    const message = check(text);
    if (typeof expected === "string") assert.equal(message, expected);
    else assert.match(message, expected);
  });
}

Deno.test("findCycleInGraph() reports a 100,000-task cycle iteratively, as a path", () => {
  const count = 100_000;
  const dependencies = Array.from({ length: count }, (_, i) => [`t${(i + 1) % count}`]);
  const findCycle = (lists: string[][]) =>
    findCycleInGraph(indexTaskGraph(lists.map((dependencies, i) => ({
      name: `t${i}`,
      type: "exec",
      arguments: "",
      dependencies,
    }))));
  const cycle = findCycle(dependencies);
  assert.equal(cycle?.length, count);
  assert.deepEqual(cycle!.slice(0, 3), [0, 1, 2]);
  const chain = dependencies.map((_, i) => (i + 1 < count ? [`t${i + 1}`] : []));
  assert.equal(findCycle(chain), undefined);
});

Deno.test("error messages stay on one line whatever the input", () => {
  const message = check(`{"tasks": [${task({ name: "x\ny", dependencies: ["p\nq"] })}]}`);
  assert.ok(!message.includes("\n"), message);
});

Deno.test("invalid UTF-8 is placed by its column in characters, not bytes", async () => {
  const path = await Deno.makeTempFile({ suffix: ".json" });
  try {
    // "é" and "😀" are two and four bytes, one column each; the bad byte is the fifth character.
    const bytes = new Uint8Array([
      ...new TextEncoder().encode('{\n"é😀x'),
      0xff,
      ...new TextEncoder().encode('": 1}'),
    ]);
    await Deno.writeFile(path, bytes);
    await assert.rejects(readTaskText(path), (error: unknown) => {
      assert.ok(error instanceof TaskFileError);
      assert.equal(error.message, `${path}:2:5: invalid UTF-8 at byte 10; save it as UTF-8`);
      return true;
    });
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("a long value refused by a pattern is shown by its ends, as a long name is", () => {
  const name = `${"a".repeat(1_000)}\n`;
  const shown = `"${"a".repeat(100)}"…(1001 characters)…"${"a".repeat(99)}\\n"`;
  assert.equal(
    check(`{"tasks": [${task({ name })}]}`),
    `t.json:1:20: task ${shown}: "name" must be a single line, not ${shown}`,
  );
});

Deno.test("/dev/stdin is read as '-' is: paths against the working directory, no history in /dev", async () => {
  const directory = await Deno.makeTempDir({ prefix: "dagrun-stdin-" });
  const devHistory = "/dev/.dagrun_history.json";
  const exists = (path: string) => Deno.stat(path).then(() => true, () => false);
  const existed = await exists(devHistory);
  let created = false;
  try {
    const text = JSON.stringify({
      tasks: [{ name: "a", type: "exec", arguments: "pwd", cwd: "." }],
    });
    const result = await runCli(["/dev/stdin"], { stdin: text, cwd: directory });
    created = !existed && await exists(devHistory);
    assert.equal(result.code, 0, result.stderr);
    // A task's "cwd": "." ran in /dev, the directory of /dev/stdin.
    assert.match(result.stdout, new RegExp(`^\\[a\\] ${await Deno.realPath(directory)}$`, "m"));
    assert.ok(!created, "a duration history was written into /dev");
  } finally {
    if (created) await Deno.remove(devHistory);
    await Deno.remove(directory, { recursive: true });
  }
});

Deno.test({
  name:
    "a FIFO of the user's is read as a stream, as /dev/stdin is: paths against the working directory, no history beside it",
  ignore: Deno.build.os === "windows",
  async fn() {
    const directory = await Deno.makeTempDir({ prefix: "dagrun-fifo-" });
    const fifos = `${directory}/fifos`;
    await Deno.mkdir(fifos);
    try {
      const text = JSON.stringify({
        tasks: [{ name: "a", type: "exec", arguments: "pwd", cwd: "." }],
      });
      const writer = await fifoWriting(`${fifos}/tasks`, text);
      const result = await runCli([`${fifos}/tasks`], { cwd: directory });
      killIfRunning(writer); // Still waiting for a reader if dagrun failed before opening the FIFO.
      await writer.status;
      assert.equal(result.code, 0, result.stderr);
      // It was read as a file: a task's "cwd": "." ran in the FIFO's directory, and the
      // duration history was written beside it.
      assert.match(result.stdout, new RegExp(`^\\[a\\] ${await Deno.realPath(directory)}$`, "m"));
      const beside = [];
      for await (const entry of Deno.readDir(fifos)) beside.push(entry.name);
      assert.deepEqual(beside, ["tasks"], "a duration history was written beside the FIFO");
      // And what the library says of it.
      const again = await fifoWriting(`${fifos}/again`, text);
      const read = await readTaskText(`${fifos}/again`);
      killIfRunning(again);
      await again.status;
      assert.deepEqual(
        { baseDir: read.baseDir, fromStream: read.fromStream },
        { baseDir: Deno.cwd(), fromStream: true },
      );
    } finally {
      await Deno.remove(directory, { recursive: true });
    }
  },
});

Deno.test({
  name: "a regular file is read whole, its directory the base of its paths; a directory is refused",
  async fn() {
    const directory = await Deno.makeTempDir({ prefix: "dagrun-file-" });
    try {
      // Longer than one read of Deno's, to cover the read loop.
      const text = JSON.stringify({ tasks: [], padding: "x".repeat(300_000) });
      await Deno.writeTextFile(`${directory}/tasks.json`, text);
      const read = await readTaskText(`${directory}/tasks.json`);
      assert.equal(read.text, text);
      assert.deepEqual(
        { baseDir: read.baseDir, fromStream: read.fromStream },
        { baseDir: directory, fromStream: false },
      );
      await assert.rejects(
        () => readTaskText(directory),
        (error: Error) =>
          error.message === `${directory}: cannot read task file: it is a directory`,
      );
    } finally {
      await Deno.remove(directory, { recursive: true });
    }
  },
});

Deno.test("a cycle names its tasks unambiguously and within a bounded line", () => {
  const cycle = (a: string, b: string) =>
    check(JSON.stringify({
      tasks: [
        { name: a, type: "exec", arguments: "true", dependencies: [b] },
        { name: b, type: "exec", arguments: "true", dependencies: [a] },
      ],
    }));
  // A name holding the arrow is quoted: bare, it read as two tasks.
  assert.equal(
    cycle("a -> b", "c"),
    't.json:1:76: task "a -> b": dependency cycle: "a -> b" -> c -> "a -> b"',
  );
  // Two names of 5 MB made a 15 MB line; each is shown by its ends, as in other messages.
  const [a, b] = ["a".repeat(5_000_000), "b".repeat(5_000_000)];
  const shown = (letter: string) =>
    `"${letter.repeat(100)}"…(5000000 characters)…"${letter.repeat(100)}"`;
  assert.equal(
    cycle(a, b),
    `t.json:1:5000070: task ${shown("a")}: dependency cycle: ${shown("a")} -> ${shown("b")} -> ${
      shown("a")
    }`,
  );
});

Deno.test({
  name:
    "a task file or schema from a stream without end (/dev/zero) is refused past 256 MiB, not read until memory runs out",
  ignore: Deno.build.os !== "linux",
  async fn() {
    // Through a link elsewhere too: the path says nothing of a stream, the open file does.
    const directory = await Deno.makeTempDir({ prefix: "dagrun-zero-" });
    const link = `${directory}/zeros.json`;
    await Deno.symlink("/dev/zero", link);
    try {
      for (
        const [path, dagrunArgs, what] of [
          ["/dev/zero", ["/dev/zero"], "task file"],
          [link, [link], "task file"],
          // A schema is read as the task file is.
          [link, ["--schema", link, "/dev/null"], "schema"],
        ] as const
      ) {
        const { code, stderr } = await runCliUnderDataLimit(dagrunArgs);
        assert.equal(code, 2);
        assert.equal(
          stderr,
          `dagrun: ${path}: cannot read ${what}: it goes on past 256 MiB (a stream such as /dev/zero?)\n`,
        );
      }
    } finally {
      await Deno.remove(directory, { recursive: true });
    }
  },
});
