/**
 * dist/dagrun.js, the bundled command line: it must be what the sources give, and behave as
 * `mod.ts` does, including what the bundle cannot hold and loads beside it (the eval worker,
 * commander's program, jsonc-parser, ajv) and what it loads lazily from inside itself.
 */

import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { fileURLToPath, pathToFileURL } from "node:url";
import { runCommand, serveFiles } from "./plugin_helpers.ts";
import {
  signalledWhileWaiting,
  taskFileBesideFifo,
  waitsInFifoOpen,
  writeTaskFile,
} from "./helpers.ts";
import { sourcePaths, staleness } from "../dist/build.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const BUNDLE = `${ROOT}dist/dagrun.js`;

/** Runs `deno run -A dist/dagrun.js ...args`. */
function runBundle(args: readonly string[], cwd?: string) {
  return runCommand(Deno.execPath(), ["run", "-A", "--quiet", BUNDLE, ...args], {
    ...(cwd ? { cwd } : {}),
  });
}

Deno.test("dist/dagrun.js is what `deno task build` makes of the sources", async () => {
  const result = await runCommand(Deno.execPath(), ["run", "-A", "dist/build.ts", "--check"], {
    cwd: ROOT,
  });
  assert.equal(result.code, 0, `${result.stderr}\n(run \`deno task build\` and commit the bundle)`);
});

Deno.test("the build check tells a stale, edited or headerless bundle from a current one", async () => {
  const text = await Deno.readTextFile(BUNDLE);
  assert.equal(await staleness(text), undefined);
  const [header, body] = [
    text.slice(0, text.indexOf("\n") + 1),
    text.slice(text.indexOf("\n") + 1),
  ];
  assert.match(header, / sources [0-9a-f]{64} bundle [0-9a-f]{64}\n$/);
  // Built from other sources: the bundle's own digest still holds, the sources' does not.
  const otherSources = header.replace(/ sources [0-9a-f]{64}/, ` sources ${"0".repeat(64)}`);
  assert.equal(
    await staleness(otherSources + body),
    "dist/dagrun.js is out of date: run `deno task build`",
  );
  assert.equal(
    await staleness(header + body.replace("Started: ", "Begun: ")),
    "dist/dagrun.js was edited by hand: run `deno task build`",
  );
  assert.equal(await staleness(body), "dist/dagrun.js has no build header: run `deno task build`");
});

Deno.test("the build check covers the build itself: its rewrite changes the bundle", async () => {
  const paths = await sourcePaths();
  for (const path of ["dist/build.ts", "dist/eager_compile.ts", "src/bin.ts", "deno.json"]) {
    assert.ok(paths.includes(path), `${path} is not among ${paths.length} paths`);
  }
  assert.ok(!paths.includes("dist/dagrun.js"), "the bundle is not its own source");
});

Deno.test("every module the bundle loads by URL is a file one level below the root", async () => {
  const text = await Deno.readTextFile(BUNDLE);
  const urls = [...text.matchAll(/new URL\("([^"]+\.ts)",import\.meta\.url\)/g)].map((m) => m[1]!);
  assert.deepEqual(urls.toSorted(), [
    "../executors/eval_worker.ts",
    "../src/cli_program.ts",
    "../src/deps/ajv.ts",
    "../src/deps/ajv_drafts.ts",
    "../src/deps/jsonc.ts",
    "../src/format/html.ts",
    "../src/format/timeline.ts",
    "../src/format/trace.ts",
    "../src/terminal_commands.ts",
  ]);
  for (const url of urls) {
    const path = fileURLToPath(new URL(url, new URL("../dist/", import.meta.url)));
    assert.ok((await Deno.stat(path)).isFile, path);
  }
  // Nothing else is imported statically: Deno would load it before the first line.
  assert.doesNotMatch(text, /^import\b|[;}]import[{*\s"]/);
});

Deno.test("dist/dagrun.js runs exec and eval tasks from a JSONC file, as mod.ts does", async () => {
  const file = await writeTaskFile(
    `// a comment: jsonc-parser is loaded beside the bundle
    { "tasks": [
      { "name": "build", "type": "exec", "arguments": "echo built" },
      { "name": "sum", "type": "eval", "arguments": "const n: number = 6; console.log(n * 7)",
        "dependencies": ["build"] },
      { "name": "broken", "type": "exec", "arguments": "exit 3" },
      { "name": "after", "type": "exec", "arguments": "true", "dependencies": ["broken"] },
    ] }`,
    "tasks.jsonc",
  );
  const bundled = await runBundle([file, "--format", "ndjson", "--no-history"]);
  const sources = await runCommand(Deno.execPath(), [
    "run",
    "-A",
    "--quiet",
    `${ROOT}mod.ts`,
    file,
    "--format",
    "ndjson",
    "--no-history",
  ]);
  assert.equal(bundled.code, 1, bundled.stderr);
  assert.equal(bundled.code, sources.code);
  const summary = (stdout: string) =>
    stdout.trim().split("\n").map((line) => JSON.parse(line)).filter((event) =>
      ["output", "task_ended", "task_skipped"].includes(event.event)
    ).map((event) => `${event.task} ${event.event} ${event.text ?? event.status ?? ""}`.trim())
      .sort();
  assert.deepEqual(summary(bundled.stdout), summary(sources.stdout));
  assert.deepEqual(summary(bundled.stdout), [
    "after task_skipped",
    "broken task_ended failed",
    "build output built",
    "build task_ended ok",
    "sum output 42",
    "sum task_ended ok",
  ]);
});

Deno.test("dist/dagrun.js reports bad input in one line and prints commander's help", async () => {
  const file = await writeTaskFile(`{ "tasks": [ { "name": "a", "type": "exec" } ] }`);
  const bad = await runBundle([file]);
  assert.equal(bad.code, 2);
  assert.equal(bad.stderr, `dagrun: ${file}:1:14: task "a": missing required field "arguments"\n`);
  const help = await runBundle(["--help"]);
  assert.equal(help.code, 0, help.stderr);
  assert.match(help.stdout, /^Usage: dagrun \[options\] \[command\]/);
  const unknown = await runBundle(["--no-such-flag"]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /Unknown option '--no-such-flag'/);
});

Deno.test("dist/dagrun.js reports an error of a module it loads late as one line, exit 2", async () => {
  // --dry-run's module is loaded from src/, with its own copy of the error classes: a bad
  // --from-report report was an "internal error", exit status 70.
  const file = await writeTaskFile(
    `{ "tasks": [ { "name": "a", "type": "exec", "arguments": "true" } ] }`,
  );
  const report = `${file}.ndjson`;
  await Deno.writeTextFile(report, "");
  const empty = await runBundle([file, "--dry-run", "--from-report", report]);
  assert.equal(empty.code, 2, empty.stderr);
  assert.equal(
    empty.stderr,
    `dagrun: ${report}: not a dagrun NDJSON report: it has no run_started event\n`,
  );
});

Deno.test("dist/dagrun.js loads a plugin given with --executor", async () => {
  const directory = await Deno.makeTempDir({ prefix: "dagrun-bundle-" });
  await Deno.writeTextFile(
    `${directory}/shout.ts`,
    `export default {
      type: "shout",
      argumentsSchema: { type: "string" },
      run: (task, context) => {
        context.output("stdout", String(task.arguments).toUpperCase());
        return Promise.resolve({ ok: true });
      },
    };`,
  );
  await Deno.writeTextFile(
    `${directory}/tasks.json`,
    JSON.stringify({ tasks: [{ name: "s", type: "shout", arguments: "hi" }] }),
  );
  const result = await runBundle(["--executor", "./shout.ts", "tasks.json"], directory);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^\[s\] HI$/m);
});

Deno.test("dist/dagrun.js stops on SIGINT with 130 and leaves no process behind", async () => {
  const marker = `dagrun-bundle-${crypto.randomUUID()}`;
  const file = await writeTaskFile({
    tasks: [{ name: "wait", type: "exec", arguments: `sleep 30 # ${marker}` }],
  });
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", BUNDLE, file, "--no-history"],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  while (!seen.includes("Started: wait")) {
    const { value, done } = await reader.read();
    if (done) break;
    seen += value;
  }
  child.kill("SIGINT");
  for (let chunk; !(chunk = await reader.read()).done;) seen += chunk.value;
  const status = await child.status;
  await child.stderr.cancel();
  assert.equal(status.code, 130);
  assert.match(seen, /wait\s+exec\s+failed/);
  const left = await new Deno.Command("pgrep", { args: ["-f", marker], stdout: "piped" }).output();
  assert.equal(new TextDecoder().decode(left.stdout), "");
});

Deno.test({
  name:
    "dist/dagrun.js: a signal while a task file FIFO waits ends every command with its one line, not only the fast path",
  ignore: Deno.build.os !== "linux",
  async fn(t) {
    // `dagrun FIFO` runs in the bundle; `run`, `validate` and `graph` in the sources'
    // cli_program.ts it loads beside it, with their own copy of the module that reads the FIFO.
    const directory = await taskFileBesideFifo({ tasks: [] });
    const cases = [
      { args: ["fifo", "--no-history"], done: "nothing ran" },
      { args: ["run", "--no-history", "fifo"], done: "nothing ran" },
      { args: ["validate", "fifo"], done: "nothing validated" },
      { args: ["graph", "fifo"], done: "no graph printed" },
    ];
    for (const { args, done } of cases) {
      await t.step(args.join(" "), async () => {
        const { code, signal, stderr } = await signalledWhileWaiting({
          args,
          cwd: directory,
          waiting: waitsInFifoOpen,
          what: "dagrun waiting for the FIFO's writer",
          signal: "SIGINT",
          script: BUNDLE,
        });
        assert.deepEqual(
          { code, signal, stderr },
          {
            code: 130,
            signal: null,
            stderr: `dagrun: interrupted while waiting for a writer to open fifo; ${done}\n`,
          },
        );
      });
    }
    await Deno.remove(directory, { recursive: true });
  },
});

Deno.test("dist/dagrun.js runs from a URL, its worker and late modules fetched beside it", async () => {
  await using server = serveFiles(ROOT);
  const directory = await Deno.makeTempDir({ prefix: "dagrun-bundle-url-" });
  await Deno.writeTextFile(
    `${directory}/tasks.jsonc`,
    `{ "tasks": [ // JSONC: jsonc-parser comes from the server's src/deps/
      { "name": "hello", "type": "exec", "arguments": "echo hello" },
      { "name": "sum", "type": "eval", "arguments": "console.log(1 + 2)", "dependencies": ["hello"] },
    ] }`,
  );
  const result = await runCommand(Deno.execPath(), [
    "run",
    "-A",
    "--no-config",
    "--no-lock",
    "--quiet",
    `--reload=${server.origin}`,
    `${server.origin}/dist/dagrun.js`,
    "tasks.jsonc",
    "--no-history",
  ], { cwd: directory });
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^\[hello\] hello$/m);
  assert.match(result.stdout, /^\[sum\] 3$/m);
  const paths = new Set(server.requests.map((request) => request.path));
  for (const path of ["/dist/dagrun.js", "/executors/eval_worker.ts", "/src/deps/jsonc.ts"]) {
    assert.ok(paths.has(path), `${path} was not fetched: ${[...paths].join(" ")}`);
  }
  assert.ok(!paths.has("/mod.ts"), "the bundle does not need the sources' entry point");
  // The bundle knows it is the command line: it loads what it needs, not all a library would.
  assert.ok(!paths.has("/src/deps/ajv.ts"), "ajv was loaded, needed by nothing here");
});

Deno.test("a run that ends without a turn of Deno's event loop still leaves the bundle's compiled code cached", async () => {
  // A one-task run of a direct command ends while dagrun waits for it, without returning to
  // the event loop, in whose step that settles dynamic imports Deno stores a module's code
  // cache.
  const file = await writeTaskFile({
    tasks: [{ name: "at-once", type: "exec", arguments: "/bin/true" }],
  });
  const denoDir = await Deno.makeTempDir({ prefix: "dagrun-deno-dir-" });
  try {
    const result = await runCommand(
      Deno.execPath(),
      ["run", "-A", "--quiet", BUNDLE, file, "--no-history", "-q"],
      { env: { DENO_DIR: denoDir } },
    );
    assert.equal(result.code, 0, result.stderr);
    const cache = new DatabaseSync(`${denoDir}/v8_code_cache_v2`, { readOnly: true });
    try {
      const rows = cache.prepare("SELECT specifier FROM codecache").all();
      assert.ok(
        rows.some((row) => row.specifier === pathToFileURL(BUNDLE).href),
        `no code cache for the bundle among ${JSON.stringify(rows)}`,
      );
    } finally {
      cache.close();
    }
  } finally {
    await Deno.remove(denoDir, { recursive: true });
  }
});

/**
 * A copy of the bundle alone, as `bin/dagrun.js` of a new temporary directory (so that the
 * modules it would load from `../src/` and `../executors/` would be the directory's own, and
 * are not there), with the task files `files` beside it.
 */
async function copyBundleAlone(files: Record<string, string>) {
  const directory = await Deno.makeTempDir({ prefix: "dagrun-bundle-copy-" });
  await Deno.mkdir(`${directory}/bin`);
  await Deno.copyFile(BUNDLE, `${directory}/bin/dagrun.js`);
  for (const [name, text] of Object.entries(files)) {
    await Deno.writeTextFile(`${directory}/${name}`, text);
  }
  return {
    directory,
    copy: `${directory}/bin/dagrun.js`,
    run: (args: readonly string[]) =>
      runCommand(
        Deno.execPath(),
        ["run", "-A", "--quiet", `${directory}/bin/dagrun.js`, ...args, "--no-history"],
        { cwd: directory },
      ),
    [Symbol.asyncDispose]: () => Deno.remove(directory, { recursive: true }),
  };
}

/** The line a copy of the bundle prints for a module it does not find beside it. */
function missingModuleLine(path: string): string {
  return `dagrun: ${path}: cannot load dagrun's module: no such module (dist/dagrun.js loads it ` +
    "from its own checkout: run the bundle there, by its path or URL, or the sources' mod.ts, " +
    "not a copy)\n";
}

Deno.test("a copy of dist/dagrun.js away from its checkout runs a plain JSON file", async () => {
  // It is the command line wherever it is: it loads nothing late that this run does not need.
  await using copy = await copyBundleAlone({
    "tasks.json": JSON.stringify({
      tasks: [
        { name: "one", type: "exec", arguments: "echo one" },
        { name: "two", type: "exec", arguments: "echo two", dependencies: ["one"] },
      ],
    }),
  });
  const result = await copy.run(["tasks.json"]);
  assert.equal(result.stderr, "");
  assert.equal(result.code, 0);
  assert.match(result.stdout, /^\[one\] one$/m);
  assert.match(result.stdout, /^2 tasks: 2 ok, 0 failed, 0 skipped in /m);
});

Deno.test("a copy of dist/dagrun.js says in one line which module it lacks, exit 2", async () => {
  await using copy = await copyBundleAlone({
    "tasks.jsonc": `{ "tasks": [ // JSONC: jsonc-parser is loaded late
      { "name": "one", "type": "exec", "arguments": "echo one" },
    ] }`,
  });
  const jsonc = await copy.run(["tasks.jsonc"]);
  assert.deepEqual(jsonc, {
    code: 2,
    stdout: "",
    stderr: missingModuleLine(`${copy.directory}/src/deps/jsonc.ts`),
  });
  // Commander's program, for --help and the less common command lines, is loaded late too.
  const help = await copy.run(["--help"]);
  assert.deepEqual(help, {
    code: 2,
    stdout: "",
    stderr: missingModuleLine(`${copy.directory}/src/cli_program.ts`),
  });
});

Deno.test("a copy of dist/dagrun.js fails its eval tasks naming the worker's module", async () => {
  await using copy = await copyBundleAlone({
    "tasks.json": JSON.stringify({
      tasks: [
        { name: "shell", type: "exec", arguments: "echo shell" },
        { name: "first", type: "eval", arguments: "console.log(1)" },
        { name: "second", type: "eval", arguments: "console.log(2)" },
      ],
    }),
  });
  const result = await copy.run(["tasks.json", "--format", "ndjson"]);
  assert.equal(result.code, 1, result.stderr);
  const ended = result.stdout.trim().split("\n").map((line) => JSON.parse(line))
    .filter((event) => event.event === "task_ended")
    .map((event) => `${event.task} ${event.status} ${event.error ?? ""}`.trim()).sort();
  const why = `Cannot start an eval worker: ${
    missingModuleLine(`${copy.directory}/executors/eval_worker.ts`).slice("dagrun: ".length, -1)
  }`;
  assert.deepEqual(ended, [`first failed ${why}`, `second failed ${why}`, "shell ok"]);
  // The module is looked for before a worker is made: Deno, which would print a line of its
  // own for each worker whose module it does not find, is given none to print.
  assert.equal(result.stderr, "");
});

Deno.test({
  name: "a symbolic link to dist/dagrun.js runs as the bundle in its checkout: late modules, eval",
  ignore: Deno.build.os === "windows",
  async fn() {
    // Deno names the bundle by the link's path: its modules are found beyond the link.
    const directory = await Deno.makeTempDir({ prefix: "dagrun-bundle-link-" });
    try {
      await Deno.mkdir(`${directory}/bin`);
      await Deno.symlink(BUNDLE, `${directory}/bin/dagrun.js`);
      await Deno.writeTextFile(
        `${directory}/tasks.jsonc`,
        `{ "tasks": [ // JSONC: jsonc-parser is loaded late
          { "name": "shell", "type": "exec", "arguments": "echo shell" },
          { "name": "snippet", "type": "eval", "arguments": "console.log('eval')" },
        ] }`,
      );
      const run = (args: readonly string[]) =>
        runCommand(
          Deno.execPath(),
          ["run", "-A", "--quiet", `${directory}/bin/dagrun.js`, ...args],
          {
            cwd: directory,
          },
        );
      const result = await run(["tasks.jsonc", "--no-history"]);
      assert.equal(result.stderr, "");
      assert.equal(result.code, 0);
      assert.match(result.stdout, /^\[shell\] shell$/m);
      assert.match(result.stdout, /^\[snippet\] eval$/m);
      assert.match(result.stdout, /^2 tasks: 2 ok, 0 failed, 0 skipped in /m);
      // Commander's program, for --help, is loaded late too.
      const help = await run(["--help"]);
      assert.equal(help.stderr, "");
      assert.equal(help.code, 0);
      assert.match(help.stdout, /^Usage: dagrun /m);
    } finally {
      await Deno.remove(directory, { recursive: true });
    }
  },
});

Deno.test("a copy of dist/dagrun.js imported as a library rejects naming the module it lacks", async () => {
  await using copy = await copyBundleAlone({});
  await assert.rejects(
    import(pathToFileURL(copy.copy).href),
    (error: Error) => {
      assert.equal(error.name, "TaskFileError");
      assert.equal(
        `dagrun: ${error.message}\n`,
        missingModuleLine(`${copy.directory}/src/deps/jsonc.ts`),
      );
      return true;
    },
  );
});
