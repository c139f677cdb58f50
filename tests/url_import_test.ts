/**
 * dagrun imported by URL, as a user without a checkout would: the repository is served over
 * HTTP on 127.0.0.1, and a script in an empty temporary directory, run with `--no-config`
 * (so our deno.json, its lock file and any import map are out of the picture), imports
 * `mod.ts` from there.
 */

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { runCommand, serveFiles } from "./plugin_helpers.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
/** `--reload` for the server's origin: a port may be reused, and Deno caches by URL. */
const flags = (origin: string) => [
  "run",
  "-A",
  "--no-config",
  "--no-lock",
  "--quiet",
  `--reload=${origin}`,
];

const CONSUMER = (origin: string) => `
import { createDefaultRegistry, registerExecutorModules, run } from "${origin}/mod.ts";

const lines: string[] = [];
const report = await run([
  { name: "build", type: "exec", arguments: "echo built" },
  { name: "js", type: "eval", arguments: "console.log(6 * 7)", dependencies: ["build"] },
  { name: "ts", type: "eval", arguments: "const n: number = 2; console.log(n ** 10)", dependencies: ["build"] },
  { name: "imports", type: "eval", arguments: "import { basename } from 'node:path'; console.log(basename('/a/b.txt'))" },
], { onEvent: (event) => { if (event.event === "output") lines.push(event.task + ": " + event.text); } });
console.log(JSON.stringify({ ok: report.ok, counts: report.counts, lines: lines.sort() }));
`;

Deno.test("mod.ts imported by URL runs exec and eval tasks without our config", async () => {
  await using server = serveFiles(ROOT);
  const directory = await Deno.makeTempDir({ prefix: "dagrun-consumer-" });
  await Deno.writeTextFile(`${directory}/main.ts`, CONSUMER(server.origin));
  const result = await runCommand(Deno.execPath(), [...flags(server.origin), "main.ts"], {
    cwd: directory,
  });
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(JSON.parse(result.stdout), {
    ok: true,
    counts: { ok: 4, failed: 0, skipped: 0 },
    lines: ["build: built", "imports: b.txt", "js: 42", "ts: 1024"],
  });
  const paths = new Set(server.requests.map((request) => request.path));
  // The eval workers came from the server too, and so did the JSON module.
  for (const path of ["/mod.ts", "/executors/eval_worker.ts", "/deno.json"]) {
    assert.ok(paths.has(path), `${path} was not fetched: ${[...paths].join(" ")}`);
  }
  assert.ok(!paths.has("/deno.lock"), "nothing asks for the lock file");
});

Deno.test("the CLI runs from its URL, with a plugin from a URL too", async () => {
  await using server = serveFiles(ROOT);
  const directory = await Deno.makeTempDir({ prefix: "dagrun-consumer-" });
  await Deno.writeTextFile(
    `${directory}/tasks.json`,
    JSON.stringify({
      tasks: [
        { name: "hello", type: "exec", arguments: "echo hello" },
        { name: "sum", type: "eval", arguments: "console.log(1 + 2)", dependencies: ["hello"] },
        { name: "fetch", type: "http", arguments: { url: `${server.origin}/deno.json` } },
      ],
    }),
  );
  const result = await runCommand(Deno.execPath(), [
    ...flags(server.origin),
    `${server.origin}/mod.ts`,
    "--executor",
    `${server.origin}/executors/http.ts`,
    "tasks.json",
  ], { cwd: directory });
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^\[hello\] hello$/m);
  assert.match(result.stdout, /^\[sum\] 3$/m);
  assert.match(result.stdout, /^\[fetch\] +"name": "@dagrun\/dagrun",$/m);
  assert.match(result.stdout, /^3 tasks: 3 ok, 0 failed, 0 skipped/m);
});

Deno.test("the CLI from a server that sends .ts files as another type says so on one line", async () => {
  // Python's http.server sends .ts as text/vnd.trolltech.linguist: the late JSONC module then
  // failed to parse as JavaScript, and dagrun ended with "internal error" (exit 70).
  await using server = serveFiles(ROOT, { ".ts": "text/vnd.trolltech.linguist" });
  const directory = await Deno.makeTempDir({ prefix: "dagrun-consumer-" });
  await Deno.writeTextFile(`${directory}/tasks.jsonc`, '{ "tasks": [] } // JSONC');
  const bundle = `${server.origin}/dist/dagrun.js`;
  /** The bundle from the server, run on `file` in the directory. */
  const runBundle = (file: string) =>
    runCommand(Deno.execPath(), [...flags(server.origin), bundle, file], { cwd: directory });
  const result = await runBundle("tasks.jsonc");
  assert.equal(result.code, 2, result.stderr);
  assert.match(
    result.stderr,
    new RegExp(
      `^dagrun: ${server.origin}/src/deps/jsonc\\.ts: cannot load dagrun's module: ` +
        "(SyntaxError: .+ at \\d+:\\d+|Expected a JavaScript or TypeScript module, .+) " +
        "\\(its server must send \\.ts files as TypeScript: application/typescript\\)\n$",
    ),
  );
  // The eval worker's module alike: the task's failure is that line (Deno's own report of the
  // worker's error still goes to stderr first).
  await Deno.writeTextFile(
    `${directory}/eval.json`,
    '{ "tasks": [{ "name": "e", "type": "eval", "arguments": "1" }] }',
  );
  const evaluated = await runBundle("eval.json");
  assert.equal(evaluated.code, 1, evaluated.stderr);
  assert.match(
    evaluated.stdout,
    new RegExp(
      `^e +eval +failed +\\S+ +Cannot start an eval worker: ${server.origin}/executors/` +
        "eval_worker\\.ts: cannot load dagrun's module: SyntaxError: .+ at \\d+:\\d+ " +
        "\\(its server must send \\.ts files as TypeScript: application/typescript\\)$",
      "m",
    ),
  );
});

Deno.test("third-party modules are imported only in src/deps/, with pinned npm: specifiers", async () => {
  const offenders: string[] = [];
  const files = ["mod.ts"];
  const directories = ["src", "executors"];
  for (let directory; (directory = directories.pop()) !== undefined;) {
    for await (const entry of Deno.readDir(`${ROOT}/${directory}`)) {
      const path = `${directory}/${entry.name}`;
      if (entry.isDirectory) directories.push(path);
      else if (entry.name.endsWith(".ts")) files.push(path);
    }
  }
  for (const file of files) {
    const text = await Deno.readTextFile(`${ROOT}/${file}`);
    // Static imports and re-exports; doc examples are in comments and start with " * ".
    for (const match of text.matchAll(/^(?:import|export)\s(?:[^;]*?\sfrom\s)?\s*"([^"]+)"/gms)) {
      const specifier = match[1]!;
      if (specifier.startsWith(".") || specifier.startsWith("node:")) continue;
      // An exact version, optionally with a path inside the package.
      const pinned = /^npm:(@[^/]+\/)?[^@/]+@\d+\.\d+\.\d+(\/[\w./-]+)?$/.test(specifier);
      if (!file.startsWith("src/deps/") || !pinned) offenders.push(`${file}: ${specifier}`);
    }
  }
  assert.deepEqual(offenders, []);
  const config = JSON.parse(await Deno.readTextFile(`${ROOT}/deno.json`));
  assert.equal(config.imports, undefined, "no import map: URL importers would not have it");
  assert.equal(config.importMap, undefined, "no import map: URL importers would not have it");
});
