/**
 * Plugins that fail to load say where: a syntax error names the file, line and column of the
 * module that has it (the plugin, or a module it imports), on one line, exit status 2.
 */

import assert from "node:assert/strict";
import { importExecutors } from "../src/plugins.ts";
import { TaskFileError } from "../src/errors.ts";
import { serveFiles } from "./plugin_helpers.ts";
import { runCli } from "./helpers.ts";

/** A plugin whose third line has a syntax error at column 8. */
const BROKEN = 'export default {\n  type: "x",\n  run( => 1,\n};\n';
const TASKS = JSON.stringify({ tasks: [{ name: "a", type: "exec", arguments: "true" }] });

async function directoryWith(files: Record<string, string>): Promise<string> {
  const directory = await Deno.makeTempDir({ prefix: "dagrun-plugin-errors-" });
  for (const [path, content] of Object.entries(files)) {
    const full = `${directory}/${path}`;
    await Deno.mkdir(full.slice(0, full.lastIndexOf("/")), { recursive: true });
    await Deno.writeTextFile(full, content);
  }
  return directory;
}

/** The message of a syntax error, up to where its place is given. */
const SYNTAX = "cannot load: SyntaxError: Unexpected token `=>`\\. [^\\n]*";

Deno.test("--executor with a syntax error names the plugin's file, line and column", async () => {
  const cwd = await directoryWith({ "p.ts": BROKEN, "tasks.json": TASKS });
  const result = await runCli(["--executor", "./p.ts", "tasks.json"], { cwd });
  assert.equal(result.code, 2, result.stderr);
  assert.match(
    result.stderr,
    new RegExp(`^dagrun: executor module "\\./p\\.ts": ${SYNTAX} at \\./p\\.ts:3:8\\n$`),
  );
  assert.equal(result.stdout, "");
});

Deno.test("a task file's plugin with a syntax error: the file's place, then the plugin's", async () => {
  const cwd = await directoryWith({
    "plugins/p.ts": BROKEN,
    "tasks.json": JSON.stringify({
      executors: { x: "./plugins/p.ts" },
      tasks: [{ name: "a", type: "x", arguments: "" }],
    }),
  });
  const result = await runCli(["tasks.json"], { cwd });
  assert.equal(result.code, 2, result.stderr);
  assert.match(
    result.stderr,
    new RegExp(
      `^dagrun: tasks\\.json:1:19: executor module "\\./plugins/p\\.ts": ${SYNTAX} ` +
        `at \\./plugins/p\\.ts:3:8\\n$`,
    ),
  );
});

Deno.test("a syntax error in a module a plugin imports names that module", async () => {
  const cwd = await directoryWith({
    "plugin.ts": 'import "./lib/broken.ts";\nexport default {};\n',
    "lib/broken.ts": BROKEN,
    "tasks.json": TASKS,
  });
  const result = await runCli(["--executor", "./plugin.ts", "tasks.json"], { cwd });
  assert.equal(result.code, 2, result.stderr);
  assert.match(
    result.stderr,
    new RegExp(
      `^dagrun: executor module "\\./plugin\\.ts": ${SYNTAX} at \\./lib/broken\\.ts:3:8\\n$`,
    ),
  );
});

Deno.test("a module a plugin imports that does not exist: the import's place", async () => {
  const cwd = await directoryWith({
    "plugin.ts": 'import "./missing.ts";\nexport default {};\n',
    "tasks.json": TASKS,
  });
  const result = await runCli(["--executor", "./plugin.ts", "tasks.json"], { cwd });
  assert.equal(result.code, 2, result.stderr);
  assert.match(
    result.stderr,
    /^dagrun: executor module "\.\/plugin\.ts": cannot load: Module not found "[^"]*\/missing\.ts"\. at \.\/plugin\.ts:1:8\n$/,
  );
});

Deno.test("a plugin by URL with a syntax error names the URL, line and column", async () => {
  const root = await directoryWith({ "p.ts": BROKEN, "tasks.json": TASKS });
  await using server = serveFiles(root);
  const url = `${server.origin}/p.ts`;
  const result = await runCli(["--executor", url, "tasks.json"], { cwd: root });
  assert.equal(result.code, 2, result.stderr);
  const quoted = url.replaceAll(".", "\\.");
  assert.match(
    result.stderr,
    new RegExp(`^dagrun: executor module "${quoted}": ${SYNTAX} at ${quoted}:3:8\\n$`),
  );
});

Deno.test("importExecutors() names the place of a syntax error too", async () => {
  const baseDir = await directoryWith({ "p.ts": BROKEN });
  await assert.rejects(importExecutors("./p.ts", { baseDir }), (error: unknown) => {
    assert.ok(error instanceof TaskFileError);
    assert.match(error.message, new RegExp(`${SYNTAX} at \\./p\\.ts:3:8$`));
    assert.doesNotMatch(error.message, /\n/);
    return true;
  });
});

Deno.test("a syntax error V8 finds, not Deno's parser, is named and placed the same way", async () => {
  // Deno's parser passes a redeclaration; V8 refuses it as it compiles the module, with a
  // SyntaxError whose message ends with the place on the same line.
  const REDECLARED = "const a = 1;\nconst a = 2;\nexport default {};\n";
  const cwd = await directoryWith({
    "p.js": REDECLARED,
    "q.ts": 'import "./lib/dup.js";\nexport default {};\n',
    "lib/dup.js": REDECLARED,
    "tasks.json": TASKS,
  });
  for (const [plugin, place] of [["./p.js", "./p.js:2:7"], ["./q.ts", "./lib/dup.js:2:7"]]) {
    const result = await runCli(["--executor", plugin!, "tasks.json"], { cwd });
    assert.equal(result.code, 2, result.stderr);
    assert.equal(
      result.stderr,
      `dagrun: executor module "${plugin}": cannot load: ` +
        `SyntaxError: Identifier 'a' has already been declared at ${place}\n`,
    );
  }
});

Deno.test("TypeScript served as a type Deno does not know is read as JavaScript: a SyntaxError", async () => {
  // Python's http.server sends .ts as text/vnd.trolltech.linguist (Debian's mime.types); Deno
  // reads a module of a type it does not know, imported by a computed specifier, as JavaScript.
  const root = await directoryWith({
    "p.ts":
      'const greeting: string = "hi";\nexport default { type: "x", run: () => ({ ok: true }) };\n',
    "tasks.json": TASKS,
  });
  await using server = serveFiles(root, { ".ts": "text/vnd.trolltech.linguist" });
  const url = `${server.origin}/p.ts`;
  // Without the lock file: the module is fetched before V8 refuses it, and a random port must
  // not end up in deno.lock.
  const result = await runCli(["--executor", url, "tasks.json"], {
    cwd: root,
    denoFlags: ["--no-lock"],
  });
  assert.equal(result.code, 2, result.stderr);
  assert.equal(
    result.stderr,
    `dagrun: executor module "${url}": cannot load: ` +
      `SyntaxError: Missing initializer in const declaration at ${url}:1:7\n`,
  );
});

Deno.test("a plugin that throws as it loads names the error and where it was thrown", async () => {
  const cwd = await directoryWith({
    "p.ts":
      'const found = false;\nif (!found) throw new Error("no config found");\nexport default {};\n',
    "q.ts": 'import "./lib/dep.ts";\nexport default {};\n',
    "lib/dep.ts": 'export const x = 1;\nthrow new RangeError("too deep");\n',
    "s.ts": 'throw "a string";\n',
    "tasks.json": TASKS,
  });
  for (
    const [plugin, message] of [
      ["./p.ts", "Error: no config found at ./p.ts:2:19"],
      ["./q.ts", "RangeError: too deep at ./lib/dep.ts:2:7"],
      // Not an Error: no name, no place to give.
      ["./s.ts", "a string"],
    ]
  ) {
    const result = await runCli(["--executor", plugin!, "tasks.json"], { cwd });
    assert.equal(result.code, 2, result.stderr);
    assert.equal(
      result.stderr,
      `dagrun: executor module ${JSON.stringify(plugin)}: cannot load: ${message}\n`,
    );
  }
});
