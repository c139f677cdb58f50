import assert from "node:assert/strict";
import { fileURLToPath as fromFileUrl } from "node:url";
import { runCli, writeTaskFile } from "./helpers.ts";
import { serve } from "./plugin_helpers.ts";
import { createDefaultRegistry, run } from "../src/run.ts";
import { importExecutors, registerExecutorModules } from "../src/plugins.ts";
import { parseTaskFile } from "../src/load.ts";

const HTTP_PLUGIN = fromFileUrl(new URL("../executors/http.ts", import.meta.url));

/** A plugin printing its argument in capitals, as a user would write it. */
const SHOUT = `export default {
  type: "shout",
  argumentsSchema: { type: "string", minLength: 1 },
  run(task, context) {
    context.output("stdout", String(task.arguments).toUpperCase());
    return Promise.resolve({ ok: true });
  },
};
`;

async function tempDir(files: Record<string, string>): Promise<string> {
  const directory = await Deno.makeTempDir({ prefix: "dagrun-plugins-" });
  for (const [name, text] of Object.entries(files)) {
    await Deno.writeTextFile(`${directory}/${name}`, text);
  }
  return directory;
}

Deno.test("--executor loads the http plugin; a non-2xx status fails its task", async () => {
  await using server = serve((request) =>
    new URL(request.url).pathname === "/ok"
      ? new Response("healthy\n")
      : new Response("no", { status: 503, statusText: "Service Unavailable" })
  );
  const file = await writeTaskFile({
    tasks: [
      { name: "up", type: "http", arguments: { url: `${server.origin}/ok` } },
      { name: "down", type: "http", arguments: { url: `${server.origin}/down` } },
      { name: "after", type: "exec", arguments: "echo never", dependencies: ["down"] },
    ],
  });
  const result = await runCli(["--executor", HTTP_PLUGIN, file]);
  assert.equal(result.code, 1, result.stderr);
  assert.match(result.stdout, /^\[up\] healthy$/m);
  assert.match(result.stdout, /^down +http +failed .*HTTP 503 Service Unavailable$/m);
  assert.match(result.stdout, /^after +exec +skipped/m);
});

Deno.test("a task file's executors map loads plugins relative to the file", async () => {
  const directory = await tempDir({
    "shout.ts": SHOUT,
    "tasks.json": JSON.stringify({
      executors: { shout: "./shout.ts" },
      tasks: [{ name: "loud", type: "shout", arguments: "hello" }],
    }),
  });
  // Run from elsewhere: the module must resolve against the task file, not the cwd.
  const result = await runCli([`${directory}/tasks.json`], { cwd: Deno.cwd() });
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^\[loud\] HELLO$/m);
});

Deno.test("a plugin's argument schema gives positioned errors before anything runs", async () => {
  const directory = await tempDir({
    "shout.ts": SHOUT,
    "tasks.json": `{
  "executors": { "shout": "./shout.ts" },
  "tasks": [
    { "name": "first", "type": "exec", "arguments": "echo ran" },
    { "name": "quiet", "type": "shout", "arguments": "" }
  ]
}
`,
  });
  const result = await runCli([`${directory}/tasks.json`]);
  assert.equal(result.code, 2);
  assert.equal(result.stdout, "");
  assert.equal(
    result.stderr,
    `dagrun: ${directory}/tasks.json:5:54: task "quiet": "arguments" must not be empty\n`,
  );
});

Deno.test("bad plugin modules are one-line errors naming the module, exit 2", async (t) => {
  const directory = await tempDir({
    "none.ts": "export const executor = {};\n",
    "number.ts": "export default 42;\n",
    "norun.ts": 'export default { type: "x" };\n',
    "broken.ts": 'export default { type: "x" run() {} };\n',
    "throws.ts": 'throw new Error("plugin exploded");\n',
  });
  const file = await writeTaskFile({ tasks: [{ name: "a", type: "exec", arguments: "echo ran" }] });
  const cases: [string, RegExp][] = [
    ["missing.ts", /: cannot load: no such file$/],
    ["none.ts", /: has no default export; export an executor or an array of executors/],
    ["number.ts", /: default export is not an executor/],
    ["norun.ts", /: default export \(type "x"\) is not an executor: it has no run\(\) function$/],
    ["broken.ts", /: cannot load: SyntaxError: /],
    ["throws.ts", /: cannot load: plugin exploded$/],
  ];
  for (const [name, expected] of cases) {
    await t.step(name, async () => {
      const result = await runCli(["--executor", `${directory}/${name}`, file]);
      assert.equal(result.code, 2);
      assert.equal(result.stdout, "", "nothing ran");
      const lines = result.stderr.trimEnd().split("\n");
      assert.equal(lines.length, 1, result.stderr);
      assert.ok(lines[0]!.startsWith(`dagrun: executor module "${directory}/${name}"`), lines[0]);
      assert.match(lines[0]!, expected);
    });
  }
});

Deno.test("a plugin may replace a built-in type only when it says override: true", async () => {
  const directory = await tempDir({
    "exec.ts": 'export default { type: "exec", run: () => Promise.resolve({ ok: true }) };\n',
    "exec_override.ts": `export default {
  type: "exec",
  override: true,
  run(task, context) {
    context.output("stdout", "replaced: " + task.arguments);
    return Promise.resolve({ ok: true });
  },
};
`,
  });
  const file = await writeTaskFile({ tasks: [{ name: "a", type: "exec", arguments: "exit 1" }] });
  const refused = await runCli(["--executor", `${directory}/exec.ts`, file]);
  assert.equal(refused.code, 2);
  assert.match(
    refused.stderr,
    /^dagrun: executor module ".*exec\.ts": type "exec" is already registered as a built-in; set "override: true" on the executor to replace it\n$/,
  );
  const replaced = await runCli(["--executor", `${directory}/exec_override.ts`, file]);
  assert.equal(replaced.code, 0, replaced.stderr);
  assert.match(replaced.stdout, /^\[a\] replaced: exit 1$/m);
});

Deno.test("unknown types are still caught before anything runs when plugins are loaded", async () => {
  const file = await writeTaskFile({
    tasks: [
      { name: "a", type: "exec", arguments: "echo ran" },
      { name: "b", type: "htp", arguments: { url: "http://127.0.0.1:1/" } },
    ],
  });
  const result = await runCli(["--executor", HTTP_PLUGIN, file]);
  assert.equal(result.code, 2);
  assert.equal(result.stdout, "");
  assert.match(
    result.stderr,
    /task "b": unknown type "htp" \(did you mean "http"\?\); registered types: eval, exec, http\n$/,
  );
});

Deno.test("a task file's executors entry must name a module holding that type", async () => {
  const directory = await tempDir({
    "shout.ts": SHOUT,
    "tasks.json": `{
  "executors": {
    "yell": "./shout.ts"
  },
  "tasks": [{ "name": "a", "type": "yell", "arguments": "x" }]
}`,
  });
  const result = await runCli([`${directory}/tasks.json`]);
  assert.equal(result.code, 2);
  assert.equal(
    result.stderr,
    `dagrun: ${directory}/tasks.json:3:13: executor module "./shout.ts": has no executor of type "yell"; it has "shout"\n`,
  );
});

Deno.test("an executors map that is not type-to-module strings is a schema error", async () => {
  const file = await writeTaskFile('{ "executors": { "http": 3 }, "tasks": [] }');
  const result = await runCli(["validate", file]);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /:1:26: "executors\.http" must be a string, not a number \(3\)\n$/);
});

Deno.test("the same plugin named by --executor and by the task file loads once", async () => {
  await using server = serve(() => new Response("pong"));
  const file = await writeTaskFile({
    executors: { http: HTTP_PLUGIN },
    tasks: [{ name: "ping", type: "http", arguments: { url: server.origin } }],
  });
  const result = await runCli(["--executor", HTTP_PLUGIN, file]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^\[ping\] pong$/m);
});

Deno.test("run() loads a task file's executors into a copy of the registry", async () => {
  await using server = serve(() => new Response("pong"));
  const taskFile = parseTaskFile(
    JSON.stringify({
      executors: { http: "../executors/http.ts" },
      tasks: [{ name: "ping", type: "http", arguments: { url: server.origin } }],
    }),
    { file: "inline.json", baseDir: fromFileUrl(new URL(".", import.meta.url)) },
  );
  const registry = createDefaultRegistry();
  const report = await run(taskFile, { registry });
  assert.equal(report.ok, true);
  assert.equal(registry.has("http"), false, "the caller's registry is left alone");
});

Deno.test("importExecutors() and registerExecutorModules() accept an array default export", async () => {
  const directory = await tempDir({
    "pair.ts": `const make = (type) => ({ type, run: () => Promise.resolve({ ok: true }) });
export default [make("one"), make("two")];
`,
  });
  const executors = await importExecutors("pair.ts", { baseDir: directory });
  assert.deepEqual(executors.map((executor) => executor.type), ["one", "two"]);
  const registry = createDefaultRegistry();
  await registerExecutorModules(registry, [`${directory}/pair.ts`]);
  assert.deepEqual(registry.types(), ["eval", "exec", "one", "two"]);
});

Deno.test("the README's plugin example runs from a separate directory with --executor", async () => {
  const readme = await Deno.readTextFile(new URL("../README.md", import.meta.url));
  const block = (after: string, language: string) => {
    const start = readme.indexOf("```" + language + "\n", readme.indexOf(after));
    assert.ok(start !== -1, `no ${language} block after ${after}`);
    const body = start + language.length + 4;
    return readme.slice(body, readme.indexOf("```\n", body));
  };
  const directory = await tempDir({
    "sha256.ts": block("This one checks a file's SHA-256", "ts"),
    "tasks.json": block("and a `tasks.json` beside it", "json"),
  });
  const result = await runCli(["--executor", "./sha256.ts", "tasks.json"], { cwd: directory });
  assert.equal(result.code, 0, result.stderr);
  assert.match(
    result.stdout,
    /^\[verify\] 3879a5d930ae1999b278a3a498f7de3fd83ba8dae59330fcfa2db31c103ac21d {2}app\.js$/m,
  );
});
