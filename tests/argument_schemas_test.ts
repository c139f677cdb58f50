/**
 * Executors' `argumentsSchema`s as plugin authors write them: an `$id` that two schemas share,
 * and the words of a failed check for a limit the built-in types never set.
 */

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { createDefaultRegistry, run, validate } from "../src/run.ts";
import { TaskFileError } from "../src/errors.ts";
import type { Executor } from "../src/types.ts";
import { runCli } from "./helpers.ts";

/**
 * The message, past its task prefix, with which a run of one task of `type` with `args`
 * is refused; "no error" if it is not.
 */
async function argumentsError(
  registry: ReturnType<typeof createDefaultRegistry>,
  type: string,
  args: Record<string, unknown>,
): Promise<string> {
  try {
    await run([{ name: "t", type, arguments: args }], { registry });
  } catch (error) {
    return (error as Error).message.replace(/^.*task "t": /, "");
  }
  return "no error";
}

async function directoryWith(files: Record<string, string>): Promise<string> {
  const directory = await Deno.makeTempDir({ prefix: "dagrun-argument-schemas-" });
  for (const [path, content] of Object.entries(files)) {
    await Deno.writeTextFile(`${directory}/${path}`, content);
  }
  return directory;
}

/** A plugin module of `type` whose schema has the `$id` every copy of a template would have. */
function pluginWithId(type: string, valueType: string): string {
  return `export default {
  type: ${JSON.stringify(type)},
  argumentsSchema: { $id: "https://example.com/arguments.schema.json", type: ${
    JSON.stringify(valueType)
  } },
  run: () => Promise.resolve({ ok: true }),
};
`;
}

Deno.test("two plugins whose argument schemas share an $id both load and check their own tasks", async () => {
  const cwd = await directoryWith({
    "one.ts": pluginWithId("one", "string"),
    "two.ts": pluginWithId("two", "number"),
    "good.json": JSON.stringify({
      tasks: [
        { name: "a", type: "one", arguments: "text" },
        { name: "b", type: "two", arguments: 2 },
      ],
    }),
    "bad.json": JSON.stringify({ tasks: [{ name: "b", type: "two", arguments: "2" }] }),
  });
  const plugins = ["--executor", "./one.ts", "--executor", "./two.ts"];
  const good = await runCli([...plugins, "good.json", "-q"], { cwd });
  assert.equal(good.stderr, "");
  assert.equal(good.code, 0);
  const bad = await runCli([...plugins, "bad.json", "-q"], { cwd });
  assert.equal(
    bad.stderr,
    'dagrun: bad.json:1:48: task "b": "arguments" must be a number, not a string ("2")\n',
  );
  assert.equal(bad.code, 2);
});

Deno.test("run() twice with a fresh executor whose schema has an $id checks its tasks both times", async () => {
  // A library's factory makes a new executor (and schema object) for each run.
  const makeExecutor = (): Executor => ({
    type: "deploy",
    argumentsSchema: {
      $id: "https://example.com/deploy.schema.json",
      type: "object",
      required: ["target"],
    },
    run: () => Promise.resolve({ ok: true }),
  });
  for (let attempt = 1; attempt <= 2; attempt++) {
    const registry = createDefaultRegistry().register(makeExecutor());
    const report = await run([{ name: "d", type: "deploy", arguments: { target: "eu" } }], {
      registry,
    });
    assert.equal(report.ok, true, `run ${attempt}`);
    await assert.rejects(
      run([{ name: "d", type: "deploy", arguments: {} }], { registry }),
      (error) =>
        error instanceof TaskFileError &&
        error.message.endsWith('task "d": "arguments" is missing required field "target"'),
      `run ${attempt}`,
    );
  }
});

Deno.test("a minLength above 1 is worded with its limit, not as 'must not be empty'", async () => {
  const registry = createDefaultRegistry().register({
    type: "tag",
    argumentsSchema: {
      type: "object",
      properties: {
        name: { type: "string", minLength: 3 },
        note: { type: "string", minLength: 1 },
      },
    },
    run: () => Promise.resolve({ ok: true }),
  });
  const failure = (args: Record<string, unknown>) => argumentsError(registry, "tag", args);
  assert.equal(
    await failure({ name: "ab" }),
    '"arguments.name" must be at least 3 characters long, not "ab"',
  );
  assert.equal(
    await failure({ name: "" }),
    '"arguments.name" must be at least 3 characters long, not ""',
  );
  assert.equal(await failure({ note: "" }), '"arguments.note" must not be empty');
  assert.equal(await failure({ name: "abc", note: "x" }), "no error");
});

Deno.test("a const is worded with the value it allows, as an enum is", async () => {
  const registry = createDefaultRegistry().register({
    type: "deploy",
    argumentsSchema: {
      type: "object",
      properties: {
        region: { const: "eu" },
        replicas: { const: 2 },
        flags: { const: ["a", "b"] },
        labels: { const: { tier: "x".repeat(100) } },
        stage: { enum: ["dev", "prod"] },
      },
    },
    run: () => Promise.resolve({ ok: true }),
  });
  const failure = (args: Record<string, unknown>) => argumentsError(registry, "deploy", args);
  assert.equal(await failure({ region: "us" }), '"arguments.region" must be "eu", not "us"');
  assert.equal(await failure({ replicas: 3 }), '"arguments.replicas" must be 2, not a number (3)');
  assert.equal(
    await failure({ flags: ["a"] }),
    '"arguments.flags" must be ["a","b"], not an array',
  );
  // Too long for a line: named by its kind.
  assert.equal(
    await failure({ labels: {} }),
    '"arguments.labels" must be the schema\'s "const" (an object too long to show), not an object',
  );
  assert.equal(
    await failure({ stage: "qa" }),
    '"arguments.stage" must be one of "dev", "prod", not "qa"',
  );
  assert.equal(await failure({ region: "eu", replicas: 2, stage: "dev" }), "no error");
});

/** A plugin of type "pair" whose schema is written for `draft`, with keywords of that draft. */
function pairPlugin($schema: string, arrayKeywords: Record<string, unknown>): string {
  const schema = {
    $schema,
    type: "object",
    properties: { pair: { type: "array", ...arrayKeywords } },
    required: ["pair"],
    unevaluatedProperties: false,
  };
  return `export default {
  type: "pair",
  argumentsSchema: ${JSON.stringify(schema)},
  run: (task, context) => {
    context.output("stdout", JSON.stringify(task.arguments.pair));
    return Promise.resolve({ ok: true });
  },
};
`;
}

const PAIR_TASKS = (pair: unknown[], extra: Record<string, unknown> = {}) =>
  JSON.stringify({ tasks: [{ name: "p", type: "pair", arguments: { pair, ...extra } }] });

Deno.test('an argumentsSchema of draft 2020-12 or 2019-09 ("$schema") checks tasks by its draft', async (t) => {
  const cwd = await directoryWith({
    // prefixItems is 2020-12's; 2019-09 says it with items as an array.
    "p2020.ts": pairPlugin("https://json-schema.org/draft/2020-12/schema", {
      prefixItems: [{ type: "string" }, { type: "integer" }],
      items: false,
    }),
    "p2019.ts": pairPlugin("https://json-schema.org/draft/2019-09/schema#", {
      items: [{ type: "string" }, { type: "integer" }],
      additionalItems: false,
    }),
    "good.json": PAIR_TASKS(["a", 1]),
    "second.json": PAIR_TASKS(["a", "b"]),
    "extra.json": PAIR_TASKS(["a", 1], { note: "x" }),
  });
  for (const plugin of ["p2020.ts", "p2019.ts"]) {
    await t.step(plugin, async () => {
      const good = await runCli(["--executor", plugin, "good.json", "--no-history"], { cwd });
      assert.equal(good.stderr, "");
      assert.equal(good.code, 0);
      assert.match(good.stdout, /^\[p\] \["a",1\]$/m);
      // Checked by the draft's own keywords: under draft-07 rules prefixItems would be ignored.
      const second = await runCli(["--executor", plugin, "second.json", "-q"], { cwd });
      assert.equal(
        second.stderr,
        'dagrun: second.json:1:62: task "p": "arguments.pair[1]" must be an integer, not a string ("b")\n',
      );
      assert.equal(second.code, 2);
      const extra = await runCli(["--executor", plugin, "extra.json", "-q"], { cwd });
      assert.equal(
        extra.stderr,
        'dagrun: extra.json:1:49: task "p": "arguments" has unknown field "note"\n',
      );
      assert.equal(extra.code, 2);
    });
  }
});

Deno.test('an argumentsSchema of another "$schema" is refused at load, naming the drafts supported', async () => {
  const cwd = await directoryWith({
    "p04.ts": pairPlugin("http://json-schema.org/draft-04/schema#", {}),
    "good.json": PAIR_TASKS(["a", 1]),
  });
  const result = await runCli(["--executor", "./p04.ts", "good.json"], { cwd });
  assert.equal(
    result.stderr,
    'dagrun: executor module "./p04.ts": executor "pair": invalid argumentsSchema: ' +
      'unsupported "$schema" "http://json-schema.org/draft-04/schema#" (supported: ' +
      'draft-07 "http://json-schema.org/draft-07/schema#", ' +
      '2019-09 "https://json-schema.org/draft/2019-09/schema", ' +
      '2020-12 "https://json-schema.org/draft/2020-12/schema")\n',
  );
  assert.equal(result.code, 2);
  assert.equal(result.stdout, "");
});

Deno.test("validate() and run() check a registered executor's 2020-12 schema by its draft", async () => {
  const registry = createDefaultRegistry().register({
    type: "pair",
    argumentsSchema: {
      $schema: "https://json-schema.org/draft/2020-12/schema",
      type: "array",
      prefixItems: [{ type: "string" }, { type: "integer" }],
      items: false,
    },
    run: () => Promise.resolve({ ok: true }),
  });
  validate([{ name: "p", type: "pair", arguments: ["a", 1] }], registry);
  assert.throws(
    () => validate([{ name: "p", type: "pair", arguments: ["a", 1, 2] }], registry),
    (error: unknown) =>
      error instanceof TaskFileError && /task "p": "arguments"/.test(error.message),
  );
  const report = await run([{ name: "p", type: "pair", arguments: ["a", 1] }], { registry });
  assert.equal(report.ok, true);
});

Deno.test('--schema of draft 2020-12 checks the file by its draft; another "$schema" is refused', async () => {
  const schema = ($schema: string) =>
    JSON.stringify({
      $schema,
      type: "object",
      properties: {
        tasks: { type: "array", prefixItems: [{ properties: { name: { const: "first" } } }] },
      },
    });
  const cwd = await directoryWith({
    "s2020.json": schema("https://json-schema.org/draft/2020-12/schema"),
    "s04.json": schema("http://json-schema.org/draft-04/schema#"),
    "good.json": JSON.stringify({ tasks: [{ name: "first", type: "exec", arguments: "true" }] }),
    "bad.json": JSON.stringify({ tasks: [{ name: "second", type: "exec", arguments: "true" }] }),
  });
  const good = await runCli(["validate", "good.json", "--schema", "s2020.json"], { cwd });
  assert.equal(good.code, 0, good.stderr);
  const bad = await runCli(["validate", "bad.json", "--schema", "s2020.json"], { cwd });
  assert.equal(bad.code, 2);
  assert.match(
    bad.stderr,
    /^dagrun: bad\.json:1:\d+: task "second": "name" must be "first", not "second"\n$/,
  );
  const other = await runCli(["validate", "good.json", "--schema", "s04.json"], { cwd });
  assert.equal(other.code, 2);
  assert.match(
    other.stderr,
    /^dagrun: s04\.json: cannot use the schema: unsupported "\$schema" "http:\/\/json-schema\.org\/draft-04\/schema#" \(supported: draft-07 [^\n]*\)\n$/,
  );
});

Deno.test("ajv's classes for the later drafts are loaded only for a schema of one", async () => {
  // Deno may not read the module: a run that imported it would fail.
  const drafts = fileURLToPath(new URL("../src/deps/ajv_drafts.ts", import.meta.url));
  const cwd = await directoryWith({
    "p07.ts": pairPlugin("http://json-schema.org/draft-07/schema#", {
      items: [{ type: "string" }, { type: "integer" }],
    }),
    "p2020.ts": pairPlugin("https://json-schema.org/draft/2020-12/schema", {
      prefixItems: [{ type: "string" }, { type: "integer" }],
    }),
    "plain.json": JSON.stringify({ tasks: [{ name: "a", type: "exec", arguments: "true" }] }),
    "good.json": PAIR_TASKS(["a", 1]),
  });
  const dagrun = async (...args: string[]) => {
    const output = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        `--deny-read=${drafts}`,
        "--quiet",
        fileURLToPath(new URL("../src/bin.ts", import.meta.url)),
        "--no-history",
        "-q",
        ...args,
      ],
      cwd,
      stdout: "null",
      stderr: "piped",
    }).output();
    return { code: output.code, stderr: new TextDecoder().decode(output.stderr) };
  };
  assert.deepEqual(await dagrun("plain.json"), { code: 0, stderr: "" });
  assert.deepEqual(await dagrun("--executor", "./p07.ts", "good.json"), { code: 0, stderr: "" });
  // The check's own proof: a schema of a later draft does need the module.
  const later = await dagrun("--executor", "./p2020.ts", "good.json");
  assert.equal(later.code, 2);
  assert.match(later.stderr, /ajv_drafts\.ts: cannot load dagrun's module: no permission/);
});
