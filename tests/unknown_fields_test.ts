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
