/**
 * Fields that look like dagrun's own misspelled are named in a warning: the file stays valid
 * (the original schema allows any field), but a task whose `dependecies` are ignored would
 * otherwise run before them without a word.
 *
 * @module
 */

import assert from "node:assert/strict";
import { parseTaskFile } from "../src/load.ts";
import { runCli, writeTaskFile } from "./helpers.ts";
import { Ajv } from "../src/deps/ajv.ts";
import eventsSchema from "../schema/events.schema.json" with { type: "json" };

const TEXT = `{
  "concurency": 2,
  "defaults": { "timout": "5s", "retries": 0 },
  "tasks": [
    { "name": "a", "type": "exec", "arguments": "echo a" },
    { "name": "b", "type": "exec", "arguments": "echo b", "dependecies": ["a"], "description": "kept" },
    { "name": "c", "type": "exec", "arguments": "echo c", "deps": ["a"], "Cwd": ".", "id": 3 },
    { "name": "d", "type": "exec", "arguments": "echo d", "dependsOn": ["a"], "timeoutMs": 5 }
  ]
}`;

Deno.test("parseTaskFile() names each misspelled field with its place and task, and only those", () => {
  const taskFile = parseTaskFile(TEXT, { file: "tasks.json" });
  assert.deepEqual(taskFile.warnings, [
    'tasks.json:2:17: unknown field "concurency" (did you mean "concurrency"?); it is ignored',
    'tasks.json:3:27: unknown field "defaults.timout" (did you mean "timeout"?); it is ignored',
    'tasks.json:6:74: task "b": unknown field "dependecies" (did you mean "dependencies"?); it is ignored',
    'tasks.json:7:67: task "c": unknown field "deps" (did you mean "dependencies"?); it is ignored',
    'tasks.json:7:81: task "c": unknown field "Cwd" (did you mean "cwd"?); it is ignored',
    'tasks.json:8:72: task "d": unknown field "dependsOn" (did you mean "dependencies"?); it is ignored',
    'tasks.json:8:92: task "d": unknown field "timeoutMs" (did you mean "timeout"?); it is ignored',
  ]);
  assert.deepEqual(taskFile.warningDetails?.[2], {
    message: taskFile.warnings?.[2],
    detail: 'unknown field "dependecies" (did you mean "dependencies"?); it is ignored',
    position: { file: "tasks.json", line: 6, column: 74 },
    task: "b",
  });
  assert.equal(taskFile.warningDetails?.[0]?.task, undefined);
});

Deno.test("parseTaskFile() has no warning for a file of known fields, nor for a field of the file's own", () => {
  const known = parseTaskFile(
    JSON.stringify({
      $schema: "x",
      concurrency: 1,
      defaults: { timeout: 1, retries: 1, retryDelay: 1, env: {}, cwd: ".", allowFailure: true },
      tasks: [{
        name: "a",
        type: "exec",
        arguments: "true",
        dependencies: [],
        timeout: 1,
        retries: 1,
        retryDelay: 1,
        env: { dependecies: "x" },
        cwd: ".",
        allowFailure: false,
        description: "a field of the file's own",
        owner: "someone",
      }],
    }),
  );
  assert.deepEqual(known.warnings, []);
});

Deno.test("parseTaskFile() names a task option at the top level and a task's field in defaults, which would be ignored", () => {
  const taskFile = parseTaskFile(
    `{
  "env": { "CI": "1" },
  "timeout": "5m",
  "defaults": { "dependencies": ["setup"], "needs": ["setup"], "retries": 1, "concurrency": 2 },
  "tasks": [
    { "name": "setup", "type": "exec", "arguments": "true" },
    { "name": "build", "type": "exec", "arguments": "true" }
  ]
}`,
    { file: "tasks.json" },
  );
  const only = ' "defaults" gives only timeout, retries, retryDelay, env, cwd, allowFailure';
  assert.deepEqual(taskFile.warnings, [
    'tasks.json:2:10: unknown field "env" (did you mean "defaults.env"?); it is ignored',
    'tasks.json:3:14: unknown field "timeout" (did you mean "defaults.timeout"?); it is ignored',
    `tasks.json:4:33: unknown field "defaults.dependencies" (a task's own field:${only}); it is ignored`,
    `tasks.json:4:53: unknown field "defaults.needs" (a task's own field:${only}); it is ignored`,
    // A file-wide field that `defaults` does not give: no limit at all, without a word, before.
    'tasks.json:4:93: unknown field "defaults.concurrency" (did you mean the top-level "concurrency"?); it is ignored',
  ]);
});

Deno.test("parseTaskFile() with a schema of the caller's leaves its fields to it", () => {
  const taskFile = parseTaskFile(TEXT, { schema: { type: "object" } });
  assert.deepEqual(taskFile.warnings, []);
});

Deno.test("dagrun warns of a misspelled field on stderr before the run, which goes on", async () => {
  const file = await writeTaskFile({
    tasks: [
      { name: "a", type: "exec", arguments: "echo a" },
      { name: "b", type: "exec", arguments: "echo b", dependecies: ["a"] },
    ],
  });
  try {
    for (const args of [[file, "--no-history", "-q"], ["validate", file]]) {
      const { code, stderr } = await runCli(args);
      assert.equal(code, 0);
      assert.equal(
        stderr,
        `dagrun: warning: ${file}:1:120: task "b": unknown field "dependecies" ` +
          `(did you mean "dependencies"?); it is ignored\n`,
      );
    }
  } finally {
    await Deno.remove(file.replace(/\/tasks\.json$/, ""), { recursive: true });
  }
});

Deno.test("with --format ndjson a misspelled field is a warning event right after run_started, and still on stderr", async () => {
  const file = await writeTaskFile(
    `{
  "tasks": [
    { "name": "a", "type": "exec", "arguments": "echo a" },
    { "name": "b", "type": "exec", "arguments": "echo b", "dependecies": ["a"] }
  ],
  "concurency": 2
}`,
  );
  const directory = file.replace(/\/tasks\.json$/, "");
  const reportPath = `${directory}/run.ndjson`;
  try {
    const validateEvent = new Ajv({ strict: false }).compile(eventsSchema);
    const lines = [
      `${file}:6:17: unknown field "concurency" (did you mean "concurrency"?); it is ignored`,
      `${file}:4:74: task "b": unknown field "dependecies" (did you mean "dependencies"?); it is ignored`,
    ];
    const expected = [
      { event: "warning", message: lines[0] },
      { event: "warning", task: "b", message: lines[1] },
    ];
    const { code, stdout, stderr } = await runCli([file, "--no-history", "--format", "ndjson"]);
    assert.equal(code, 0, stderr);
    // A person watching the terminal while the NDJSON goes to a program still sees them.
    assert.equal(stderr, lines.map((line) => `dagrun: warning: ${line}\n`).join(""));
    const events = stdout.trimEnd().split("\n").map((line) => JSON.parse(line));
    for (const event of events) assert.ok(validateEvent(event), JSON.stringify(event));
    assert.equal(events[0].event, "run_started");
    assert.deepEqual(events.slice(1, 3).map(({ time: _, ...event }) => event), expected);
    assert.equal(events.filter((event) => event.event === "warning").length, 2);
    assert.equal(events[3].event, "task_started");

    // The --report file of a human run holds them in the same place.
    const human = await runCli([file, "--no-history", "-q", "--report", reportPath]);
    assert.equal(human.code, 0, human.stderr);
    const reported = (await Deno.readTextFile(reportPath)).trimEnd().split("\n")
      .map((line) => JSON.parse(line));
    assert.equal(reported[0].event, "run_started");
    assert.deepEqual(reported.slice(1, 3).map(({ time: _, ...event }) => event), expected);
  } finally {
    await Deno.remove(directory, { recursive: true });
  }
});

Deno.test("a warning's line escapes the control characters of the file's path and of the task's name", async () => {
  // An escape in the path would drive the terminal; U+009B (CSI) passes JSON's quoting raw.
  const file = await writeTaskFile(
    { tasks: [{ name: "a\u009b2J", type: "exec", arguments: "true", dependecies: [] }] },
    "x\u001b[31m.json",
  );
  try {
    const { code, stderr } = await runCli([file, "--no-history", "-q"]);
    assert.equal(code, 0, stderr);
    assert.equal(
      stderr,
      `dagrun: warning: ${file.replace("\u001b", "\\u001b")}:1:73: task "a\\u009b2J": ` +
        `unknown field "dependecies" (did you mean "dependencies"?); it is ignored\n`,
    );
  } finally {
    await Deno.remove(file.replace(/\/[^/]*$/, ""), { recursive: true });
  }
});
