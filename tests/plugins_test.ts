import assert from "node:assert/strict";
import { fileURLToPath as fromFileUrl } from "node:url";
import { denoEval, runCli, writeTaskFile } from "./helpers.ts";
import { serve } from "./plugin_helpers.ts";
import { survivors } from "./reliability_helpers.ts";
import { createDefaultRegistry, run } from "../src/run.ts";
import {
  importExecutors,
  registerExecutorModules,
  registerTaskFileExecutors,
} from "../src/plugins.ts";
import { parseTaskFile } from "../src/load.ts";
import type { Executor } from "../src/types.ts";

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

/** A module of the repository, from this file, as a string literal for a script's `import`. */
function moduleSpecifier(path: string): string {
  return JSON.stringify(new URL(path, import.meta.url).href);
}

/**
 * The standard output of `script`, run by `deno eval` in a process of its own that exits (0)
 * once the script has run, as the command line does: a plugin module whose evaluation stays
 * pending is then not reported by Deno, as it is when a process ends of itself. Its standard
 * error is the message of an exit other than 0.
 */
async function evalUntilExit(script: string): Promise<string> {
  const { code, stdout, stderr } = await denoEval(`${script}\nDeno.exit(0);\n`);
  assert.equal(code, 0, stderr);
  return stdout;
}

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
    "getter.ts": 'export default { type: "g", get run() { throw new Error("getter boom"); } };\n',
    "proxy.ts": 'export default new Proxy({}, { get() { throw new Error("proxy boom"); } });\n',
    "async.ts": 'export default { type: "s", argumentsSchema: { $async: true, type: "number" }, ' +
      "run: () => ({ ok: true }) };\n",
  });
  const file = await writeTaskFile({ tasks: [{ name: "a", type: "exec", arguments: "echo ran" }] });
  const cases: [string, RegExp][] = [
    ["missing.ts", /: cannot load: no such file or directory$/],
    ["none.ts", /: has no default export; export an executor or an array of executors/],
    ["number.ts", /: default export is not an executor/],
    ["norun.ts", /: default export \(type "x"\) is not an executor: it has no run\(\) function$/],
    ["broken.ts", /: cannot load: SyntaxError: /],
    ["throws.ts", /: cannot load: Error: plugin exploded at \S*throws\.ts:1:7$/],
    ["getter.ts", /: its default export cannot be read: getter boom$/],
    ["proxy.ts", /: its default export cannot be read: proxy boom$/],
    ["async.ts", /: executor "s": argumentsSchema must not be "\$async"$/],
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

Deno.test("a plugin that throws in prepare() stops the run before it starts; one in dispose() leaves the report", async () => {
  const directory = await tempDir({
    "prepare.ts":
      'export default { type: "p", prepare() { throw new Error("prep boom"); }, run: async () => ({ ok: true }) };\n',
    "dispose.ts":
      'export default { type: "d", dispose() { throw new Error("dispose boom"); }, run: async () => ({ ok: true }) };\n',
    "bad.ts": 'export default { type: "b", run: () => 42 };\n',
  });
  const prepare = await writeTaskFile({
    executors: { p: `${directory}/prepare.ts` },
    tasks: [{ name: "a", type: "exec", arguments: "echo ran" }, {
      name: "x",
      type: "p",
      arguments: 1,
    }],
  });
  const prepared = await runCli([prepare]);
  assert.equal(prepared.code, 2);
  assert.equal(prepared.stdout, "", "nothing ran");
  assert.equal(
    prepared.stderr,
    `dagrun: ${prepare}: task "x": executor "p": prepare() failed: prep boom\n`,
  );
  const dispose = await writeTaskFile({
    executors: { d: `${directory}/dispose.ts`, b: `${directory}/bad.ts` },
    tasks: [{ name: "y", type: "d", arguments: 1 }, { name: "z", type: "b", arguments: 1 }],
  });
  const disposed = await runCli([dispose, "--no-history"]);
  assert.equal(disposed.code, 1, disposed.stderr);
  assert.equal(disposed.stderr, "");
  assert.match(disposed.stdout, /^y +d +ok/m);
  assert.match(disposed.stdout, /^z +b +failed +\S+ +executor error: run\(\) resolved with 42/m);
  assert.match(disposed.stdout, /2 tasks: 1 ok, 1 failed/);
});

Deno.test("a plugin module that never finishes loading fails after the load timeout", async (t) => {
  await t.step("a top-level await that never settles", async () => {
    const directory = await tempDir({
      "forever.ts":
        'await new Promise(() => {});\nexport default { type: "f", run: async () => ({ ok: true }) };\n',
    });
    const stdout = await evalUntilExit(`
      import { importExecutors } from ${moduleSpecifier("../src/plugins.ts")};
      try { await importExecutors(${
      JSON.stringify(`${directory}/forever.ts`)
    }, { loadTimeoutMs: 200 }); }
      catch (error) { console.log(error.message); }
    `);
    assert.match(stdout, /forever\.ts": cannot load: not loaded after 0\.2s/);
  });
  await t.step(
    "no limit when asked for none (Infinity), though a timer cannot take it",
    async () => {
      const directory = await tempDir({
        "slow.ts":
          'await new Promise((r) => setTimeout(r, 50));\nexport default { type: "s", run: async () => ({ ok: true }) };\n',
      });
      const [executor] = await importExecutors(`${directory}/slow.ts`, { loadTimeoutMs: Infinity });
      assert.equal(executor?.type, "s");
    },
  );
  await t.step("a server that accepts and never answers", async () => {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const connections: Deno.Conn[] = [];
    const accepting = (async () => {
      for await (const connection of listener) connections.push(connection);
    })();
    try {
      const url = `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}/silent.ts`;
      await assert.rejects(
        importExecutors(url, { loadTimeoutMs: 300 }),
        /silent\.ts": cannot load: not loaded after 0\.3s/,
      );
    } finally {
      listener.close();
      for (const connection of connections) connection.close();
      await accepting.catch(() => {});
    }
  });
});

Deno.test("a module URL of a scheme Deno cannot load lists the ones it can, on one line", async () => {
  const file = await writeTaskFile({ tasks: [{ name: "a", type: "exec", arguments: "echo ran" }] });
  const result = await runCli(["--executor", "ftp://example.com/x.ts", file]);
  assert.equal(result.code, 2);
  assert.match(
    result.stderr,
    /^dagrun: executor module "ftp:\/\/example\.com\/x\.ts": cannot load: Unsupported scheme "ftp" .*Supported schemes: "blob", "data", "file", "http", "https"[^\n]*\n$/,
  );
});

Deno.test("an empty --executor path is one line saying so", async () => {
  const file = await writeTaskFile({ tasks: [{ name: "a", type: "exec", arguments: "echo ran" }] });
  const result = await runCli(["--executor", "", file]);
  assert.equal(result.code, 2);
  assert.equal(result.stdout, "");
  assert.equal(
    result.stderr,
    // A usage error of the command line, refused before the file is read (the plugin
    // loader's own "the module path is empty" is for the library's callers).
    `dagrun: --executor needs a module path or URL, and "" is none\n` +
      "Try 'dagrun run --help' for usage.\n",
  );
});

Deno.test("a plugin's uncaught rejection ends the run on one line, exit 70, nothing left running", async () => {
  const directory = await tempDir({
    "crash.ts": `export default {
      type: "crash",
      run() {
        setTimeout(() => { Promise.reject(new Error("background failure")); }, 100);
        return new Promise((resolve) => setTimeout(() => resolve({ ok: true }), 2000));
      },
    };`,
  });
  const marker = `dagrun-crash-${crypto.randomUUID()}`;
  const file = `${directory}/tasks.json`;
  await Deno.writeTextFile(
    file,
    JSON.stringify({
      executors: { crash: "./crash.ts" },
      tasks: [
        { name: "bg", type: "crash", arguments: null },
        { name: "long", type: "exec", arguments: `sleep 30 # ${marker}` },
      ],
    }),
  );
  const result = await runCli([file, "--no-history"]);
  assert.equal(result.code, 70);
  assert.equal(result.stderr, "dagrun: internal error: uncaught Error: background failure\n");
  // dagrun's SIGKILL takes effect when the killed process next runs: on a busy machine it may
  // still be listed for a moment after dagrun's exit.
  assert.deepEqual(await survivors(marker), [], "a task's process was left running");
  await Deno.remove(directory, { recursive: true });
});

Deno.test("ExecutorRegistry.register() and the plugin loader refuse a blank type in the same words", async () => {
  const { ExecutorRegistry } = await import("../src/registry.ts");
  const REFUSAL = 'its "type" must not be empty or blank';
  for (const type of ["", "  ", "\t"]) {
    assert.throws(
      () => new ExecutorRegistry().register({ type, run: () => Promise.resolve({ ok: true }) }),
      (error: unknown) =>
        error instanceof TypeError && error.message === `Cannot register executor: ${REFUSAL}`,
      JSON.stringify(type),
    );
  }
  const directory = await tempDir({
    "blank.ts": 'export default { type: "  ", run: () => Promise.resolve({ ok: true }) };\n',
  });
  const file = await writeTaskFile({ tasks: [{ name: "a", type: "exec", arguments: "true" }] });
  const result = await runCli(["validate", file, "--executor", `${directory}/blank.ts`]);
  assert.equal(
    result.stderr,
    `dagrun: executor module "${directory}/blank.ts": default export is not an executor: ${REFUSAL}\n`,
  );
  assert.equal(result.code, 2);
  await Deno.remove(directory, { recursive: true });
});

Deno.test("ExecutorRegistry.register() says what is wrong with a value that is not an executor", async () => {
  const { ExecutorRegistry } = await import("../src/registry.ts");
  const refusal = (value: unknown) => {
    try {
      new ExecutorRegistry().register(value as Executor);
    } catch (error) {
      return (error as Error).message;
    }
    return "registered";
  };
  assert.equal(
    refusal(null),
    'Cannot register executor: it must be an object with "type" and run(), not null',
  );
  assert.equal(
    refusal({ type: 3, run: () => {} }),
    'Cannot register executor: its "type" must be a string, not a number (3)',
  );
  assert.equal(refusal({ type: "x" }), "Cannot register executor 'x': it has no run() function");
});

Deno.test("a task file's executors take a loadTimeoutMs too, in registerTaskFileExecutors() and run()", async () => {
  const directory = await tempDir({
    "forever.ts":
      'await new Promise(() => {});\nexport default { type: "f", run: async () => ({ ok: true }) };\n',
    "tasks.json": JSON.stringify({
      executors: { f: "./forever.ts" },
      tasks: [{ name: "a", type: "f", arguments: null }],
    }),
  });
  // In a process of its own (see evalUntilExit): the module's evaluation stays pending for good.
  const stdout = await evalUntilExit(`
    import { registerTaskFileExecutors } from ${moduleSpecifier("../src/plugins.ts")};
    import { createDefaultRegistry, run } from ${moduleSpecifier("../src/run.ts")};
    import { loadTaskFile } from ${moduleSpecifier("../src/load.ts")};
    const taskFile = await loadTaskFile(${JSON.stringify(`${directory}/tasks.json`)});
    for (const attempt of [
      () => registerTaskFileExecutors(taskFile, createDefaultRegistry(), { loadTimeoutMs: 200 }),
      () => run(taskFile, { loadTimeoutMs: 300 }),
    ]) {
      try { await attempt(); console.log("loaded"); }
      catch (error) { console.log(error.constructor.name + ": " + error.message); }
    }
  `);
  const lines = stdout.trimEnd().split("\n");
  assert.equal(lines.length, 2, lines.join("\n"));
  for (const [index, seconds] of ["0.2", "0.3"].entries()) {
    assert.match(
      lines[index]!,
      new RegExp(
        `^TaskFileError: \\S*tasks\\.json:\\d+:\\d+: executor module "\\./forever\\.ts": ` +
          `cannot load: not loaded after ${seconds.replace(".", "\\.")}s \\(`,
      ),
    );
  }
});

Deno.test("loadTimeoutMs is a number of milliseconds from 0, in every loading function", async () => {
  const taskFile = parseTaskFile(JSON.stringify({
    executors: { f: "./never_loaded.ts" },
    tasks: [{ name: "a", type: "f", arguments: null }],
  }));
  const calls: [string, (loadTimeoutMs: number) => Promise<unknown>][] = [
    ["importExecutors", (loadTimeoutMs) => importExecutors("./x.ts", { loadTimeoutMs })],
    [
      "registerExecutorModules",
      (loadTimeoutMs) =>
        registerExecutorModules(createDefaultRegistry(), ["./x.ts"], { loadTimeoutMs }),
    ],
    [
      "registerTaskFileExecutors",
      (loadTimeoutMs) =>
        registerTaskFileExecutors(taskFile, createDefaultRegistry(), { loadTimeoutMs }),
    ],
    ["run", (loadTimeoutMs) => run(taskFile, { loadTimeoutMs })],
  ];
  for (const [name, call] of calls) {
    for (const value of [-1, NaN]) {
      await assert.rejects(
        call(value),
        (error: unknown) =>
          error instanceof RangeError &&
          error.message ===
            `loadTimeoutMs must be a number of milliseconds from 0 (Infinity: no limit), not ${value}`,
        `${name}(${value})`,
      );
    }
  }
});
